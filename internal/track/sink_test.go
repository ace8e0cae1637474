package track

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// sinkFactory makes a fresh, empty sink for one test.
type sinkFactory func(t *testing.T) Sink

func runSinkContract(t *testing.T, newSink sinkFactory) {
	t.Run("NTaps", func(t *testing.T) { testNTaps(t, newSink(t)) })
	t.Run("WriteBatchIdempotent", func(t *testing.T) { testWriteBatchIdempotent(t, newSink(t)) })
	t.Run("SpillReplayTwice", func(t *testing.T) { testSpillReplayTwice(t, newSink(t)) })
	t.Run("CloseWithFullBuffer", func(t *testing.T) { testCloseFullBuffer(t, newSink(t)) })
	t.Run("BadQueries", func(t *testing.T) { testBadQueries(t, newSink(t)) })
}

func testNTaps(t *testing.T, sink Sink) {
	const n = 1000
	reg := prometheus.NewRegistry()
	r, err := New(sink, Config{SpillDir: t.TempDir(), BatchSize: 128, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	bots := 0
	for i := range n {
		ev := tap(i, "abc", day.Add(time.Duration(i)*time.Second))
		if i%10 == 0 {
			ev.Bot, ev.App, ev.Device = true, "bot", "bot"
			bots++
		}
		r.Record(&ev)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.Dropped() != 0 {
		t.Fatalf("dropped %d; want 0", r.Dropped())
	}
	evs := allEvents(t, sink)
	if len(evs) != n {
		t.Fatalf("got %d events; want %d", len(evs), n)
	}
	for i, se := range evs {
		if want := tap(i, "abc", day).VisitID; se.Event.VisitID != want {
			t.Fatalf("event %d: visit %q; want %q (order or duplicates)", i, se.Event.VisitID, want)
		}
	}
	ctx := context.Background()
	st, err := sink.Stats(ctx, "abc", day.Add(-48*time.Hour), day.Add(48*time.Hour), "day")
	if err != nil {
		t.Fatal(err)
	}
	humans := int64(n - bots)
	if st.Total != n || st.Human != humans || st.TotalHuman != humans || st.Bot != int64(bots) {
		t.Fatalf("stats total/human/total_human/bot = %d/%d/%d/%d; want %d/%d/%d/%d", st.Total, st.Human, st.TotalHuman, st.Bot, n, humans, humans, bots)
	}
	if len(st.Series) != 1 || !st.Series[0].Start.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, ChinaTime)) {
		t.Fatalf("series = %+v; want one bucket on 2026-11-25", st.Series)
	}
	var apps, oses int64
	for _, v := range st.Breakdown["app"] {
		apps += v
	}
	for _, v := range st.Breakdown["os"] {
		oses += v
	}
	if apps != humans || oses != humans || st.Breakdown["scene"]["chat"] != humans || st.Breakdown["pay_channel"]["wechat"] != humans || st.Breakdown["action"]["redirect"] != humans {
		t.Fatalf("breakdown %v; want each dimension to sum to %d humans", st.Breakdown, humans)
	}
	hs, err := sink.Stats(ctx, "abc", day.Truncate(time.Hour), day.Add(2*time.Hour), "hour")
	if err != nil {
		t.Fatal(err)
	}
	// Taps run 10:30:00 .. 10:46:39 CST: all in the 10:00 bucket.
	if hs.Total != n || len(hs.Series) != 1 || hs.Series[0].Start.Hour() != 10 {
		t.Fatalf("hour stats total %d series %+v; want %d in the 10:00 bucket", hs.Total, hs.Series, n)
	}
	cs, err := sink.CampaignStats(ctx, "camp-abc", day.Add(-time.Hour), day.Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if cs.Total != n || cs.TotalHuman != humans || cs.Scope != "campaign" {
		t.Fatalf("campaign stats %+v; want total %d humans %d", cs.Counts, n, humans)
	}
	other, err := sink.Stats(ctx, "nope", day.Add(-time.Hour), day.Add(time.Hour), "day")
	if err != nil || other.Total != 0 || len(other.Series) != 0 {
		t.Fatalf("unknown code: %+v, %v; want zero counts", other, err)
	}
	// Paging: the cursor is exclusive.
	p1, err := sink.Events(ctx, "", 10)
	if err != nil || len(p1.Events) != 10 {
		t.Fatalf("page 1: %d events, %v", len(p1.Events), err)
	}
	p2, err := sink.Events(ctx, p1.Next, 10)
	if err != nil || len(p2.Events) != 10 || p2.Events[0].Event.VisitID != evs[10].Event.VisitID {
		t.Fatalf("page 2 starts at %+v, %v; want %s", p2.Events, err, evs[10].Event.VisitID)
	}
}

func testWriteBatchIdempotent(t *testing.T, sink Sink) {
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, ChinaTime)
	b1 := &Batch{Writer: "w1", Seq: 1, Events: []Event{tap(1, "idem", at), tap(2, "idem", at)}}
	b2 := &Batch{Writer: "w1", Seq: 2, Events: []Event{tap(3, "idem", at)}}
	for i, step := range []struct {
		b    *Batch
		want bool
	}{{b1, true}, {b1, false}, {b2, true}, {b1, false}, {b2, false}} {
		applied, err := sink.WriteBatch(ctx, step.b)
		if err != nil || applied != step.want {
			t.Fatalf("step %d (seq %d): applied=%v err=%v; want %v", i, step.b.Seq, applied, err, step.want)
		}
	}
	if got := len(allEvents(t, sink)); got != 3 {
		t.Fatalf("got %d events; want 3", got)
	}
	st, _ := sink.Stats(ctx, "idem", at, at.Add(time.Hour), "day")
	if st.Total != 3 {
		t.Fatalf("total %d; want 3 (counters applied once per batch)", st.Total)
	}
}

func testSpillReplayTwice(t *testing.T, sink Sink) {
	dir := t.TempDir()
	sp, _, err := openSpill(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, ChinaTime)
	n := 0
	for seq := uint64(1); seq <= 5; seq++ {
		b := &Batch{Writer: "spiller", Seq: seq}
		for range 7 {
			b.Events = append(b.Events, tap(n, "spill", at))
			n++
		}
		if _, err := sp.append(b); err != nil {
			t.Fatal(err)
		}
	}
	saved, err := os.ReadFile(filepath.Join(dir, SpillFileName))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	apply := func(b *Batch) error { _, err := sink.WriteBatch(ctx, b); return err }
	bad := func([]byte) { t.Error("bad spill line") }
	// First replay stops after two batches (a simulated outage), then resumes.
	calls := 0
	err = sp.replay(func(b *Batch) error {
		if calls++; calls == 3 {
			return context.DeadlineExceeded
		}
		return apply(b)
	}, bad)
	if err == nil {
		t.Fatal("replay: want the simulated error")
	}
	if err := sp.replay(apply, bad); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, SpillFileName)); fi.Size() != 0 {
		t.Fatalf("spill file %d bytes after replay; want truncated", fi.Size())
	}
	sp.close()
	// Replay the same file again (as after a crash before truncation).
	dir2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir2, SpillFileName), saved, 0o600); err != nil {
		t.Fatal(err)
	}
	sp2, _, err := openSpill(dir2, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sp2.close()
	if sp2.events != n {
		t.Fatalf("reopened spill counts %d events; want %d", sp2.events, n)
	}
	if err := sp2.replay(apply, bad); err != nil {
		t.Fatal(err)
	}
	evs := allEvents(t, sink)
	if len(evs) != n {
		t.Fatalf("got %d events after two replays; want %d exactly once", len(evs), n)
	}
	for i, se := range evs {
		if want := tap(i, "spill", at).VisitID; se.Event.VisitID != want {
			t.Fatalf("event %d = %s; want %s", i, se.Event.VisitID, want)
		}
	}
	st, _ := sink.Stats(ctx, "spill", at, at.Add(time.Hour), "hour")
	if st.Total != int64(n) {
		t.Fatalf("counter total %d; want %d", st.Total, n)
	}
}

