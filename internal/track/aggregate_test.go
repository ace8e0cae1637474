package track

import (
	"maps"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York for the DST cases
)

// aggregateRef is the straightforward aggregation (the implementation
// before aggregator): key → field → delta.
func aggregateRef(events []Event, loc *time.Location) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	add := func(key string, ev *Event) {
		f := out[key]
		if f == nil {
			f = map[string]int64{}
			out[key] = f
		}
		f[fieldTotal]++
		if ev.Bot {
			f[fieldBot]++
			return
		}
		f[fieldHuman]++
		for dim, v := range map[string]string{"app": ev.App, "os": ev.OS, "device": ev.Device, "scene": ev.Scene, "pay": ev.PayChannel, "action": ev.Action, "shell": ev.Shell} {
			if v != "" {
				f[dim+":"+v]++
			}
		}
	}
	for i := range events {
		ev := &events[i]
		t := ev.Time.In(loc)
		day, hour := t.Format("20060102"), t.Format("2006010215")
		if ev.Code != "" {
			add(counterKey("link", ev.Code, granDay, day), ev)
			add(counterKey("link", ev.Code, granHour, hour), ev)
		}
		if ev.Campaign != "" {
			add(counterKey("camp", ev.Campaign, granDay, day), ev)
			add(counterKey("camp", ev.Campaign, granHour, hour), ev)
		}
	}
	return out
}

func deltasMap(t *testing.T, ds []counterDelta) map[string]map[string]int64 {
	t.Helper()
	out := map[string]map[string]int64{}
	for _, d := range ds {
		if out[d.key] != nil {
			t.Fatalf("group %s twice", d.key)
		}
		if wantHour := len(d.key) > 13 && d.key[len(d.key)-13:len(d.key)-11] == ":h"; d.hour != wantHour {
			t.Fatalf("group %s: hour=%v", d.key, d.hour)
		}
		if len(d.fields) == 0 || d.fields[0].name != fieldTotal {
			t.Fatalf("group %s: fields %v; want total first", d.key, d.fields)
		}
		f := map[string]int64{}
		for _, fd := range d.fields {
			if _, dup := f[fd.name]; dup || fd.n <= 0 {
				t.Fatalf("group %s: field %s duplicated or not positive in %v", d.key, fd.name, d.fields)
			}
			f[fd.name] = fd.n
		}
		out[d.key] = f
	}
	return out
}

func randBatch(r *rand.Rand, n int, base time.Time) []Event {
	pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{
			// Mostly within an hour or two; sometimes days apart or far off.
			Time:     base.Add(time.Duration(r.Int64N(int64(3 * time.Hour)))),
			Code:     pick("a", "b", "c", "", "中"),
			Campaign: pick("", "x", "y:z"),
			App:      pick("wechat", "", "qq", "a:b"), OS: pick("ios", "android", ""), Device: pick("mobile", "pc"),
			Scene: pick("", "chat", "moments"), PayChannel: pick("", "alipay"), Action: pick("redirect", "page", ""),
			Bot: r.IntN(5) == 0,
		}
		switch r.IntN(50) {
		case 0:
			evs[i].Time = base.AddDate(0, 0, r.IntN(400)-200)
		case 1:
			evs[i].Time = time.Unix(r.Int64N(1<<35)-1<<34, 0)
		case 2:
			evs[i].App = "app" + strconv.Itoa(r.IntN(1000))
		}
	}
	return evs
}

func TestAggregate(t *testing.T) {
	// Not parallel: the collisions case sets the package's profileHashMask.
	t.Run("hash", testAggregate)
	t.Run("collisions", func(t *testing.T) {
		defer func(m uint64) { profileHashMask = m }(profileHashMask)
		profileHashMask = 3 // four hash values: every profile chain is long
		testAggregate(t)
	})
}

