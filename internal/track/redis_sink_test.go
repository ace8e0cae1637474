package track

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

func TestRedisSink(t *testing.T) {
	rdb := testClient(t)
	runSinkContract(t, func(t *testing.T) Sink {
		return NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb)})
	})
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
	msgs, err := rdb.XRange(context.Background(), sink.Stream(), "-", "+").Result()
	if err != nil || len(msgs) != n {
		t.Fatalf("stream has %d entries, %v; want %d", len(msgs), err, n)
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		ev, err := DecodeStreamEvent(m.Values)
		if err != nil {
			t.Fatal(err)
		}
		visit, _ := m.Values["visit"].(string)
		if len(visit) != visitIDLen || strings.Trim(visit, crockford) != "" || ids[visit] {
			t.Fatalf("entry %s: visit %q; want a new 26-character visit ID", m.ID, visit)
		}
		ids[visit] = true
		if ev.VisitID != visit || byTap[ev.EntityID] != visit {
			t.Fatalf("entry %s (tap %s): visit %q, JSON visit_id %q, AfterWrite VisitID %q; want one ID",
				m.ID, ev.EntityID, visit, ev.VisitID, byTap[ev.EntityID])
		}
		if want := newVisitIDAt(ev.Time)[:10]; visit[:10] != want {
			t.Fatalf("entry %s: visit %q does not start with the tap's time %q", m.ID, visit, want)
		}
	}
}
