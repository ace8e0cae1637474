package track

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// counterModel is what the counters must hold: group key as aggregateRef
// names it ("link:<code>:d:<day>", "camp:<c>:h:<hour>") → field → value.
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

// bucketOf is where a model group lives in version 2: the bucket hash of
// the shard (a link's own shard; a campaign's counters are in every shard
// its links' taps went to, so all shards) and the field.
func bucketOf(sink *RedisSink, group string) (keys []string, field string) {
	parts := strings.Split(group, ":") // scope, id (may hold ":"), gran, bucket
	n := len(parts)
	scope, id, bucket := parts[0], strings.Join(parts[1:n-2], ":"), parts[n-2]+":"+parts[n-1]
	if scope == "camp" {
		for i := range sink.tags {
			keys = append(keys, sink.tags[i]+":"+bucket)
		}
		return keys, bucketFieldCamp + id
	}
	return []string{sink.tags[sink.shardOf(id)] + ":" + bucket}, bucketFieldLink + id
}

// check compares every modelled group with the raw bucket values (summed
// over shards for campaigns), and each bucket's TTL with the configured one.
func (m counterModel) check(t *testing.T, sink *RedisSink) {
	t.Helper()
	ctx := context.Background()
	for g, want := range m {
		keys, field := bucketOf(sink, g)
		got := map[string]int64{}
		for _, k := range keys {
			v, err := sink.rdb.HGet(ctx, k, field).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				t.Fatal(err)
			}
			parseCounters(v, got)
			if err == nil {
				ttl, err := sink.rdb.TTL(ctx, k).Result()
				max := sink.cfg.DayTTL
				if strings.Contains(k, "}:h:") {
					max = sink.cfg.HourTTL
				}
				if err != nil || ttl <= max-time.Minute || ttl > max {
					t.Fatalf("%s: TTL %v, %v; want about %v", k, ttl, err, max)
				}
			}
		}
		if !maps.Equal(got, want) {
			t.Fatalf("%s (%s of %v):\n got %v\nwant %v", g, field, keys, got, want)
		}
	}
}

// TestRedisCounterSums writes counters over many batches on 1 and 4
// shards — links new to a bucket, existing ones, values a test put there
// (with a field no batch writes), hundreds of distinct fields, dimension
// values holding the separators — and every value must be the exact sum.
// A replayed batch changes nothing.
func TestRedisCounterSums(t *testing.T) {
	rdb := testClient(t)
	for _, shards := range []int{1, 4} {
		t.Run("shards="+strconv.Itoa(shards), func(t *testing.T) {
			sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb), Shards: shards})
			ctx := context.Background()
			r := rand.New(rand.NewPCG(7, uint64(shards)))
			base := time.Date(2026, 11, 25, 9, 40, 0, 0, ChinaTime)
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
			for i := range 8 {
				write(randBatch(r, 150, base.Add(time.Duration(i)*25*time.Minute)))
			}
			model.check(t, sink)

			// A value already there, with a field no batch writes.
			keys, field := bucketOf(sink, "link:k:d:20261125")
			if err := rdb.HSet(ctx, keys[0], field, "total=9007199254740000,human=5,foreign=7").Err(); err != nil {
				t.Fatal(err)
			}
			model["link:k:d:20261125"] = map[string]int64{"total": 9007199254740000, "human": 5, "foreign": 7}
			evs := []Event{tap(1, "k", base), tap(2, "k", base), tap(3, "k2", base)}
			evs[1].Bot = true
			evs[2].Scene = "a,b=c" // separators in a value: stored as "_"
			write(evs)
			model["link:k2:d:20261125"]["scene:a_b_c"] = model["link:k2:d:20261125"]["scene:a,b=c"]
			delete(model["link:k2:d:20261125"], "scene:a,b=c")
			model["link:k2:h:2026112509"]["scene:a_b_c"] = model["link:k2:h:2026112509"]["scene:a,b=c"]
			delete(model["link:k2:h:2026112509"], "scene:a,b=c")
			for _, g := range []string{"camp:camp-k2:d:20261125", "camp:camp-k2:h:2026112509"} {
				model[g]["scene:a_b_c"] = model[g]["scene:a,b=c"]
				delete(model[g], "scene:a,b=c")
			}
			model.check(t, sink)

			// Hundreds of fields for one link, twice.
			wide := make([]Event, 600)
			for i := range wide {
				wide[i] = tap(i, "wide", base)
				wide[i].App, wide[i].OS = "app"+strconv.Itoa(i), "os"+strconv.Itoa(i%50)
			}
			write(wide)
			write(cloneEvents(wide))
			model.check(t, sink)

			logged := len(allEvents(t, sink))
			entries := streamEntries(t, rdb, sink)
			applied, err := sink.WriteBatch(ctx, &Batch{Writer: "w", Seq: seq, Events: wide})
			if err != nil || applied {
				t.Fatalf("replay: applied=%v err=%v; want false", applied, err)
			}
			model.check(t, sink)
			// The replay's XADD ran in the transaction and was deleted again.
			if got := len(allEvents(t, sink)); got != logged {
				t.Fatalf("replay: %d events in the log; want %d as before", got, logged)
			}
			if got := streamEntries(t, rdb, sink); got != entries {
				t.Fatalf("replay: %d stream entries; want %d as before", got, entries)
			}

		})
	}
}

