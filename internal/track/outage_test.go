package track

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/testredis"
	"github.com/redis/go-redis/v9"
)

// TestOutageSpillReplay stops Redis mid-run: taps keep being recorded (they
// spill), Redis comes back (empty: the throwaway server has no persistence)
// and every tap recorded from the stop on arrives exactly once, in order.
func TestOutageSpillReplay(t *testing.T) {
	// Own servers, mostly waiting on them: runs beside the package's other
	// parallel tests (after the sequential ones, so no allocation count is
	// disturbed).
	t.Parallel()
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer srv.Stop()
	rdb := redis.NewClient(&redis.Options{
		Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
	})
	defer rdb.Close()
	sink := NewRedisSink(rdb, RedisConfig{Stream: "hutong:outage:events"})
	spillDir := t.TempDir()
	r, err := New(sink, Config{SpillDir: spillDir, BatchSize: 50, FlushInterval: 10 * time.Millisecond,
		WriteTimeout: 500 * time.Millisecond, RetryInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, ChinaTime)
	n := 0
	record := func(k int, pause time.Duration) {
		for range k {
			ev := tap(n, "out", at.Add(time.Duration(n)*time.Millisecond))
			ev.ClickIDs = map[string]string{"gdt_vid": "g"}
			r.Record(&ev)
			n++
			time.Sleep(pause)
		}
	}
	record(200, 0)
	waitFor(t, 5*time.Second, "200 events before the stop", func() bool { return len(allEvents(t, sink)) == 200 })
	stopAt := n

	srv.Stop()
	record(300, 200*time.Microsecond)
	spillFile := filepath.Join(spillDir, SpillFileName)
	waitFor(t, 5*time.Second, "events spilled to disk", func() bool {
		fi, err := os.Stat(spillFile)
		return err == nil && fi.Size() > 0
	})
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	record(200, 100*time.Microsecond) // some go behind the spill, some after replay
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Dropped() != 0 {
		t.Fatalf("dropped %d; want 0", r.Dropped())
	}
	if fi, err := os.Stat(spillFile); err != nil || fi.Size() != 0 {
		t.Fatalf("spill file after Close: %v, %v; want empty (replayed)", fi, err)
	}
	// The restarted server lost the pre-stop events; everything from the
	// stop on must be there exactly once and in order. The stream may also
	// hold the last pre-stop batch: when Stop kills the server after it ran
	// the batch but before the writer read the reply, the writer sees EOF,
	// spills and replays it into the (wiped) server — at-least-once is the
	// right call there, since the server lost it.
	evs := allEvents(t, sink)
	seen := map[string]int{}
	for i, se := range evs {
		if j, dup := seen[se.Event.VisitID]; dup {
			t.Fatalf("duplicate %s at %d and %d", se.Event.VisitID, j, i)
		}
		seen[se.Event.VisitID] = i
	}
	first := n - len(evs)
	if first > stopAt || first < stopAt-50 {
		t.Fatalf("got %d events after restart; want taps %d..%d exactly once (plus at most the last pre-stop batch)", len(evs), stopAt, n-1)
	}
	for i, se := range evs {
		if want := tap(first+i, "out", at).VisitID; se.Event.VisitID != want {
			t.Fatalf("event %d = %s; want %s", i, se.Event.VisitID, want)
		}
	}
	st, err := sink.Stats(ctx, "out", at.Add(-time.Hour), at.Add(time.Hour), "day")
	if err != nil || st.Total != int64(len(evs)) {
		t.Fatalf("stats after replay: %+v, %v; want total %d", st, err, len(evs))
	}
}
