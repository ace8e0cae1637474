package track

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
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

// TestBoltSinkSweepCounters: the sweep deletes the hour counters past
// HourTTL and the day counters past DayTTL (a bucket once its end is past
// the cut), chunk by chunk, and keeps the rest: stats by day still count
// 10-day-old taps, stats by hour no longer do, a 401-day-old day is gone,
// today is whole, and a second sweep finds nothing.
func TestBoltSinkSweepCounters(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 30, 0, 0, ChinaTime)
	clock := func() time.Time { return now }
	s, err := OpenBoltSink(filepath.Join(t.TempDir(), EventsDBFile), BoltConfig{Now: clock, SweepEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer func(n int) { sweepChunk = n }(sweepChunk)
	sweepChunk = 7 // many chunks, some ending inside a link's keys
	ages := map[string]time.Duration{
		"today":   0,
		"eightd":  8*24*time.Hour - 2*time.Hour, // its hour ended less than 8 days ago: kept
		"tendays": 10 * 24 * time.Hour,
		"old":     401 * 24 * time.Hour,
	}
	seq := uint64(0)
	for name, age := range ages {
		evs := make([]Event, 20)
		for i := range evs {
			evs[i] = tap(i, name+strconv.Itoa(i%3), now.Add(-age))
		}
		seq++
		if ok, err := s.WriteBatch(context.Background(), &Batch{Writer: "w", Seq: seq, Events: evs}); !ok || err != nil {
			t.Fatalf("batch %s: %v, %v", name, ok, err)
		}
	}
	count := func(name string, by string) int64 {
		var n int64
		at := now.Add(-ages[name])
		for i := range 3 {
			st, err := s.Stats(context.Background(), name+strconv.Itoa(i), at.Add(-time.Hour), at.Add(time.Hour), by)
			if err != nil {
				t.Fatal(err)
			}
			n += st.Total
		}
		return n
	}
	for name := range ages {
		if d, h := count(name, "day"), count(name, "hour"); d != 20 || h != 20 {
			t.Fatalf("%s before the sweep: %d by day, %d by hour; want 20 and 20", name, d, h)
		}
	}
	n, err := s.SweepCounters(context.Background())
	if err != nil || n == 0 {
		t.Fatalf("SweepCounters: %d keys, %v", n, err)
	}
	want := map[string][2]int64{"today": {20, 20}, "eightd": {20, 20}, "tendays": {20, 0}, "old": {0, 0}}
	for name, w := range want {
		if d, h := count(name, "day"), count(name, "hour"); d != w[0] || h != w[1] {
			t.Errorf("%s after the sweep: %d by day, %d by hour; want %d and %d", name, d, h, w[0], w[1])
		}
	}
	if n, err := s.SweepCounters(context.Background()); n != 0 || err != nil {
		t.Errorf("second sweep: %d keys, %v; want none", n, err)
	}
}

// TestBoltSinkSweepRuns: the background sweep runs (first after
// min(1 minute, SweepEvery)) and Close stops it.
func TestBoltSinkSweepRuns(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 30, 0, 0, ChinaTime)
	s, err := OpenBoltSink(filepath.Join(t.TempDir(), EventsDBFile), BoltConfig{Now: func() time.Time { return now }, SweepEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	evs := []Event{tap(0, "gone", now.Add(-9*24*time.Hour))}
	if ok, err := s.WriteBatch(context.Background(), &Batch{Writer: "w", Seq: 1, Events: evs}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	hours := func() int {
		n := 0
		_ = s.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bktCounters).ForEach(func(k, _ []byte) error {
				if bytes.Contains(k, []byte(":h:")) {
					n++
				}
				return nil
			})
		})
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); hours() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the background sweep did not delete a 9-day-old hour counter")
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// FuzzCounterExpired: any key is either of a bucket (day or hour, kept or
// not by the cut) or kept; no key panics, and a bucket key is expired
// exactly when its bucket ended by the cut.
func FuzzCounterExpired(f *testing.F) {
	for _, k := range []string{"link:abc:d:20261207\x00total", "camp:a:b:h:2026120710\x00human", "link:x:d:2026120", "", "\x00", ":d:99999999", "link:abc:h:2026133199\x00x"} {
		f.Add([]byte(k))
	}
	cut := time.Date(2026, 11, 29, 0, 0, 0, 0, ChinaTime)
	f.Fuzz(func(t *testing.T, k []byte) {
		got := counterExpired(k, ChinaTime, cut, cut)
		g, _, _ := bytes.Cut(k, []byte{0})
		for _, b := range []struct {
			sep, layout string
			span        func(time.Time) time.Time
		}{{":d:", "20060102", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }}, {":h:", "2006010215", func(t time.Time) time.Time { return t.Add(time.Hour) }}} {
			n := len(b.layout)
			if len(g) > n+3 && string(g[len(g)-n-3:len(g)-n]) == b.sep {
				st, err := time.ParseInLocation(b.layout, string(g[len(g)-n:]), ChinaTime)
				if want := err == nil && !b.span(st).After(cut); got != want {
					t.Fatalf("counterExpired(%q) = %v; want %v", k, got, want)
				}
				return
			}
		}
		if got {
			t.Fatalf("counterExpired(%q) = true for a key that names no bucket", k)
		}
	})
}

// BenchmarkSweepCounters: one sweep over the counters of 4,096 links
// tapped today (nothing to delete: the hourly sweep's usual work), per key.
func BenchmarkSweepCounters(b *testing.B) {
	now := time.Date(2026, 12, 7, 10, 30, 0, 0, ChinaTime)
	s, err := OpenBoltSink(filepath.Join(b.TempDir(), EventsDBFile), BoltConfig{Now: func() time.Time { return now }, SweepEvery: -1, NoLog: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for seq := uint64(1); seq <= 8; seq++ {
		evs := make([]Event, 512)
		for i := range evs {
			evs[i] = tap(i, "l"+strconv.Itoa(int(seq)*512+i), now)
		}
		if _, err := s.WriteBatch(context.Background(), &Batch{Writer: "w", Seq: seq, Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	keys := 0
	_ = s.db.View(func(tx *bolt.Tx) error { keys = tx.Bucket(bktCounters).Stats().KeyN; return nil })
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.SweepCounters(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(keys), "ns/key")
	b.ReportMetric(float64(keys), "keys")
}