// gateSink blocks writes until the gate opens.
type gateSink struct {
	Sink
	gate chan struct{}
}

func (g gateSink) WriteBatch(ctx context.Context, b *Batch) (bool, error) {
	<-g.gate
	return g.Sink.WriteBatch(ctx, b)
}

func testCloseFullBuffer(t *testing.T, sink Sink) {
	const buf = 5000
	g := gateSink{Sink: sink, gate: make(chan struct{})}
	r, err := New(g, Config{SpillDir: t.TempDir(), BufferSize: buf, BatchSize: 100, WriteTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, ChinaTime)
	recorded := 0
	for i := 0; r.Depth() < buf; i++ {
		ev := tap(i, "full", at)
		r.Record(&ev)
		recorded++
		if recorded > 3*buf {
			t.Fatal("buffer never filled")
		}
	}
	ev := tap(recorded, "full", at)
	r.Record(&ev) // buffer full: counted drop, Record returns
	if r.Dropped() != 1 {
		t.Fatalf("dropped %d; want 1 (the tap past a full buffer)", r.Dropped())
	}
	done := make(chan error)
	go func() { done <- r.Close(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	close(g.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := len(allEvents(t, sink)); got != recorded {
		t.Fatalf("sink has %d events after Close; want %d", got, recorded)
	}
	after := tap(0, "full", at)
	r.Record(&after)
	if r.Dropped() != 2 {
		t.Fatalf("dropped %d after Record past Close; want 2", r.Dropped())
	}
}

func testBadQueries(t *testing.T, sink Sink) {
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 0, 0, 0, 0, ChinaTime)
	for _, tc := range []struct {
		name     string
		code     string
		from, to time.Time
		by       string
	}{
		{"empty code", "", at, at.Add(time.Hour), "day"},
		{"reversed", "x", at, at.Add(-time.Hour), "day"},
		{"bad by", "x", at, at.Add(time.Hour), "week"},
		{"too many hours", "x", at, at.AddDate(1, 0, 0), "hour"},
	} {
		if _, err := sink.Stats(ctx, tc.code, tc.from, tc.to, tc.by); err == nil {
			t.Errorf("%s: got nil error; want ErrInvalidQuery", tc.name)
		}
	}
	if _, err := sink.Events(ctx, "not-a-cursor", 10); err == nil {
		t.Error("bad cursor: got nil error")
	}
}
