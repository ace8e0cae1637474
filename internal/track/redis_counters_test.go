package track

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"
)

// counterModel is what the counter hashes must hold: key (unprefixed) →
// field → value (every value in these tests fits in an int64).
type counterModel map[string]map[string]int64

func (m counterModel) add(deltas map[string]map[string]int64) {
	for k, fs := range deltas {
		if m[k] == nil {
			m[k] = map[string]int64{}
		}
		for f, n := range fs {
			m[k][f] += n
		}
	}
}

// keptTTL records the TTLs a test gave counter hashes itself (key →
// at most this long; -1: none): the script sets a TTL only on the hashes it
// creates and leaves an existing hash's TTL alone.
var keptTTL = map[string]time.Duration{}

// check compares every modelled hash with HGETALL, value for value as
// strings (so 1.2345678901234e+14 or a value off by one at 2^53 fails), and
// its TTL with the sink's day or hour TTL (or what keptTTL says).
func (m counterModel) check(t *testing.T, sink *RedisSink) {
	t.Helper()
	ctx := context.Background()
	for k, fs := range m {
		got, err := sink.rdb.HGetAll(ctx, sink.prefix+k).Result()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for f, n := range fs {
			want[f] = strconv.FormatInt(n, 10)
		}
		if !maps.Equal(got, want) {
			for f, v := range want {
				if got[f] != v {
					t.Errorf("%s %s = %q; want %q", k, f, got[f], v)
				}
			}
			for f, v := range got {
				if _, ok := want[f]; !ok {
					t.Errorf("%s %s = %q; want no such field", k, f, v)
				}
			}
			t.FailNow()
		}
		ttl, err := sink.rdb.TTL(ctx, sink.prefix+k).Result()
		if kept, ok := keptTTL[k]; ok {
			if err != nil || (kept < 0 && ttl != -1) || (kept > 0 && (ttl <= 0 || ttl > kept)) {
				t.Fatalf("%s: TTL %v, %v; want the TTL the test set (%v) kept", k, ttl, err, kept)
			}
			continue
		}
		max := sink.cfg.DayTTL
		if strings.Contains(k, ":h:") {
			max = sink.cfg.HourTTL
		}
		if err != nil || ttl <= max-time.Minute || ttl > max {
			t.Fatalf("%s: TTL %v, %v; want about %v", k, ttl, err, max)
		}
	}
}

// TestRedisCounterSums writes the same counters over several batches while
// the hashes are new, exist, lack some of the fields, hold values near and
// beyond 2^53 (where a Lua number is no longer exact), hold fields no batch
// writes, have lost or shortened their TTL (which the script keeps: it sets
// TTLs on the hashes it creates), and span more than one HMGET or HSET
// chunk; every value must be exactly what HINCRBY per field leaves.
func TestRedisCounterSums(t *testing.T) {
	rdb := testClient(t)
	sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb)})
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	model := counterModel{}
	seq := uint64(0)
	write := func(evs []Event) {
		t.Helper()
		seq++
		for i := range evs {
			evs[i].VisitID = newVisitIDAt(evs[i].Time)
		}
		applied, err := sink.WriteBatch(ctx, &Batch{Writer: "w", Seq: seq, Events: evs})
		if err != nil || !applied {
			t.Fatalf("batch %d: applied=%v err=%v", seq, applied, err)
		}
		model.add(aggregateRef(evs, ChinaTime))
	}
	set := func(key, field string, v int64) {
		t.Helper()
		if err := rdb.HSet(ctx, sink.prefix+key, field, v).Err(); err != nil {
			t.Fatal(err)
		}
		if model[key] == nil {
			model[key] = map[string]int64{}
		}
		model[key][field] = v
	}
	del := func(key, field string) {
		t.Helper()
		if err := rdb.HDel(ctx, sink.prefix+key, field).Err(); err != nil {
			t.Fatal(err)
		}
		delete(model[key], field)
	}
	// batch: code k with its day and hour hash (same increments), code k2
	// with taps in two hours (day and hour hashes differ), code m with two
	// like taps in two hours (day and hour hashes with the same fields but
	// not the same increments), a bot.
	batch := func(apps ...string) []Event {
		var evs []Event
		for i, app := range apps {
			ev := tap(i, "k", at.Add(time.Duration(i)*time.Second))
			ev.App = app
			evs = append(evs, ev)
			ev2 := tap(i, "k2", at.Add(time.Duration(i)*40*time.Minute))
			ev2.App = app
			evs = append(evs, ev2)
		}
		bot := tap(99, "k", at)
		bot.Bot = true
		return append(evs, bot, tap(0, "m", at), tap(0, "m", at.Add(time.Hour)))
	}

	write(batch("wechat", "qq", "wechat")) // new hashes: HSET
	model.check(t, sink)

	const near = 9007199254740000 // below 2^53 = 9007199254740992
	set("link:k:d:20261125", "total", near)
	set("link:k:d:20261125", "human", 123456789012)
	set("link:k:d:20261125", "foreign", 7) // no batch writes it
	del("link:k:d:20261125", "app:wechat")
	set("link:k:h:2026112510", "total", 1<<53-1) // the sums are odd, past 2^53
	set("link:k:h:2026112510", "os:ios", -5)
	set("camp:camp-k:d:20261125", "total", 9223372036854775000) // near int64's max
	set("camp:camp-k:d:20261125", "human", 999999999999999)
	del("camp:camp-k:h:2026112510", "bot")
	if err := rdb.Persist(ctx, sink.prefix+"link:k:d:20261125").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Expire(ctx, sink.prefix+"link:k:h:2026112510", 100*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	keptTTL["link:k:d:20261125"], keptTTL["link:k:h:2026112510"] = -1, 100*time.Second
	t.Cleanup(func() { clear(keptTTL) })
	write(batch("wechat", "taobao", "qq")) // existing hashes, some fields new
	model.check(t, sink)
	write(batch("weibo"))
	model.check(t, sink)

	// A hash of > 1000 fields: chunked HSET when new, chunked HMGET and
	// HSET when it exists, and one chunk over 2^53 while the other is not.
	wide := func() []Event {
		evs := make([]Event, 1200)
		for i := range evs {
			evs[i] = tap(i, "wide", at)
			evs[i].App = "app" + strconv.Itoa(i)
		}
		return evs
	}
	write(wide())
	write(wide())
	if n := len(model["link:wide:d:20261125"]); n < 1100 {
		t.Fatalf("wide hash has %d fields; the test wants > 1000", n)
	}
	set("link:wide:h:2026112510", "app:app1100", 1<<53) // + 1: not a double
	write(wide())
	model.check(t, sink)
	if v := model["link:wide:h:2026112510"]["app:app1100"]; v <= 1<<53 {
		t.Fatalf("app:app1100 = %d; the test wants it past 2^53", v)
	}

	// A replayed batch changes nothing.
	applied, err := sink.WriteBatch(ctx, &Batch{Writer: "w", Seq: seq, Events: wide()})
	if err != nil || applied {
		t.Fatalf("replay: applied=%v err=%v; want false", applied, err)
	}
	model.check(t, sink)
}

