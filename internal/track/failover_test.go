package track

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
)

// TestSentinelFailoverNoEventLost: taps recorded without pause while a
// real Sentinel set does a planned failover. With MinReplicas 1 a batch
// counts as written only once the replica has it, so the batches the old
// master acknowledged in its last second (lost in its resync, as issue 23
// measured: 3.3 %) are spilled and replayed instead: every tap is in the
// log once and counted once.
func TestSentinelFailoverNoEventLost(t *testing.T) {
	// Own servers, mostly waiting on them: runs beside the package's other
	// parallel tests (after the sequential ones, so no allocation count is
	// disturbed).
	t.Parallel()
	s := testredis.StartSentinel(t, 1)
	rdb, err := redisconn.New(s.URL(), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	sink := NewRedisSink(rdb, RedisConfig{Stream: "hutong:fo:events", MinReplicas: 1})
	r, err := New(sink, Config{SpillDir: t.TempDir(), BatchSize: 64, FlushInterval: 10 * time.Millisecond,
		WriteTimeout: time.Second, RetryInterval: 50 * time.Millisecond, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	var n atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			i := int(n.Add(1)) - 1
			ev := tap(i, "fo", at)
			ev.VisitID = NewVisitID()
			r.Record(&ev)
			time.Sleep(200 * time.Microsecond)
		}
	}()
	time.Sleep(time.Second)
	old, err := s.Failover()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.WaitPromotion(old, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	// Batches the old master took but no replica confirmed wait in the
	// spill file until a replica is back, then replay.
	waitFor(t, 60*time.Second, "every tap written", func() bool { return int64(len(allEvents(t, sink))) >= n.Load() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := n.Load()
	if r.Dropped() != 0 {
		t.Fatalf("dropped %d", r.Dropped())
	}
	seen := map[string]bool{}
	for _, e := range allEvents(t, sink) {
		if seen[e.VisitID] {
			t.Fatalf("visit %s twice", e.VisitID)
		}
		seen[e.VisitID] = true
	}
	st, err := sink.Stats(ctx, "fo", at.Add(-time.Hour), at.Add(time.Hour), "day")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d taps across the failover: %d in the log, %d counted", want, len(seen), st.Total)
	if int64(len(seen)) != want || st.Total != want {
		t.Fatalf("%d taps; log has %d, stats count %d: want all of them once", want, len(seen), st.Total)
	}
}
