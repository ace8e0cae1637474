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

// TestBoltSinkMaxEvents: batch after batch (the sink reuses its buffers
// between them), the events bucket keeps the newest MaxEvents events, each
// exactly as written and in order, while the counters count every event.
func TestBoltSinkMaxEvents(t *testing.T) {
	s, err := OpenBoltSink(filepath.Join(t.TempDir(), EventsDBFile), BoltConfig{MaxEvents: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
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
	}
	got := allEvents(t, s)
	if len(got) != 100 {
		t.Fatalf("kept %d events; want 100", len(got))
	}
	want := all[len(all)-100:]
	for i, se := range got {
		g, _ := json.Marshal(se.Event)
		w, _ := json.Marshal(want[i])
		if !bytes.Equal(g, w) {
			t.Fatalf("kept event %d:\n%s\nwant:\n%s", i, g, w)
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