// TestRedisWriteBatchNoScript: a server without the script cached (a
// restart, a failover) gets it by EVAL.
func TestRedisWriteBatchNoScript(t *testing.T) {
	rdb := testClient(t)
	sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb)})
	defer func(sha any) { writeScriptSHA = sha }(writeScriptSHA)
	writeScriptSHA = strings.Repeat("0", 40)
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	evs := []Event{tap(1, "ns", at), tap(2, "ns", at)}
	applied, err := sink.WriteBatch(context.Background(), &Batch{Writer: "w", Seq: 1, Events: evs})
	if err != nil || !applied {
		t.Fatalf("applied=%v err=%v", applied, err)
	}
	model := counterModel{}
	model.add(aggregateRef(evs, ChinaTime))
	model.check(t, sink)
	if got := allEvents(t, sink); len(got) != 2 {
		t.Fatalf("%d events; want 2", len(got))
	}
}

// TestRedisCounterTTLRefresh: a counter hash that lost its TTL, or holds a
// longer one than configured, keeps it through ordinary batches and gets
// the configured TTL back from the writer's next refresh batch (every
// ttlRefreshEvery-th seq); a shorter TTL is left alone.
func TestRedisCounterTTLRefresh(t *testing.T) {
	rdb := testClient(t)
	sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb)})
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	write := func(seq uint64) {
		t.Helper()
		evs := []Event{tap(0, "r", at), tap(1, "short", at)}
		for i := range evs {
			evs[i].VisitID = newVisitIDAt(evs[i].Time)
		}
		if applied, err := sink.WriteBatch(ctx, &Batch{Writer: "w", Seq: seq, Events: evs}); err != nil || !applied {
			t.Fatalf("batch %d: applied=%v err=%v", seq, applied, err)
		}
	}
	ttl := func(k string) time.Duration {
		t.Helper()
		d, err := rdb.TTL(ctx, sink.prefix+k).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	day, hour, short := "link:r:d:20261125", "link:r:h:2026112510", "link:short:d:20261125"
	write(1)
	if err := rdb.Persist(ctx, sink.prefix+day).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Expire(ctx, sink.prefix+hour, 30*24*time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Expire(ctx, sink.prefix+short, 100*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	write(2) // an ordinary batch leaves existing TTLs alone
	if d := ttl(day); d != -1 {
		t.Fatalf("%s after an ordinary batch: TTL %v; want none (kept)", day, d)
	}
	if d := ttl(hour); d <= sink.cfg.HourTTL {
		t.Fatalf("%s after an ordinary batch: TTL %v; want the 30 days set by hand (kept)", hour, d)
	}
	write(ttlRefreshEvery) // a refresh batch mends both
	if d := ttl(day); d <= sink.cfg.DayTTL-time.Minute || d > sink.cfg.DayTTL {
		t.Errorf("%s after a refresh batch: TTL %v; want about %v", day, d, sink.cfg.DayTTL)
	}
	if d := ttl(hour); d <= sink.cfg.HourTTL-time.Minute || d > sink.cfg.HourTTL {
		t.Errorf("%s after a refresh batch: TTL %v; want about %v", hour, d, sink.cfg.HourTTL)
	}
	if d := ttl(short); d <= 0 || d > 100*time.Second {
		t.Errorf("%s after a refresh batch: TTL %v; want the shorter 100s kept", short, d)
	}
}
