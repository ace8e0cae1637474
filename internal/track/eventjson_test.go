package track

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// oddStrings exercise every branch of the string escaper.
var oddStrings = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>",
	"\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f", "中文短链", "emoji 😀 ok",
	"\u2028line\u2029para", "bad \xff utf8 \xc3", "\xed\xa0\x80 surrogate",
	"truncated \xe4\xb8", "\xf4\x90\x80\x80 beyond U+10FFFF", "\ufffd literal",
	"é = e\u0301", strings.Repeat("长", 300),
}

func checkEventJSON(t *testing.T, ev *Event) {
	t.Helper()
	want, wantErr := json.Marshal(ev)
	prefix := []byte("prefix")
	got, err := appendEventJSON(prefix, ev)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("appendEventJSON error %v; encoding/json error %v (event %#v)", err, wantErr, ev)
	}
	if err != nil {
		if string(got) != "prefix" {
			t.Fatalf("on error dst = %q; want it unchanged", got)
		}
		return
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatalf("dst prefix lost: %q", got)
	}
	if got := got[len("prefix"):]; !bytes.Equal(got, want) {
		t.Fatalf("appendEventJSON:\n got %s\nwant %s\n(event %#v)", got, want, ev)
	}
}

func randString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return oddStrings[r.IntN(len(oddStrings))]
	}
	b := make([]byte, r.IntN(24))
	for i := range b {
		switch r.IntN(4) {
		case 0:
			b[i] = byte(r.IntN(256)) // anything, including invalid UTF-8
		case 1:
			b[i] = byte(r.IntN(0x40)) // controls, punctuation, < > & "
		default:
			b[i] = byte('a' + r.IntN(26))
		}
	}
	return string(b)
}

func randEvent(r *rand.Rand) Event {
	s := func() string {
		if r.IntN(3) == 0 {
			return ""
		}
		return randString(r)
	}
	zones := []*time.Location{time.UTC, ChinaTime, time.FixedZone("x", -(3*3600 + 30*60)), time.FixedZone("s", 5*3600+17), time.Local}
	ev := Event{
		VisitID: s(), Time: time.Unix(r.Int64N(4e9)-1e9, r.Int64N(1e9)).In(zones[r.IntN(len(zones))]),
		Code: s(), Domain: s(), Campaign: s(), EntityKind: s(), EntityID: s(),
		App: s(), OS: s(), Device: s(), Scene: s(), Bot: r.IntN(2) == 0,
		Action: s(), DestHost: s(), PayChannel: s(), Referrer: s(), IP: s(),
	}
	switch r.IntN(4) {
	case 0: // nil map
	case 1:
		ev.ClickIDs = map[string]string{} // empty: omitted
	default:
		ev.ClickIDs = map[string]string{}
		for range r.IntN(25) { // beyond 16 keys takes the slices.Sort path
			ev.ClickIDs[randString(r)] = randString(r)
		}
	}
	return ev
}

func TestEventJSON(t *testing.T) {
	// CPU only, no shared state: fills the parallel phase while the
	// server tests wait on their servers.
	t.Parallel()
	// The struct, field by field, including every odd string.
	full := tap(7, "abc", time.Date(2026, 11, 25, 10, 30, 1, 123456789, ChinaTime))
	full.Domain, full.DestHost, full.Referrer, full.IP, full.Bot = "s.example", "item.taobao.com", "m.baidu.com", "203.0.113.0", true
	full.ClickIDs = map[string]string{"gdt_vid": "wx0", "click_id": "1", "utm_source": "<x>", "": "empty key", "Z": "upper"}
	checkEventJSON(t, &full)
	checkEventJSON(t, &Event{})
	for _, s := range oddStrings {
		ev := Event{VisitID: s, Code: s, Domain: s, Campaign: s, EntityKind: s, EntityID: s, App: s, OS: s,
			Device: s, Scene: s, Action: s, DestHost: s, PayChannel: s, Referrer: s, IP: s,
			ClickIDs: map[string]string{s: s, s + "x": "", "a" + s: s}}
		checkEventJSON(t, &ev)
	}
	// Times: zero, monotonic reading, sub-second precision, odd zones.
	for _, tm := range []time.Time{{}, time.Now(), time.Unix(0, 1), time.Unix(1, 0).In(time.FixedZone("sec", 3600+1)),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)} {
		checkEventJSON(t, &Event{Time: tm})
	}
	// Unrepresentable times: both fail, dst left as it was.
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, 0).In(time.FixedZone("big", 24*3600)), time.Unix(0, 0).In(time.FixedZone("neg", -25*3600))} {
		checkEventJSON(t, &Event{Time: tm})
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		ev := randEvent(r)
		checkEventJSON(t, &ev)
	}
}

