package track

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
)

// TestRedisClusterShards: on a real 6-node Redis Cluster the sink's eight
// shards land on several masters, every batch's parts are one script per
// shard (no CROSSSLOT), a replayed batch applies nothing, and the log and
// stats read back every event exactly across the shards.
func TestRedisClusterShards(t *testing.T) {
	// Own servers, mostly waiting on them: runs beside the package's other
	// parallel tests (after the sequential ones, so no allocation count is
	// disturbed).
	t.Parallel()
	c := testredis.StartCluster(t)
	rdb, err := redisconn.New(c.URL(), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx := context.Background()
	sink := NewRedisSink(rdb, RedisConfig{Shards: 8})
	at := time.Now().In(ChinaTime)
	const batches, per, codes = 12, 300, 97
	n := 0
	for seq := uint64(1); seq <= batches; seq++ {
		evs := make([]Event, per)
		for i := range evs {
			evs[i] = tap(n, "k"+strconv.Itoa(n%codes), at)
			evs[i].VisitID = NewVisitID()
			n++
		}
		b := &Batch{Writer: "cw", Seq: seq, Events: evs}
		if applied, err := sink.WriteBatch(ctx, b); err != nil || !applied {
			t.Fatalf("batch %d: applied=%v err=%v", seq, applied, err)
		}
		if applied, err := sink.WriteBatch(ctx, b); err != nil || applied {
			t.Fatalf("batch %d again: applied=%v err=%v; want a skip", seq, applied, err)
		}
	}
	masters := map[string]bool{}
	for i := range sink.Shards() {
		m, err := c.MasterFor(sink.StreamKey(i))
		if err != nil {
			t.Fatal(err)
		}
		masters[m.Addr()] = true
	}
	if len(masters) < 2 {
		t.Fatalf("8 shards on %d master(s); want them spread", len(masters))
	}
	evs := allEvents(t, sink)
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.ID] {
			t.Fatalf("event %s twice", e.ID)
		}
		seen[e.ID] = true
	}
	if len(seen) != n {
		t.Fatalf("log has %d events; want %d", len(seen), n)
	}
	var total int64
	for i := range codes {
		st, err := sink.Stats(ctx, "k"+strconv.Itoa(i), at.Add(-time.Hour), at.Add(time.Hour), "hour")
		if err != nil {
			t.Fatal(err)
		}
		total += st.Total
	}
	if total != int64(n) {
		t.Fatalf("stats total %d; want %d", total, n)
	}
}