// streamEntries counts the entries of all the sink's shard streams.
func streamEntries(t *testing.T, rdb redis.UniversalClient, sink *RedisSink) int64 {
	t.Helper()
	var n int64
	for _, tag := range sink.tags {
		c, err := rdb.XLen(context.Background(), tag).Result()
		if err != nil {
			t.Fatal(err)
		}
		n += c
	}
	return n
}

func cloneEvents(evs []Event) []Event { return append([]Event(nil), evs...) }

// TestRedisStatsAcrossShards: a link's stats read its shard, a campaign's
// every shard; totals are exact.
func TestRedisStatsAcrossShards(t *testing.T) {
	rdb := testClient(t)
	sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb), Shards: 5})
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	var evs []Event
	for i := range 500 {
		ev := tap(i, "c"+strconv.Itoa(i%37), at.Add(time.Duration(i)*time.Second))
		ev.Campaign = "big"
		evs = append(evs, ev)
	}
	if _, err := sink.WriteBatch(ctx, &Batch{Writer: "w", Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	st, err := sink.CampaignStats(ctx, "big", at.Add(-time.Hour), at.Add(time.Hour), "hour")
	if err != nil || st.Total != 500 || st.Human != 500 {
		t.Fatalf("campaign stats %+v, %v; want 500 taps", st, err)
	}
	var sum int64
	for i := range 37 {
		st, err := sink.Stats(ctx, "c"+strconv.Itoa(i), at.Add(-time.Hour), at.Add(time.Hour), "day")
		if err != nil {
			t.Fatal(err)
		}
		sum += st.Total
	}
	if sum != 500 {
		t.Fatalf("links' totals sum to %d; want 500", sum)
	}
	// No key per link: per shard a stream, a writer mark, a day and an
	// hour bucket.
	n := 0
	iter := rdb.Scan(ctx, 0, "{"+globEscape(sink.cfg.Stream)+":*", 1000).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if n != 5*4 {
		t.Fatalf("%d keys for 37 links on 5 shards; want 20 (no key per link)", n)
	}
}

// TestRedisWriteBatchNoScript: a server whose script cache was emptied (a
// restart, a failover, SCRIPT FLUSH) takes the next batch, on one shard
// and on several.
func TestRedisWriteBatchNoScript(t *testing.T) {
	rdb := testClient(t)
	for _, shards := range []int{1, 3} {
		if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb), Shards: shards})
		at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
		evs := []Event{tap(1, "ns", at), tap(2, "ns2", at), tap(3, "ns3", at)}
		applied, err := sink.WriteBatch(context.Background(), &Batch{Writer: "w", Seq: 1, Events: evs})
		if err != nil || !applied {
			t.Fatalf("shards=%d: applied=%v err=%v", shards, applied, err)
		}
		model := counterModel{}
		model.add(aggregateRef(evs, ChinaTime))
		model.check(t, sink)
		if got := allEvents(t, sink); len(got) != 3 {
			t.Fatalf("shards=%d: %d events; want 3", shards, len(got))
		}
	}
}