func testAggregate(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		loc  *time.Location
		base time.Time
	}{
		{ChinaTime, time.Date(2026, 11, 25, 22, 30, 0, 0, ChinaTime)},
		{time.UTC, time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)},
		{time.FixedZone("IST", 5*3600+30*60), time.Date(2026, 3, 1, 0, 10, 0, 0, time.UTC)},
		{time.FixedZone("LMT", 8*3600+5*60+43), time.Date(2026, 3, 1, 0, 10, 0, 0, time.UTC)},
		// DST: 2026-03-08 02:00 → 03:00 and 2026-11-01 02:00 → 01:00 (a repeated hour).
		{ny, time.Date(2026, 3, 8, 5, 30, 0, 0, time.UTC)},
		{ny, time.Date(2026, 11, 1, 4, 30, 0, 0, time.UTC)},
	} {
		reused := newAggregator(tc.loc, "")
		for range 30 {
			evs := randBatch(r, 1+r.IntN(600), tc.base)
			want := aggregateRef(evs, tc.loc)
			if got := deltasMap(t, aggregate(evs, tc.loc)); !maps.EqualFunc(got, want, maps.Equal) {
				t.Fatalf("%s: aggregate = %v\nwant %v", tc.loc, got, want)
			}
			if got := deltasMap(t, reused.aggregate(evs)); !maps.EqualFunc(got, want, maps.Equal) {
				t.Fatalf("%s: reused aggregator = %v\nwant %v", tc.loc, got, want)
			}
		}
	}
	if got := aggregate(nil, ChinaTime); len(got) != 0 {
		t.Fatalf("empty batch: %v", got)
	}
}

// TestAggregateNameCaches runs a reused aggregator through more distinct
// codes, campaigns and app values than its name caches keep, over hour
// and day boundaries: the caches are cleared when full (and stay bounded)
// and key names made for an earlier bucket are replaced, never reused.
func TestAggregateNameCaches(t *testing.T) {
	a := newAggregator(ChinaTime, "")
	r := rand.New(rand.NewPCG(13, 14))
	at := time.Date(2026, 11, 25, 22, 50, 0, 0, ChinaTime)
	keysCleared, fieldsCleared := false, false
	for b := range 40 {
		nk, nf := a.nKeyNames, a.nFieldNames
		evs := randBatch(r, 512, at.Add(time.Duration(b)*10*time.Minute))
		for i := range evs {
			if i%4 != 0 { // a quarter of the taps on codes seen in every batch
				evs[i].Code = "c" + strconv.Itoa(b*512+i)
				evs[i].App = "app" + strconv.Itoa(b*512+i)
				evs[i].OS = "os" + strconv.Itoa(b*512+i)
			}
		}
		want := aggregateRef(evs, ChinaTime)
		if got := deltasMap(t, a.aggregate(evs)); !maps.EqualFunc(got, want, maps.Equal) {
			t.Fatalf("batch %d: aggregate = %v\nwant %v", b, got, want)
		}
		if a.nKeyNames > maxCachedKeys || a.nFieldNames > maxCachedFields {
			t.Fatalf("batch %d: %d key and %d field names cached; want at most %d and %d", b, a.nKeyNames, a.nFieldNames, maxCachedKeys, maxCachedFields)
		}
		n := 0
		for _, m := range a.keyNames {
			n += len(m)
		}
		if n != a.nKeyNames {
			t.Fatalf("batch %d: %d key names cached, counted %d", b, n, a.nKeyNames)
		}
		keysCleared = keysCleared || a.nKeyNames < nk
		fieldsCleared = fieldsCleared || a.nFieldNames < nf
	}
	if !keysCleared || !fieldsCleared {
		t.Fatalf("caches cleared: keys %v, fields %v; the test wants both filled", keysCleared, fieldsCleared)
	}
}

func TestAggregateAllocs(t *testing.T) {
	a := newAggregator(ChinaTime, "")
	evs := benchEvents(4)
	a.aggregate(evs) // warm: names cached, maps and slices grown
	if n := testing.AllocsPerRun(50, func() { a.aggregate(evs) }); n != 0 {
		t.Fatalf("steady-state aggregate allocates %v times per batch; want 0", n)
	}
}

// aggregate is a one-off aggregator's result (sinks reuse theirs).
func aggregate(events []Event, loc *time.Location) []counterDelta {
	return newAggregator(loc, "").aggregate(events)
}
