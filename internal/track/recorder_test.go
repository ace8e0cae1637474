package track

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRecordAllocs(t *testing.T) {
	r, err := New(discardSink{}, Config{SpillDir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	ev := tap(1, "a", time.Now())
	if n := testing.AllocsPerRun(1000, func() { r.Record(&ev) }); n != 0 {
		t.Fatalf("Record allocates %v times per call; want 0", n)
	}
}

func BenchmarkRecord(b *testing.B) {
	r, err := New(discardSink{}, Config{SpillDir: b.TempDir(), Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	ev := tap(1, "a", time.Now())
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		e := ev
		for pb.Next() {
			r.Record(&e)
		}
	})
	b.ReportMetric(float64(r.Dropped()), "dropped")
}

// BenchmarkRecordFill is an event's trip through the buffer without the
// writer goroutine: Record (the request path's share) and the writer's
// fill, 512 events at a time.
func BenchmarkRecordFill(b *testing.B) {
	m, err := newMetrics(nil, func() float64 { return 0 })
	if err != nil {
		b.Fatal(err)
	}
	r := &Recorder{cfg: Config{BatchSize: 512}, ch: make(chan Event, 512), kick: make(chan struct{}, 1), m: m}
	evs := benchEvents(4)
	for i := range evs {
		evs[i].VisitID = ""
	}
	batch := make([]Event, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		for i := range evs {
			r.Record(&evs[i])
		}
		<-r.kick
		if batch = r.fill(batch[:0]); len(batch) != len(evs) {
			b.Fatalf("filled %d events; want %d", len(batch), len(evs))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

func BenchmarkNewVisitID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewVisitID()
	}
}

// BenchmarkFillVisitIDs is the writer's visit ID work for a 512-event
// batch: one newVisitIDAt per event, as it was, against fillVisitIDs.
func BenchmarkFillVisitIDs(b *testing.B) {
	evs := benchEvents(4)
	b.Run("each", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range evs {
				evs[i].VisitID = newVisitIDAt(evs[i].Time)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	})
	b.Run("fill", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range evs {
				evs[i].VisitID = ""
			}
			fillVisitIDs(evs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	})
}

// BenchmarkWriterRedis measures the writer's throughput into the test
// Redis: b.N taps recorded (paced so none is dropped), then Close waits
// until all are in the stream. Run with a fixed count:
//
//	go test -run XXX -bench Writer -benchtime 200000x ./internal/track/
func BenchmarkWriterRedis(b *testing.B) {
	rdb := testClient(b)
	stream := testStream(b, rdb)
	sink := NewRedisSink(rdb, RedisConfig{Stream: stream})
	benchWriter(b, sink)
}

// BenchmarkWriterBolt is the same into the embedded bbolt sink.
func BenchmarkWriterBolt(b *testing.B) {
	s, err := OpenBoltSink(filepath.Join(b.TempDir(), EventsDBFile), BoltConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	benchWriter(b, s)
}

func benchWriter(b *testing.B, sink Sink) {
	r, err := New(sink, Config{SpillDir: b.TempDir(), BufferSize: 1 << 20, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now()
	codes := []string{"a1", "b2", "c3", "d4"}
	evs := make([]Event, 64)
	for i := range evs {
		evs[i] = tap(i, codes[i%4], at)
		evs[i].VisitID = ""
		evs[i].ClickIDs = map[string]string{"gdt_vid": "wx0abcdef", "utm_source": "moments"}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		// Pace to the writer: this measures the sink, not the drop path.
		for r.Depth() > 1<<19 {
			time.Sleep(100 * time.Microsecond)
		}
		r.Record(&evs[i%len(evs)])
	}
	if err := r.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	if r.Dropped() != 0 {
		b.Fatalf("dropped %d", r.Dropped())
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
}

func TestVisitID(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := range 10000 {
		id := newVisitIDAt(time.UnixMilli(int64(1_700_000_000_000 + i)))
		if len(id) != 26 || strings.Trim(id, crockford) != "" {
			t.Fatalf("visit ID %q: want 26 Crockford base32 chars", id)
		}
		if seen[id] || id[:10] < prev {
			t.Fatalf("visit ID %q repeated or out of time order", id)
		}
		seen[id], prev = true, id[:10]
	}
}

// visitIDRef is the visit ID layout as first written, a character at a
// time: putVisitID must produce the same time characters and draw the
// random ones with the same number of bits in each position.
func visitIDRef(ms, r1, r2 uint64) string {
	var b [26]byte
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	for i := 10; i < 23; i++ {
		b[i] = crockford[r1&31]
		r1 >>= 5
	}
	for i := 23; i < 26; i++ {
		b[i] = crockford[r2&31]
		r2 >>= 5
	}
	return string(b[:])
}

// TestVisitIDBits: every random bit lands in the ID, each in a place of
// its own: flipping one of r1's 64 bits or r2's low 15 changes exactly one
// bit of one character's value, and no two flips change the same one (so
// no bit is dropped or used twice: 79 bits of entropy).
func TestVisitIDBits(t *testing.T) {
	val := func(c byte) int { return strings.IndexByte(crockford, c) }
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		ms, r1, r2 := uint64(r.Int64N(1<<48)), r.Uint64(), r.Uint64()
		var base [visitIDLen]byte
		putVisitIDBits(&base, ms, r1, r2)
		used := map[[2]int]string{}
		flip := func(name string, a, b uint64) {
			var got [visitIDLen]byte
			putVisitIDBits(&got, ms, a, b)
			pos, bit := -1, -1
			for i := range got {
				if got[i] == base[i] {
					continue
				}
				d := val(got[i]) ^ val(base[i])
				if pos >= 0 || i < 10 || d&(d-1) != 0 {
					t.Fatalf("flipping %s: %q → %q; want one bit of one random character changed", name, base[:], got[:])
				}
				pos, bit = i, d
			}
			if pos < 0 {
				t.Fatalf("flipping %s changes nothing: the bit is dropped", name)
			}
			if prev, ok := used[[2]int{pos, bit}]; ok {
				t.Fatalf("%s and %s land on the same bit of character %d", prev, name, pos)
			}
			used[[2]int{pos, bit}] = name
		}
		for k := range 64 {
			flip(fmt.Sprintf("r1 bit %d", k), r1^1<<k, r2)
		}
		for k := range 15 {
			flip(fmt.Sprintf("r2 bit %d", k), r1, r2^1<<k)
		}
		var hi [visitIDLen]byte
		putVisitIDBits(&hi, ms, r1, r2^^uint64(1<<15-1)) // r2's unused bits
		if hi != base {
			t.Fatalf("r2's bits above 15 change the ID: %q → %q", base[:], hi[:])
		}
	}
}

func TestFillVisitIDs(t *testing.T) {
	// The time characters are exactly the reference's; each random
	// position takes every value the reference gives it, and no other
	// (position 22 gets 4 bits: 0-F).
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	var seen [26]map[byte]bool
	var refSeen [26]map[byte]bool
	for i := range seen {
		seen[i], refSeen[i] = map[byte]bool{}, map[byte]bool{}
	}
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 20000 {
		tm := at.Add(time.Duration(r.Int64N(1<<40)) - 1<<39)
		if i%2 == 0 {
			tm = time.UnixMilli(r.Int64N(1 << 48))
		}
		id := newVisitIDAt(tm)
		ref := visitIDRef(uint64(tm.UnixMilli()), r.Uint64(), r.Uint64())
		if id[:10] != ref[:10] {
			t.Fatalf("time %v: visit ID %q; want time characters %q", tm, id, ref[:10])
		}
		for j := range id {
			seen[j][id[j]], refSeen[j][ref[j]] = true, true
		}
	}
	for j := 10; j < 26; j++ {
		if !maps.Equal(seen[j], refSeen[j]) {
			t.Errorf("position %d takes %d values; the reference %d", j, len(seen[j]), len(refSeen[j]))
		}
	}

	// A batch: IDs filled where empty, in chunks, kept where set.
	evs := make([]Event, 3*visitIDChunk+5)
	for i := range evs {
		evs[i].Time = at.Add(time.Duration(i) * time.Millisecond)
		if i%7 == 3 {
			evs[i].VisitID = "caller-" + strconv.Itoa(i)
		}
	}
	fillVisitIDs(evs)
	ids := map[string]bool{}
	for i, ev := range evs {
		if i%7 == 3 {
			if ev.VisitID != "caller-"+strconv.Itoa(i) {
				t.Fatalf("event %d: VisitID %q; want the caller's kept", i, ev.VisitID)
			}
			continue
		}
		if len(ev.VisitID) != visitIDLen || strings.Trim(ev.VisitID, crockford) != "" || ids[ev.VisitID] {
			t.Fatalf("event %d: VisitID %q; want a new visit ID", i, ev.VisitID)
		}
		ids[ev.VisitID] = true
		if want := newVisitIDAt(ev.Time)[:10]; ev.VisitID[:10] != want {
			t.Fatalf("event %d: VisitID %q; want it to start with its time %q", i, ev.VisitID, want)
		}
	}
	if n := testing.AllocsPerRun(10, func() {
		for i := range evs {
			evs[i].VisitID = ""
		}
		fillVisitIDs(evs)
	}); n != float64((len(evs)+visitIDChunk-1)/visitIDChunk) {
		t.Errorf("fillVisitIDs of %d events allocates %v times; want one per %d", len(evs), n, visitIDChunk)
	}
}

func TestIPPolicy(t *testing.T) {
	key := []byte("k")
	for _, tc := range []struct {
		name string
		p    IPPolicy
		in   string
		want string
	}{
		{"v4 default /24", IPPolicy{}, "203.0.113.77", "203.0.113.0"},
		{"v4 with port", IPPolicy{}, "203.0.113.77:5555", "203.0.113.0"},
		{"v4-mapped v6", IPPolicy{}, "::ffff:203.0.113.77", "203.0.113.0"},
		{"v6 default /48", IPPolicy{}, "2001:db8:1:2:3::4", "2001:db8:1::"},
		{"v4 /16", IPPolicy{V4Bits: 16}, "203.0.113.77", "203.0.0.0"},
		{"drop", IPPolicy{Mode: IPDrop}, "203.0.113.77", ""},
		{"hash without key records nothing", IPPolicy{Mode: IPHash}, "203.0.113.77", ""},
		{"garbage", IPPolicy{}, "not-an-ip", ""},
	} {
		if got := tc.p.Apply(tc.in); got != tc.want {
			t.Errorf("%s: Apply(%q) = %q; want %q", tc.name, tc.in, got, tc.want)
		}
	}
	h := IPPolicy{Mode: IPHash, Key: key}
	a, b := h.Apply("203.0.113.77"), h.Apply("203.0.113.78")
	if !strings.HasPrefix(a, "h:") || len(a) != 34 || a == b || a != h.Apply("203.0.113.77:80") || strings.Contains(a, "203") {
		t.Errorf("hash: %q, %q; want stable, distinct, h:+32 hex, no clear address", a, b)
	}
	if a == (IPPolicy{Mode: IPHash, Key: []byte("other")}).Apply("203.0.113.77") {
		t.Error("hash does not depend on the key")
	}
}

func TestClickIDParams(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"gdt_vid", true}, {"qz_gdt", true}, {"click_id", true}, {"clickid", true}, {"callback", true},
		{"cb", true}, {"bd_vid", true}, {"utm_source", true}, {"utm_", false}, {"spm", false}, {"from", false},
	} {
		if got := IsClickIDParam(tc.name); got != tc.want {
			t.Errorf("IsClickIDParam(%q) = %v; want %v", tc.name, got, tc.want)
		}
	}
	k, v := []byte("gdt_vid"), []byte("wx0abc")
	m := AddClickID(nil, []byte("spm"), []byte("x"))
	m = AddClickID(m, k, v)
	v[0] = 'X' // the caller's buffer is reused
	if len(m) != 1 || m["gdt_vid"] != "wx0abc" {
		t.Errorf("AddClickID = %v; want only gdt_vid=wx0abc, copied", m)
	}
}

// slowSink takes a few milliseconds per batch, as a round trip to a busy
// Redis does, and records each batch's size.
type slowSink struct {
	discardSink
	mu    sync.Mutex
	sizes []int
}

func (s *slowSink) WriteBatch(_ context.Context, b *Batch) (bool, error) {
	time.Sleep(3 * time.Millisecond)
	s.mu.Lock()
	s.sizes = append(s.sizes, len(b.Events))
	s.mu.Unlock()
	return true, nil
}

// TestWriterBatchesPerTick: under a steady trickle of taps (fewer than a
// batch per tick) the writer writes about one batch per FlushInterval. It
// must not keep writing whatever arrived during the previous write: that
// turned every tick into a stream of tiny batches (~20 events each at 40k
// taps/s against local Redis), one round trip and one script run apiece.
func TestWriterBatchesPerTick(t *testing.T) {
	sink := &slowSink{}
	r, err := New(sink, Config{SpillDir: t.TempDir(), Logger: quietLogger(), FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // one every 100 µs for about 300 ms: ~250 a tick
	start := time.Now()
	for i := range n {
		ev := tap(i, "a", time.Now())
		r.Record(&ev)
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 100 * time.Microsecond)))
	}
	elapsed := time.Since(start)
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	total := 0
	for _, s := range sink.sizes {
		total += s
	}
	if total != n {
		t.Fatalf("%d events written; want %d", total, n)
	}
	// One batch per tick, one at Close, and slack for a scheduler hiccup;
	// the old drain-until-empty wrote one per 3 ms write: ~100 here.
	if max := int(elapsed/(50*time.Millisecond)) + 4; len(sink.sizes) > max {
		t.Errorf("%d batches in %v (sizes %v); want at most %d, about one per tick", len(sink.sizes), elapsed.Round(time.Millisecond), sink.sizes, max)
	}
}
