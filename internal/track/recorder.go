package track

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Recorder. Fields marked Optional have defaults.
type Config struct {
	// SpillDir is the directory of the spill file (SpillFileName), normally
	// the service's data directory. Required: without a spill file, events
	// would be lost whenever the sink is down.
	SpillDir string
	// BufferSize is the capacity of the in-memory buffer between Record and
	// the writer. Optional. Default: 65536 events (~20 MB at worst).
	BufferSize int
	// BatchSize is the most events per batch. Optional. Default: 512.
	BatchSize int
	// FlushInterval is the longest an event waits in a partial batch.
	// Optional. Default: 50ms.
	FlushInterval time.Duration
	// WriteTimeout bounds one batch write to the sink. Optional. Default: 2s.
	// (go-redis honours it mid-command only with ContextTimeoutEnabled.)
	WriteTimeout time.Duration
	// RetryInterval is how often the writer probes the sink while the spill
	// file is non-empty; it doubles up to 10× on failure. Optional.
	// Default: 500ms.
	RetryInterval time.Duration
	// MaxSpillBytes caps the spill file; batches beyond it are dropped and
	// counted. Optional. Default: 1 GiB. Negative: no cap.
	MaxSpillBytes int64
	// AfterWrite, if set, is called by the writer goroutine with each batch
	// the sink applied (direct or replayed), e.g. the embedded mode's
	// postback.Local.Enqueue. It must not block for long or keep the slice.
	AfterWrite func(events []Event)
	// Registerer receives the metrics. Optional: nil registers nothing.
	Registerer prometheus.Registerer
	// Logger receives warnings (rate-limited). Optional. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Optional. Default: time.Now.
	Now func() time.Time
}

// ErrClosed is returned by Close when called twice.
var ErrClosed = errors.New("track: recorder closed")

// Recorder takes click events on the request path and writes them in the
// background. Record never blocks and never does I/O: it enqueues into a
// bounded buffer and counts a drop when the buffer is full. A writer
// goroutine (started by New, with its own context) batches events by size
// and time, writes each batch to the Sink in one round trip, appends it to
// the spill file when the sink fails, and replays the spill file, in order
// and before newer batches, once the sink answers again.
//
// A Recorder is safe for concurrent use. Create it with New and stop it with
// Close, which flushes everything buffered to the sink or the spill file.
type Recorder struct {
	cfg    Config
	sink   Sink
	ch     chan Event
	closed atomic.Bool
	drops  atomic.Uint64
	m      *metrics
	log    *slog.Logger

	lastDropLog atomic.Int64 // unix nanos of the last drop warning

	// Writer-goroutine state.
	writerID  string
	seq       uint64
	spill     *spill
	nextProbe time.Time
	probeWait time.Duration
	lastWarn  time.Time

	cancel context.CancelFunc
	ctx    context.Context
	stop   chan struct{}
	done   chan struct{}
	// kick wakes the writer when a full batch is waiting; otherwise it
	// drains the buffer on its ticker, so a tap never wakes it.
	kick      chan struct{}
	closeOnce sync.Once
}