// TestRedisBucketTTL: a bucket that lost its TTL, or holds a longer one
// than configured, gets the configured TTL back from the next batch that
// writes it; a shorter one is left alone.
func TestRedisBucketTTL(t *testing.T) {
	rdb := testClient(t)
	sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb)})
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	write := func(seq uint64, code string, at time.Time) {
		t.Helper()
		if applied, err := sink.WriteBatch(ctx, &Batch{Writer: "w", Seq: seq, Events: []Event{tap(0, code, at)}}); err != nil || !applied {
			t.Fatalf("batch %d: applied=%v err=%v", seq, applied, err)
		}
	}
	ttl := func(k string) time.Duration {
		t.Helper()
		d, err := rdb.TTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	day, hour := sink.tags[0]+":d:20261125", sink.tags[0]+":h:2026112510"
	write(1, "r", at)
	if err := rdb.Persist(ctx, day).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Expire(ctx, hour, 30*24*time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	write(2, "other", at)
	if d := ttl(day); d <= sink.cfg.DayTTL-time.Minute || d > sink.cfg.DayTTL {
		t.Errorf("%s: TTL %v; want about %v back", day, d, sink.cfg.DayTTL)
	}
	if d := ttl(hour); d <= sink.cfg.HourTTL-time.Minute || d > sink.cfg.HourTTL {
		t.Errorf("%s: TTL %v; want about %v back", hour, d, sink.cfg.HourTTL)
	}
	if err := rdb.Expire(ctx, hour, 100*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	write(3, "r", at)
	if d := ttl(hour); d <= 0 || d > 100*time.Second {
		t.Errorf("%s: TTL %v; want the shorter 100s kept", hour, d)
	}
}

// TestRedisLayout: the meta key records shards; another count is refused
// with a message naming the flag; a database with version 1 data keeps its
// stats readable beside the new buckets.
func TestRedisLayout(t *testing.T) {
	rdb := testClient(t)
	ctx := context.Background()
	stream := testStream(t, rdb)
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	// Version 1's counters for a link and a campaign, and its writers hash.
	v1 := "{" + stream + "}:"
	rdb.HSet(ctx, v1+"writers", "old", 9)
	rdb.HSet(ctx, v1+"link:up:d:20261125", "total", 40, "human", 38, "bot", 2, "app:wechat", 30)
	rdb.HSet(ctx, v1+"camp:camp-up:d:20261125", "total", 40, "human", 38, "bot", 2)
	clock := at.Add(time.Hour)
	sink := NewRedisSink(rdb, RedisConfig{Stream: stream, Shards: 2, Now: func() time.Time { return clock }})
	if _, err := sink.WriteBatch(ctx, &Batch{Writer: "w", Seq: 1, Events: []Event{tap(0, "up", at.Add(2*time.Hour)), tap(3, "up", at.Add(2*time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	st, err := sink.Stats(ctx, "up", at.Add(-24*time.Hour), at.Add(24*time.Hour), "day")
	if err != nil || st.Total != 42 || st.Human != 40 || st.Breakdown["app"]["wechat"] != 32 {
		t.Fatalf("stats %+v, %v; want version 1's 40 taps plus 2 new", st, err)
	}
	cst, err := sink.CampaignStats(ctx, "camp-up", at.Add(-24*time.Hour), at.Add(24*time.Hour), "day")
	if err != nil || cst.Total != 42 {
		t.Fatalf("campaign stats %+v, %v; want 42", cst, err)
	}
	other := NewRedisSink(rdb, RedisConfig{Stream: stream, Shards: 3})
	_, err = other.WriteBatch(ctx, &Batch{Writer: "w2", Seq: 1, Events: []Event{tap(0, "up", at)}})
	if !errors.Is(err, ErrLayout) || !strings.Contains(err.Error(), "--events-shards 2") {
		t.Fatalf("3 shards on a 2-shard store: %v; want ErrLayout naming --events-shards 2", err)
	}
}

// TestRedisRetention: a batch record older than Retention is trimmed by a
// later write (MINID ~: records bigger than a stream node go one by one).
func TestRedisRetention(t *testing.T) {
	rdb := testClient(t)
	ctx := context.Background()
	now := time.Now()
	// The stream's entry IDs are Redis's clock: the test waits out a short
	// retention rather than moving a clock of its own.
	// Plain lines: 30 near-identical events gzip to a few hundred bytes,
	// and records that small share stream nodes, which MINID ~ trims whole.
	sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb), Retention: 500 * time.Millisecond, Encoding: EncodingNone})
	big := func(seq uint64) *Batch {
		evs := make([]Event, 30) // ~12 KB: more than a stream node's 4 KB
		for i := range evs {
			evs[i] = tap(i, "ret", now)
		}
		return &Batch{Writer: "w", Seq: seq, Events: evs}
	}
	for seq := uint64(1); seq <= 3; seq++ {
		if _, err := sink.WriteBatch(ctx, big(seq)); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.XLen(ctx, sink.StreamKey(0)).Val(); n != 3 {
		t.Fatalf("XLEN %d; want 3", n)
	}
	time.Sleep(700 * time.Millisecond) // the three are past the retention now
	if _, err := sink.WriteBatch(ctx, big(4)); err != nil {
		t.Fatal(err)
	}
	if n := rdb.XLen(ctx, sink.StreamKey(0)).Val(); n != 1 {
		t.Fatalf("XLEN %d after the retention passed; want 1 (the new record)", n)
	}
	evs := allEvents(t, sink)
	if len(evs) != 30 || evs[0].ID != EventID("w", 4, 0) {
		t.Fatalf("%d events, first %q; want batch 4's 30", len(evs), evs[0].ID)
	}
}

// TestRedisCounterWriteRaces: the sink merges counters in Go from what it
// read and the script stores the result only where the field still holds
// what was read. Another writer's batch between the read and the write
// (on the same links, a field deleted, a field rewritten in the old text
// form) must still end in exact sums; so must writers racing freely.
func TestRedisCounterWriteRaces(t *testing.T) {
	rdb := testClient(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 25, 9, 40, 0, 0, ChinaTime)
	for _, shards := range []int{1, 3} {
		t.Run("between/shards="+strconv.Itoa(shards), func(t *testing.T) {
			stream := testStream(t, rdb)
			a := NewRedisSink(rdb, RedisConfig{Stream: stream, Shards: shards})
			b := NewRedisSink(rdb, RedisConfig{Stream: stream, Shards: shards})
			r := rand.New(rand.NewPCG(11, uint64(shards)))
			model := counterModel{}
			var seqA, seqB uint64
			writeB := func(evs []Event) {
				seqB++
				for i := range evs {
					evs[i].VisitID = newVisitIDAt(evs[i].Time)
				}
				if ok, err := b.WriteBatch(ctx, &Batch{Writer: "b", Seq: seqB, Events: evs}); err != nil || !ok {
					t.Errorf("writer b batch %d: applied=%v err=%v", seqB, ok, err)
				}
				model.add(aggregateRef(evs, ChinaTime))
			}
			// Both writers start with counters in place.
			first := randBatch(r, 120, base)
			writeB(first)
			round := 0
			a.betweenReadAndWrite = func() {
				round++
				switch round % 3 {
				case 0: // the same links and clients again
					writeB(cloneEvents(first))
				case 1: // another mix, overlapping
					writeB(randBatch(r, 80, base))
				case 2: // a field gone (deleted by hand), one in the old text form
					keys, field := bucketOf(a, "link:"+first[0].Code+":d:20261125")
					if err := rdb.HDel(ctx, keys[0], field).Err(); err != nil {
						t.Error(err)
					}
					delete(model, "link:"+first[0].Code+":d:20261125")
					keys, field = bucketOf(a, "link:"+first[1].Code+":h:2026112509")
					if err := rdb.HSet(ctx, keys[0], field, "total=3,human=2,foreign=1").Err(); err != nil {
						t.Error(err)
					}
					model["link:"+first[1].Code+":h:2026112509"] = map[string]int64{"total": 3, "human": 2, "foreign": 1}
				}
			}
			for range 6 {
				seqA++
				evs := randBatch(r, 150, base)
				evs = append(evs, cloneEvents(first[:20])...)
				for i := range evs {
					evs[i].VisitID = newVisitIDAt(evs[i].Time)
				}
				if ok, err := a.WriteBatch(ctx, &Batch{Writer: "a", Seq: seqA, Events: evs}); err != nil || !ok {
					t.Fatalf("writer a batch %d: applied=%v err=%v", seqA, ok, err)
				}
				model.add(aggregateRef(evs, ChinaTime))
			}
			model.check(t, a)
		})
	}
	t.Run("free", func(t *testing.T) {
		stream := testStream(t, rdb)
		const writers, batches = 4, 12
		models := make([]counterModel, writers)
		errs := make(chan error, writers)
		for w := range writers {
			go func() {
				sink := NewRedisSink(rdb, RedisConfig{Stream: stream})
				r := rand.New(rand.NewPCG(uint64(w), 99))
				models[w] = counterModel{}
				for seq := uint64(1); seq <= batches; seq++ {
					evs := randBatch(r, 100, base) // few links: every batch overlaps the others
					for i := range evs {
						evs[i].VisitID = newVisitIDAt(evs[i].Time)
					}
					if ok, err := sink.WriteBatch(ctx, &Batch{Writer: "w" + strconv.Itoa(w), Seq: seq, Events: evs}); err != nil || !ok {
						errs <- errors.New("writer " + strconv.Itoa(w) + ": " + strconv.FormatBool(ok) + " " + errString(err))
						return
					}
					models[w].add(aggregateRef(evs, ChinaTime))
				}
				errs <- nil
			}()
		}
		for range writers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		model := counterModel{}
		for _, m := range models {
			for k, fs := range m {
				model.add(map[string]map[string]int64{k: fs})
			}
		}
		model.check(t, NewRedisSink(rdb, RedisConfig{Stream: stream}))
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
