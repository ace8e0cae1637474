package track

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	dto "github.com/prometheus/client_model/go"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hutong-dev/hutong/internal/testnats"
)

func natsConnect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.ReconnectBufSize(-1), nats.RetryOnFailedConnect(true), nats.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// logRecord is one message of the stream as read back.
type logRecord struct {
	seq    uint64
	header nats.Header
	events []LoggedEvent
}

// readLog reads every message of the stream, oldest first (an ordered
// consumer, as `hutong events` does without --group).
func readLog(t testing.TB, nc *nats.Conn, stream string) []logRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []logRecord
	if info.State.Msgs == 0 {
		return out
	}
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for uint64(len(out)) < info.State.Msgs {
		b, err := c.Fetch(100, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range b.Messages() {
			md, _ := m.Metadata()
			evs, err := ParseEventLines(m.Data())
			if err != nil {
				t.Fatalf("message %d: %v", md.Sequence.Stream, err)
			}
			if gz := bytes.HasPrefix(m.Data(), gzipMagic); gz != (m.Headers().Get(HeaderEnc) == "gzip") {
				t.Fatalf("message %d: header enc=%q but gzip payload %v", md.Sequence.Stream, m.Headers().Get(HeaderEnc), gz)
			}
			out = append(out, logRecord{seq: md.Sequence.Stream, header: m.Headers(), events: evs})
		}
		if err := b.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			t.Fatal(err)
		}
	}
	return out
}

// countIDs returns the events' unique ids and how many ids came more than
// once (before dedupe).
func countIDs(recs []logRecord) (unique map[string]bool, dups int) {
	unique = map[string]bool{}
	for _, r := range recs {
		for _, e := range r.events {
			if unique[e.ID] {
				dups++
			}
			unique[e.ID] = true
		}
	}
	return unique, dups
}

func testBatch(w string, seq uint64, n int) *Batch {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, ChinaTime)
	b := &Batch{Writer: w, Seq: seq}
	for i := range n {
		b.Events = append(b.Events, tap(int(seq)*1000+i, "c1", at))
	}
	return b
}