// New starts a Recorder writing to sink. It opens the spill file in
// cfg.SpillDir (replaying whatever a previous run left there first) and
// registers the metrics on cfg.Registerer.
func New(sink Sink, cfg Config) (*Recorder, error) {
	if sink == nil {
		return nil, errors.New("track: nil sink")
	}
	if cfg.SpillDir == "" {
		return nil, errors.New("track: Config.SpillDir is required")
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = 65536
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 512
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 50 * time.Millisecond
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 2 * time.Second
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 500 * time.Millisecond
	}
	if cfg.MaxSpillBytes == 0 {
		cfg.MaxSpillBytes = 1 << 30
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Recorder{
		cfg:       cfg,
		sink:      sink,
		ch:        make(chan Event, cfg.BufferSize),
		log:       cfg.Logger.With("component", "track"),
		writerID:  newWriterID(),
		probeWait: cfg.RetryInterval,
		stop:      make(chan struct{}),
		kick:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	m, err := newMetrics(cfg.Registerer, func() float64 { return float64(len(r.ch)) })
	if err != nil {
		return nil, err
	}
	r.m = m
	sp, torn, err := openSpill(cfg.SpillDir, cfg.MaxSpillBytes)
	if err != nil {
		return nil, fmt.Errorf("track: open spill file: %w", err)
	}
	if torn > 0 {
		r.log.Warn("spill file had a torn last line from a crash; cut it", "bytes", torn)
		r.m.dropped.WithLabelValues("spill_corrupt").Inc()
	}
	r.spill = sp
	r.m.spillBytes.Set(float64(sp.size))
	r.m.spillEvents.Set(float64(sp.events))
	r.ctx, r.cancel = context.WithCancel(context.Background())
	go r.run()
	return r, nil
}

// newWriterID names this process's batches: random, so a restarted process
// never reuses a predecessor's sequence numbers.
func newWriterID() string {
	return strconv.FormatUint(rand.Uint64(), 36) + strconv.FormatUint(rand.Uint64(), 36)
}

// Record enqueues ev for writing. It never blocks: when the buffer is full
// (or the Recorder is closed) the event is dropped, counted in
// hutong_track_dropped_total and Dropped, and logged at most every 10s. A zero
// ev.Time is set to now and an empty ev.VisitID is filled by the writer.
// The event is copied, but the strings and map it holds are not: they must
// not be memory borrowed from a fasthttp request (strings.Clone them).
// Safe for concurrent use; does not allocate.
func (r *Recorder) Record(ev *Event) {
	if r.closed.Load() {
		r.drop(r.m.dropClosed, "closed")
		return
	}
	if ev.Time.IsZero() {
		ev.Time = r.cfg.Now()
	}
	select {
	case r.ch <- *ev:
		if len(r.ch) >= r.cfg.BatchSize {
			select {
			case r.kick <- struct{}{}:
			default:
			}
		}
	default:
		r.drop(r.m.dropFull, "buffer_full")
	}
}

func (r *Recorder) drop(c prometheus.Counter, reason string) {
	n := r.drops.Add(1)
	c.Inc()
	now := time.Now().UnixNano()
	last := r.lastDropLog.Load()
	if now-last > int64(10*time.Second) && r.lastDropLog.CompareAndSwap(last, now) {
		r.log.Warn("click events dropped", "reason", reason, "dropped_total", n, "buffer", cap(r.ch))
	}
}

// Dropped is the number of events lost so far (buffer full, recorded after
// Close, or the spill file failing). Safe for concurrent use.
func (r *Recorder) Dropped() uint64 { return r.drops.Load() }

// Depth is the number of events waiting in the buffer.
func (r *Recorder) Depth() int { return len(r.ch) }

// Close stops accepting events, writes everything buffered (to the sink, or
// to the spill file when the sink is down), tries once more to replay the
// spill file, and closes it. It returns ctx.Err() if ctx ends first (the
// writer keeps going in the background until it is done). Events recorded
// after Close are dropped and counted.
func (r *Recorder) Close(ctx context.Context) error {
	first := false
	r.closeOnce.Do(func() {
		first = true
		r.closed.Store(true)
		close(r.stop)
	})
	if !first {
		return ErrClosed
	}
	select {
	case <-r.done:
		r.cancel()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the writer goroutine.
func (r *Recorder) run() {
	defer close(r.done)
	defer r.spill.close()
	t := time.NewTicker(r.cfg.FlushInterval)
	defer t.Stop()
	batch := make([]Event, 0, r.cfg.BatchSize)
	r.tryReplay(true)
	for {
		// The writer does not select on r.ch: a receive there would wake it
		// for every tap. It drains on the ticker, or when Record kicks it
		// because a full batch is waiting.
		select {
		case <-r.kick:
			for {
				batch = r.fill(batch)
				if len(batch) < r.cfg.BatchSize {
					break
				}
				r.flush(batch)
				batch = batch[:0]
			}
		case <-t.C:
			// Write what waits, but stop at the first partial batch: taps
			// keep arriving while a batch is written, and draining until
			// the buffer is empty would write a trickle of tiny batches
			// back to back (one round trip and one script run for every
			// ~20 events) instead of one batch per tick.
			for {
				batch = r.fill(batch)
				if len(batch) == 0 {
					break
				}
				full := len(batch) == r.cfg.BatchSize
				r.flush(batch)
				batch = batch[:0]
				if !full {
					break
				}
			}
			r.tryReplay(false)
		case <-r.stop:
			for {
				batch = r.fill(batch)
				if len(batch) == 0 {
					break
				}
				r.flush(batch)
				batch = batch[:0]
			}
			r.tryReplay(true)
			return
		}
	}
}

// fill moves buffered events into batch without blocking, up to BatchSize.
// It receives each event straight into its slot of batch (cap BatchSize):
// receiving into a variable and appending it copies the large Event twice.
func (r *Recorder) fill(batch []Event) []Event {
	for n := len(batch); n < r.cfg.BatchSize; n++ {
		if n == cap(batch) {
			batch = slices.Grow(batch, 1)
		}
		batch = batch[:n+1]
		select {
		case batch[n] = <-r.ch:
		default:
			return batch[:n]
		}
	}
	return batch
}

// flush writes one batch: straight to the sink when nothing is waiting in
// the spill file, else behind the spilled batches to keep order.
func (r *Recorder) flush(events []Event) {
	fillVisitIDs(events)
	r.seq++
	b := &Batch{Writer: r.writerID, Seq: r.seq, Events: events}
	if r.spill.pending() {
		r.toSpill(b)
		r.tryReplay(false)
		return
	}
	if err := r.write(b, "written"); err != nil {
		r.warn("sink write failed; spilling", err)
		r.toSpill(b)
		r.nextProbe = r.cfg.Now().Add(r.probeWait)
	}
}

// write sends b to the sink with the write timeout and counts the result.
func (r *Recorder) write(b *Batch, result string) error {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.WriteTimeout)
	applied, err := r.sink.WriteBatch(ctx, b)
	cancel()
	if err != nil {
		r.m.writeErrors.Inc()
		return err
	}
	if !applied {
		r.m.batches.WithLabelValues("duplicate").Inc()
		r.m.duplicates.Add(float64(len(b.Events)))
		return nil
	}
	r.m.batches.WithLabelValues(result).Inc()
	r.m.written.Add(float64(len(b.Events)))
	if r.cfg.AfterWrite != nil {
		r.cfg.AfterWrite(b.Events)
	}
	return nil
}

func (r *Recorder) toSpill(b *Batch) {
	if _, err := r.spill.append(b); err != nil {
		n := r.drops.Add(uint64(len(b.Events)))
		r.m.dropped.WithLabelValues("spill_failed").Add(float64(len(b.Events)))
		r.log.Error("click events lost: sink down and spill file failed", "err", err, "events", len(b.Events), "dropped_total", n)
		return
	}
	r.m.batches.WithLabelValues("spilled").Inc()
	r.m.spilled.Add(float64(len(b.Events)))
	r.m.spillBytes.Set(float64(r.spill.size))
	r.m.spillEvents.Set(float64(r.spill.events))
}

// tryReplay replays the spill file if it has batches and the probe time has
// come (or force). While replaying it moves buffered events into the spill
// file when the buffer is more than half full, so Record keeps not blocking.
func (r *Recorder) tryReplay(force bool) {
	if !r.spill.pending() {
		return
	}
	now := r.cfg.Now()
	if !force && now.Before(r.nextProbe) {
		return
	}
	err := r.spill.replay(func(b *Batch) error {
		if err := r.write(b, "replayed"); err != nil {
			return err
		}
		r.m.spillBytes.Set(float64(r.spill.size - r.spill.off))
		r.m.spillEvents.Set(float64(r.spill.events))
		if len(r.ch) > cap(r.ch)/2 {
			r.relieve()
		}
		return nil
	}, func(line []byte) {
		r.m.dropped.WithLabelValues("spill_corrupt").Inc()
		r.log.Error("spill file line does not decode; skipped", "bytes", len(line))
	})
	if err != nil {
		r.warn("replay failed; will retry", err)
		r.probeWait = min(r.probeWait*2, 10*r.cfg.RetryInterval)
		r.nextProbe = now.Add(r.probeWait)
		return
	}
	r.probeWait = r.cfg.RetryInterval
	r.m.spillBytes.Set(float64(r.spill.size))
	r.m.spillEvents.Set(float64(r.spill.events))
	r.log.Info("spill file replayed")
}

// relieve moves one batch from the buffer to the spill file.
func (r *Recorder) relieve() {
	batch := r.fill(make([]Event, 0, r.cfg.BatchSize))
	if len(batch) == 0 {
		return
	}
	fillVisitIDs(batch)
	r.seq++
	r.toSpill(&Batch{Writer: r.writerID, Seq: r.seq, Events: batch})
}

// warn logs sink trouble at most every 10s.
func (r *Recorder) warn(msg string, err error) {
	now := time.Now()
	if now.Sub(r.lastWarn) < 10*time.Second {
		return
	}
	r.lastWarn = now
	r.log.Warn(msg, "err", err, "spill_bytes", r.spill.size-r.spill.off)
}
