package track

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

func TestRedisSink(t *testing.T) {
	rdb := testClient(t)
	for _, shards := range []int{1, 3} {
		t.Run("shards="+strconv.Itoa(shards), func(t *testing.T) {
			runSinkContract(t, func(t *testing.T) Sink {
				return NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb), Shards: shards})
			})
		})
	}
}

// failOnceSink fails its nth WriteBatch call without writing anything.
type failOnceSink struct {
	Sink
	mu    sync.Mutex
	calls int
	nth   int
}

func (f *failOnceSink) WriteBatch(ctx context.Context, b *Batch) (bool, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls == f.nth
	f.mu.Unlock()
	if fail {
		return false, errors.New("simulated outage")
	}
	return f.Sink.WriteBatch(ctx, b)
}

// TestRedisVisitIDs: the writer fills the visit IDs of taps recorded
// without one (several to a string, see fillVisitIDs), and each tap's ID is
// one value everywhere: the stream entry's visit field, the visit_id of its
// JSON, and the Event that AfterWrite sees, also for a batch that went
// through the spill file (the second batch's write fails once).
func TestRedisVisitIDs(t *testing.T) {
	rdb := testClient(t)
	sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb)})
	var mu sync.Mutex
	var seen []Event
	r, err := New(&failOnceSink{Sink: sink, nth: 2}, Config{
		SpillDir: t.TempDir(), BatchSize: 40, FlushInterval: 10 * time.Millisecond, RetryInterval: 10 * time.Millisecond,
		Logger: quietLogger(),
		AfterWrite: func(evs []Event) {
			mu.Lock()
			seen = append(seen, evs...)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, ChinaTime)
	for i := range n {
		ev := tap(i, "vis", at.Add(time.Duration(i)*time.Millisecond))
		ev.VisitID = ""
		r.Record(&ev)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var replayed dto.Metric
	if err := r.m.batches.WithLabelValues("replayed").Write(&replayed); err != nil || replayed.GetCounter().GetValue() < 1 {
		t.Fatalf("%v batches replayed, %v; want the failed one replayed from the spill file", replayed.GetCounter().GetValue(), err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Fatalf("AfterWrite saw %d events; want %d", len(seen), n)
	}
	byTap := map[string]string{} // EntityID → VisitID seen by AfterWrite
	for _, ev := range seen {
		byTap[ev.EntityID] = ev.VisitID
	}
	ids := map[string]bool{}
	evs := allEvents(t, sink)
	if len(evs) != n {
		t.Fatalf("log has %d events; want %d", len(evs), n)
	}
	for _, ev := range evs {
		visit := ev.VisitID
		if len(visit) != visitIDLen || strings.Trim(visit, crockford) != "" || ids[visit] {
			t.Fatalf("event %s: visit %q; want a new 26-character visit ID", ev.ID, visit)
		}
		ids[visit] = true
		if byTap[ev.EntityID] != visit {
			t.Fatalf("event %s (tap %s): JSON visit_id %q, AfterWrite VisitID %q; want one ID",
				ev.ID, ev.EntityID, visit, byTap[ev.EntityID])
		}
		if want := newVisitIDAt(ev.Time)[:10]; visit[:10] != want {
			t.Fatalf("event %s: visit %q does not start with the tap's time %q", ev.ID, visit, want)
		}
	}
}