// TestTimeText holds appendTimeText to Time.AppendText: over the whole
// range it formats (local 1970..9999), at the edges of days, months, leap
// days and centuries, with and without nanoseconds, in zones with odd
// offsets; outside the range it must decline and leave dst alone.
func TestTimeText(t *testing.T) {
	// CPU only, no shared state: fills the parallel phase while the
	// server tests wait on their servers.
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	zones := []*time.Location{time.UTC, ChinaTime, time.Local, ny, time.FixedZone("x", -(3*3600 + 30*60)),
		time.FixedZone("s", 5*3600+17), time.FixedZone("-s", -17), time.FixedZone("-m", -59),
		time.FixedZone("max", 24*3600-1), time.FixedZone("min", -(24*3600 - 1)),
		time.FixedZone("24h", 24*3600), time.FixedZone("-24h", -24*3600)}
	check := func(tm time.Time) {
		t.Helper()
		want, wantErr := tm.AppendText([]byte("p"))
		got, ok := appendTimeText([]byte("p"), tm)
		if !ok {
			if string(got) != "p" {
				t.Fatalf("%v: declined but dst = %q", tm, got)
			}
			_, off := tm.Zone()
			if l := tm.Unix() + int64(off); wantErr == nil && l >= 0 && l < maxTimeText && off > -24*3600 && off < 24*3600 {
				t.Fatalf("%v: declined a time in range", tm)
			}
			return
		}
		if wantErr != nil || string(got) != string(want) {
			t.Fatalf("%v: appendTimeText = %q; AppendText = %q, %v", tm, got, want, wantErr)
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, loc := range zones {
		for y := 1968; y <= 10001; y++ {
			// Every year: its first and last instants and a random one.
			start := time.Date(y, 1, 1, 0, 0, 0, 0, loc)
			check(start)
			check(start.Add(-1))
			check(start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))))
			if y%97 == 0 {
				// Every day of some years, leap and not: month ends, Feb 29.
				for d := time.Date(y, 1, 1, 23, 59, 59, 999999999, loc); d.Year() == y; d = d.AddDate(0, 0, 1) {
					check(d)
					check(d.Add(1))
				}
			}
		}
		for _, d := range []time.Time{
			time.Date(1970, 1, 1, 0, 0, 0, 0, loc), time.Date(1969, 12, 31, 23, 59, 59, 999999999, loc),
			time.Date(2000, 2, 29, 12, 0, 0, 100, loc), time.Date(2100, 2, 28, 23, 59, 59, 0, loc),
			time.Date(2100, 3, 1, 0, 0, 0, 0, loc), time.Date(9999, 12, 31, 23, 59, 59, 999999999, loc),
			time.Date(10000, 1, 1, 0, 0, 0, 0, loc), time.Unix(0, 0).In(loc), time.Unix(maxTimeText, 0).In(loc),
		} {
			check(d)
		}
		for range 20000 {
			check(time.Unix(r.Int64N(maxTimeText+2*86400)-86400, r.Int64N(1e9)).In(loc))
		}
	}
}

func TestBatchJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		b := &Batch{Writer: randString(r), Seq: r.Uint64()}
		switch i % 3 {
		case 0: // nil Events
		case 1:
			b.Events = []Event{}
		default:
			for range r.IntN(10) + 1 {
				b.Events = append(b.Events, randEvent(r))
			}
		}
		want, _ := json.Marshal(b)
		got, err := appendBatchJSON(nil, b)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("appendBatchJSON = %s, %v\nwant %s", got, err, want)
		}
	}
	b := &Batch{Writer: "w", Seq: 1, Events: []Event{{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	if got, err := appendBatchJSON([]byte("x"), b); err == nil || string(got) != "x" {
		t.Fatalf("unencodable event: %q, %v; want an error and dst unchanged", got, err)
	}
}

func TestEventJSONAllocs(t *testing.T) {
	ev := benchEvents(4)[3]
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { buf, _ = appendEventJSON(buf[:0], &ev) }); n != 0 {
		t.Fatalf("appendEventJSON allocates %v times into a big enough buffer; want 0", n)
	}
}

// FuzzEventJSON: arbitrary strings and click_ids keys must encode exactly as
// encoding/json does.
//
//	go test -run XXX -fuzz FuzzEventJSON -fuzztime 30s ./internal/track/
func FuzzEventJSON(f *testing.F) {
	f.Add("01J0000000000000000000000", "abc", "wechat", "gdt_vid", "wx0", "utm_source", "<&>", false, int64(1764037800123456789), 8*3600)
	f.Add("\xff", "\u2028", "\x00", "", "", "\xc3", "\"\\", true, int64(-62135596800000000000/1e9), -3600)
	for _, s := range oddStrings {
		f.Add(s, s, s, s, s, s+"2", s, true, int64(0), 0)
	}
	f.Fuzz(func(t *testing.T, visit, code, app, k1, v1, k2, v2 string, bot bool, unixNano int64, offset int) {
		ev := Event{
			VisitID: visit, Time: time.Unix(0, unixNano).In(time.FixedZone("z", offset%(30*3600))),
			Code: code, Campaign: k1, EntityKind: v2, App: app, OS: v1, Device: k2, Scene: code + app,
			Bot: bot, Action: visit, Referrer: k2 + v2, IP: v1,
			ClickIDs: map[string]string{k1: v1, k2: v2, k1 + k2: app},
		}
		if len(visit)%5 == 0 {
			ev.ClickIDs = nil
		}
		checkEventJSON(t, &ev)
		if got, err := json.Marshal(&ev); err == nil {
			var back Event
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("output does not decode: %v", err)
			}
		}
	})
}