func appendTest(t testing.TB, l *NATSLog, b *Batch) {
	t.Helper()
	lines, err := AppendEventLines(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AppendBatch(context.Background(), b, lines); err != nil {
		t.Fatal(err)
	}
}

func TestNATSLogAppendIdempotent(t *testing.T) {
	// Own servers, mostly waiting on them: runs beside the package's other
	// parallel tests (after the sequential ones, so no allocation count is
	// disturbed).
	t.Parallel()
	srv := testnats.Start(t)
	nc := natsConnect(t, srv.URL())
	ctx := context.Background()
	l, err := OpenNATSLog(ctx, nc, NATSConfig{Instance: "edge.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.Subject(), "hutong.events.edge_1"; got != want {
		t.Errorf("subject = %q; want %q", got, want)
	}
	b1, b2 := testBatch("w1", 1, 3), testBatch("w1", 2, 2)
	appendTest(t, l, b1)
	appendTest(t, l, b1) // within the Nats-Msg-Id window
	appendTest(t, l, b2)
	// A fresh log (a restarted process replaying its predecessor's spill)
	// checks the last message: b1 and b2 are there, beyond any window.
	l2, err := OpenNATSLog(ctx, nc, NATSConfig{Instance: "edge.1"})
	if err != nil {
		t.Fatal(err)
	}
	appendTest(t, l2, b1)
	appendTest(t, l2, b2)
	recs := readLog(t, nc, "HUTONG_EVENTS")
	if len(recs) != 2 {
		t.Fatalf("messages = %d; want 2", len(recs))
	}
	h := recs[0].header
	if h.Get("v") != "2" || h.Get("w") != "w1" || h.Get("seq") != "1" || h.Get("n") != "3" || h.Get(nats.MsgIdHdr) != "w1:1" || h.Get("enc") != "gzip" {
		t.Errorf("headers = %v; want v=2 w=w1 seq=1 n=3 Nats-Msg-Id=w1:1 enc=gzip", h)
	}
	if got := recs[0].events[2].ID; got != "w1:1:2" {
		t.Errorf("third event id = %q; want w1:1:2", got)
	}
	if got := recs[1].events[0].VisitID; got != b2.Events[0].VisitID {
		t.Errorf("event visit = %q; want %q", got, b2.Events[0].VisitID)
	}

	// Events pages through messages with "<seq>-<index>" cursors.
	p, err := l.Events(ctx, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 2 || p.Next != "1-1" {
		t.Fatalf("page 1: %d events, next %q; want 2, 1-1", len(p.Events), p.Next)
	}
	p, err = l.Events(ctx, p.Next, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 3 || p.Events[0].ID != "w1:1:2" || p.Next != "2-1" {
		t.Fatalf("page 2: %+v; want 3 events w1:1:2..w1:2:1, next 2-1", p)
	}
	if _, err := l.Events(ctx, "x", 10); !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("bad cursor: err = %v; want ErrInvalidQuery", err)
	}
}

// TestNATSLogParts: a batch over the server's max payload goes out in
// parts; a replay after part 0 only sends the rest.
func TestNATSLogParts(t *testing.T) {
	// Own servers, mostly waiting on them: runs beside the package's other
	// parallel tests (after the sequential ones, so no allocation count is
	// disturbed).
	t.Parallel()
	srv := testnats.Start(t)
	nc := natsConnect(t, srv.URL())
	ctx := context.Background()
	l, err := OpenNATSLog(ctx, nc, NATSConfig{Instance: "p"})
	if err != nil {
		t.Fatal(err)
	}
	b := testBatch("wp", 7, 10)
	for i := range b.Events {
		b.Events[i].ClickIDs = map[string]string{"callback": strings.Repeat("x", 200<<10)}
	}
	lines, _ := AppendEventLines(nil, b)
	parts, err := splitLines(lines, int(nc.MaxPayload())-natsHeaderRoom)
	if err != nil || len(parts) < 2 {
		t.Fatalf("split: %d parts, %v; want several", len(parts), err)
	}
	// Publish part 0 by hand, as if the process died after it.
	m := nats.NewMsg(l.Subject())
	m.Header.Set("w", "wp")
	m.Header.Set("seq", "7")
	m.Header.Set("part", fmt.Sprintf("0/%d", len(parts)))
	m.Data = parts[0]
	js, _ := jetstream.New(nc)
	if _, err := js.PublishMsg(ctx, m, jetstream.WithMsgID("wp:7/0")); err != nil {
		t.Fatal(err)
	}
	appendTest(t, l, b)
	appendTest(t, l, b)
	recs := readLog(t, nc, "HUTONG_EVENTS")
	if len(recs) != len(parts) {
		t.Errorf("messages = %d; want %d parts", len(recs), len(parts))
	}
	ids, dups := countIDs(recs)
	if len(ids) != 10 || dups != 0 {
		t.Errorf("events = %d unique, %d duplicates; want 10, 0", len(ids), dups)
	}
}

// TestNATSLogSetupErrors: no JetStream and a stream configured otherwise
// are errors at start that say so.
func TestNATSLogSetupErrors(t *testing.T) {
	srv := testnats.Start(t)
	nc := natsConnect(t, srv.URL())
	ctx := context.Background()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "MEM", Subjects: []string{"hutong.events.>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	_, err := OpenNATSLog(ctx, nc, NATSConfig{Stream: "MEM"})
	if !errors.Is(err, ErrNATSSetup) || !strings.Contains(err.Error(), "storage is Memory, want file") {
		t.Errorf("memory stream: err = %v; want a setup error about storage", err)
	}
	_, err = OpenNATSLog(ctx, nc, NATSConfig{Stream: "OTHER", SubjectPrefix: "hutong.events"})
	if err == nil {
		t.Errorf("overlapping subjects: no error")
	}
	// MaxAge is updated in place.
	if _, err := OpenNATSLog(ctx, nc, NATSConfig{Stream: "E2", SubjectPrefix: "e2", MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenNATSLog(ctx, nc, NATSConfig{Stream: "E2", SubjectPrefix: "e2", MaxAge: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	st, _ := js.Stream(ctx, "E2")
	if got := st.CachedInfo().Config.MaxAge; got != 2*time.Hour {
		t.Errorf("MaxAge after update = %v; want 2h", got)
	}

	// A server without -js.
	plain := testnats.StartWithoutJetStream(t)
	nc2 := natsConnect(t, plain.URL())
	waitFor(t, 5*time.Second, "connected", nc2.IsConnected)
	_, err = OpenNATSLog(ctx, nc2, NATSConfig{})
	if !errors.Is(err, ErrNATSSetup) || !strings.Contains(err.Error(), "JetStream is not enabled") {
		t.Errorf("no JetStream: err = %v; want a setup error saying so", err)
	}
}

// recordUnderLoad records taps at a steady pace until stop is closed and
// returns how many were recorded.
func recordUnderLoad(r *Recorder, stop <-chan struct{}, pace time.Duration) *atomic.Int64 {
	var n atomic.Int64
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, ChinaTime)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			k := int(n.Load())
			ev := tap(k, fmt.Sprintf("c%d", k%7), at.Add(time.Duration(k)*time.Millisecond))
			if k%5 == 0 {
				ev.ClickIDs = map[string]string{"gdt_vid": fmt.Sprintf("g%d", k)}
			}
			r.Record(&ev)
			n.Add(1)
			time.Sleep(pace)
		}
	}()
	return &n
}

// TestNATSRestartUnderLoad kills the NATS server while taps keep coming,
// starts it again on the same store, and checks that every tap is in the
// stream exactly once (after dedupe by event id, and before it) and
// counted once.
func TestNATSRestartUnderLoad(t *testing.T) {
	// Own servers, mostly waiting on them: runs beside the package's other
	// parallel tests (after the sequential ones, so no allocation count is
	// disturbed).
	t.Parallel()
	srv := testnats.Start(t)
	nc := natsConnect(t, srv.URL())
	ctx := context.Background()
	nlog, err := OpenNATSLog(ctx, nc, NATSConfig{Instance: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	counters, err := OpenBoltSink(t.TempDir()+"/events.db", BoltConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer counters.Close()
	r, err := New(&SplitSink{Counters: counters, Log: nlog}, Config{SpillDir: t.TempDir(), BatchSize: 64,
		FlushInterval: 10 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, RetryInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	n := recordUnderLoad(r, stop, 100*time.Microsecond)
	time.Sleep(700 * time.Millisecond)
	srv.Stop()
	time.Sleep(700 * time.Millisecond)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	time.Sleep(10 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	waitFor(t, 10*time.Second, "reconnect", nc.IsConnected)
	if err := r.Close(cctx); err != nil {
		t.Fatal(err)
	}
	total := int(n.Load())
	recs := readLog(t, nc, "HUTONG_EVENTS")
	ids, dups := countIDs(recs)
	lost := total - len(ids)
	t.Logf("NATS restart under load: %d taps, %d in the stream, %d lost, %d duplicate ids before dedupe, %d dropped by the recorder", total, len(ids), lost, dups, r.Dropped())
	if lost != 0 || r.Dropped() != 0 {
		t.Errorf("lost %d events (recorder dropped %d); want 0", lost, r.Dropped())
	}
	if dups != 0 {
		t.Errorf("%d duplicate event ids in the stream; want 0", dups)
	}
	var sum int64
	for c := range 7 {
		st, err := counters.Stats(ctx, fmt.Sprintf("c%d", c), time.Date(2026, 12, 1, 0, 0, 0, 0, ChinaTime), time.Date(2026, 12, 9, 0, 0, 0, 0, ChinaTime), "day")
		if err != nil {
			t.Fatal(err)
		}
		sum += st.Total
	}
	if sum != int64(total) {
		t.Errorf("counters total %d; want %d", sum, total)
	}
}

// readEvents pages through l with Events (what hutong events does
// without --group: STREAM.MSG.GET, answered by the stream leader), retrying
// a page while a cluster elects a leader.
func readEvents(t testing.TB, l *NATSLog) []logRecord {
	t.Helper()
	var out []logRecord
	cursor := ""
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		p, err := l.Events(ctx, cursor, 1000)
		cancel()
		if err != nil {
			if time.Now().After(deadline) {
				t.Fatalf("events after %q: %v", cursor, err)
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if len(p.Events) == 0 {
			return out
		}
		out = append(out, logRecord{events: p.Events})
		cursor = p.Next
	}
}

// TestNATSClusterNodeKill: a three-node cluster, stream replicas 3, the
// stream leader killed under load and left dead: no event lost, none
// duplicated after dedupe by event id, read back from the two survivors
// both by paging (hutong events) and by a durable consumer (an ad system).
//
// Why it used to hang: it read back with an ordered consumer. After the
// kill, a Fetch on it sat in nats.go's orderedConsumer.reset, which
// recreates the ephemeral R1 consumer before every Fetch and retries a
// failed creation forever, ignoring the caller's context (seen in the
// goroutine dump; the likely cause is the consumer being placed on the
// dead peer). Paging with STREAM.MSG.GET and a durable consumer (replicas
// inherited from the stream, a quorum with one node down) do not.
func TestNATSClusterNodeKill(t *testing.T) {
	// Own servers, mostly waiting on them: runs beside the package's other
	// parallel tests (after the sequential ones, so no allocation count is
	// disturbed).
	t.Parallel()
	cl := testnats.StartCluster(t, 3)
	nc := natsConnect(t, cl.URL())
	ctx := context.Background()
	var nlog *NATSLog
	waitFor(t, 20*time.Second, "JetStream cluster ready (meta leader, stream placed on 3 peers)", func() bool {
		var err error
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		nlog, err = OpenNATSLog(cctx, nc, NATSConfig{Instance: "cluster", Replicas: 3})
		return err == nil
	})
	counters, err := OpenBoltSink(t.TempDir()+"/events.db", BoltConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer counters.Close()
	r, err := New(&SplitSink{Counters: counters, Log: nlog}, Config{SpillDir: t.TempDir(), BatchSize: 256,
		FlushInterval: 10 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, RetryInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	n := recordUnderLoad(r, stop, 200*time.Microsecond)
	time.Sleep(time.Second)
	var leader string
	waitFor(t, 10*time.Second, "a stream leader", func() bool {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		info, err := nlog.stream.Info(cctx)
		if err == nil && info.Cluster != nil {
			leader = info.Cluster.Leader
		}
		return leader != ""
	})
	var killed *testnats.Server
	for _, s := range cl.Servers {
		if s.Name == leader {
			killed = s
		}
	}
	if killed == nil {
		t.Fatalf("stream leader %q not among the nodes", leader)
	}
	atKill := n.Load()
	killed.Stop()
	time.Sleep(3 * time.Second)
	close(stop)
	time.Sleep(10 * time.Millisecond)
	// Batches published while the stream had no leader wait in the spill
	// file; on a loaded machine the election and the client's reconnect can
	// outlast the load. Give the replay its time before Close (which tries
	// the spill once more, and leaves what still fails on disk).
	waitFor(t, 45*time.Second, "the spill file replayed", func() bool {
		var m dto.Metric
		if err := r.m.spillEvents.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue() == 0 && r.Depth() == 0
	})
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := r.Close(cctx); err != nil {
		t.Fatalf("recorder close: %v (recorded %d)", err, n.Load())
	}
	total := int(n.Load())
	t.Logf("killed the stream leader %s after %d taps; %d taps in all", leader, atKill, total)
	if total-int(atKill) < 1000 {
		t.Fatalf("only %d taps after the kill; the load did not go on", total-int(atKill))
	}

	check := func(how string, recs []logRecord) {
		t.Helper()
		ids, dups := countIDs(recs)
		lost := total - len(ids)
		t.Logf("%s: %d taps, %d unique event ids, %d lost, %d duplicate ids before dedupe", how, total, len(ids), lost, dups)
		if lost != 0 || r.Dropped() != 0 {
			t.Errorf("%s: lost %d events (recorder dropped %d); want 0", how, lost, r.Dropped())
		}
		// After dedupe by id nothing may be doubled: an id seen twice must
		// be the same click (a replayed batch), not two clicks.
		seen := map[string]string{}
		for _, rec := range recs {
			for _, e := range rec.events {
				if v, ok := seen[e.ID]; ok && v != e.VisitID {
					t.Errorf("%s: event id %s names two clicks (%s, %s)", how, e.ID, v, e.VisitID)
				}
				seen[e.ID] = e.VisitID
			}
		}
	}
	check("paged (hutong events)", readEvents(t, nlog))
	check("durable consumer", readDurable(t, nc, "HUTONG_EVENTS", total))

	var sum int64
	for c := range 7 {
		st, err := counters.Stats(ctx, fmt.Sprintf("c%d", c), time.Date(2026, 12, 1, 0, 0, 0, 0, ChinaTime), time.Date(2026, 12, 9, 0, 0, 0, 0, ChinaTime), "day")
		if err != nil {
			t.Fatal(err)
		}
		sum += st.Total
	}
	if sum != int64(total) {
		t.Errorf("counters total %d; want %d", sum, total)
	}
}

// readDurable reads the stream with a durable pull consumer (replicas
// inherited from the stream), acking each message, until it has want
// events or 20s have passed (a new consumer's own Raft group elects its
// leader first: fetches before that come back empty).
func readDurable(t testing.TB, nc *nats.Conn, stream string, want int) []logRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var c jetstream.Consumer
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		c, err = js.CreateOrUpdateConsumer(cctx, stream, jetstream.ConsumerConfig{Durable: "test-reader", AckPolicy: jetstream.AckExplicitPolicy})
		ccancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("durable consumer: %v", err)
		}
	}
	var out []logRecord
	got := 0
	for got < want && ctx.Err() == nil {
		b, err := c.Fetch(100, jetstream.FetchMaxWait(3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for m := range b.Messages() {
			k++
			evs, err := ParseEventLines(m.Data())
			if err != nil {
				t.Fatal(err)
			}
			got += len(evs)
			out = append(out, logRecord{header: m.Headers(), events: evs})
			_ = m.Ack()
		}
		if k == 0 && b.Error() != nil && !errors.Is(b.Error(), nats.ErrTimeout) {
			t.Logf("durable consumer fetch: %v", b.Error())
			time.Sleep(100 * time.Millisecond)
		}
	}
	return out
}
