package track

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestBoltSink(t *testing.T) {
	runSinkContract(t, func(t *testing.T) Sink {
		s, err := OpenBoltSink(filepath.Join(t.TempDir(), EventsDBFile), BoltConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestBoltSinkRetention: batch after batch (the sink reuses its buffers
// between them), the log keeps the records written within Retention, each
// event exactly as written and in order, while the counters count every
// event.
func TestBoltSinkRetention(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	clock := func() time.Time { return now }
	s, err := OpenBoltSink(filepath.Join(t.TempDir(), EventsDBFile), BoltConfig{Retention: time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := now
	var all []Event
	for seq := uint64(1); seq <= 5; seq++ {
		evs := make([]Event, 64)
		for i := range evs {
			n := len(all) + i
			evs[i] = tap(n, []string{"abc", "def"}[n%2], day.Add(time.Duration(n)*time.Second))
			evs[i].ClickIDs = map[string]string{"gdt_vid": "wx" + strconv.Itoa(n)}
		}
		all = append(all, evs...)
		if ok, err := s.WriteBatch(context.Background(), &Batch{Writer: "w", Seq: seq, Events: evs}); !ok || err != nil {
			t.Fatalf("batch %d: applied %v, %v", seq, ok, err)
		}
		now = now.Add(25 * time.Minute) // batches 1 and 2 fall out of the hour before batch 5
	}
	got := allEvents(t, s)
	want := all[2*64:]
	if len(got) != len(want) {
		t.Fatalf("kept %d events; want %d (the last three batches)", len(got), len(want))
	}
	for i, le := range got {
		g, _ := json.Marshal(le.Event)
		w, _ := json.Marshal(want[i])
		if !bytes.Equal(g, w) {
			t.Fatalf("kept event %d:\n%s\nwant:\n%s", i, g, w)
		}
		if wantID := EventID("w", uint64(3+i/64), i%64); le.ID != wantID {
			t.Fatalf("kept event %d: id %q; want %q", i, le.ID, wantID)
		}
	}
	var total int64
	for _, code := range []string{"abc", "def"} {
		st, err := s.Stats(context.Background(), code, day.Add(-time.Hour), day.Add(time.Hour), "day")
		if err != nil {
			t.Fatal(err)
		}
		total += st.Total
	}
	if total != int64(len(all)) {
		t.Errorf("counters total %d; want every event written (%d), trimmed or not", total, len(all))
	}
}
