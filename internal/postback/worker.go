package postback

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/track"
)

// WorkerConfig configures a Worker. Fields marked Optional have
// defaults.
type WorkerConfig struct {
	// Group is the consumer group. Optional. Default: "hutong-postbacks".
	Group string
	// Consumer names this worker in the group. Optional. Default:
	// hostname-pid.
	Consumer string
	// DeadStream receives dead letters (field "d": DeadLetter JSON).
	// Optional. Default: "hutong:postbacks:dead".
	DeadStream string
	// StartID is where a newly created group starts. Optional. Default:
	// "$" (taps from now on); "0" for the whole stream.
	StartID string
	// Concurrency is the number of taps handled at once. Optional. Default: 16.
	Concurrency int
	// Block is how long a read waits for new records (one shard), or the
	// poll interval (several). Optional. Default: 2s (one shard), 200ms.
	Block time.Duration
	// MinIdle is how long a record stays pending (its consumer died or is
	// stuck) before it is handed to this worker. Optional. Default: 5m
	// (longer than a full retry sequence).
	MinIdle time.Duration
	// ClaimInterval is how often to claim such records. Optional. Default: 30s.
	ClaimInterval time.Duration
}

// Worker delivers postbacks for the taps in the Redis event log,
// read through a consumer group on every shard: each batch record is
// acknowledged (XACK) only after all its taps' postbacks succeeded or were
// dead-lettered, so a crash means a redelivery of the batch
// (at-least-once; the same Idempotency-Key). Several workers (one per
// instance) share the group. Run it in its own goroutine.
type Worker struct {
	log *track.RedisSink
	rdb redis.UniversalClient
	p   *Poster
	cfg WorkerConfig
}

// NewWorker returns a worker on the log of sink; call Run.
func NewWorker(sink *track.RedisSink, p *Poster, cfg WorkerConfig) *Worker {
	if cfg.Group == "" {
		cfg.Group = "hutong-postbacks"
	}
	if cfg.Consumer == "" {
		h, _ := os.Hostname()
		cfg.Consumer = h + "-" + strconv.Itoa(os.Getpid())
	}
	if cfg.DeadStream == "" {
		cfg.DeadStream = "hutong:postbacks:dead"
	}
	if cfg.StartID == "" {
		cfg.StartID = "$"
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Block <= 0 {
		cfg.Block = 2 * time.Second
		if sink.Shards() > 1 {
			cfg.Block = 200 * time.Millisecond
		}
	}
	if cfg.MinIdle <= 0 {
		cfg.MinIdle = 5 * time.Minute
	}
	if cfg.ClaimInterval <= 0 {
		cfg.ClaimInterval = 30 * time.Second
	}
	return &Worker{log: sink, rdb: sink.Client(), p: p, cfg: cfg}
}

// Run creates the group if needed and delivers until ctx ends. Records
// being retried when ctx ends stay pending and are claimed again later.
// It returns nil on cancellation.
func (w *Worker) Run(ctx context.Context) error {
	if len(w.p.cfg.Postbacks) == 0 {
		return errNoPostbacks
	}
	if err := w.log.CreateGroup(ctx, w.cfg.Group, w.cfg.StartID); err != nil {
		return err
	}
	jobs := make(chan track.LogRecord)
	var wg sync.WaitGroup
	// A few records at once; each spreads its taps over the Concurrency
	// slots of the Poster (HandleBatch).
	sem := make(chan struct{}, w.cfg.Concurrency)
	for range 4 {
		wg.Go(func() {
			for rec := range jobs {
				w.process(ctx, rec, sem)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	lastClaim := time.Time{}
	pending := true // this consumer's own pending records first (a restart)
	for ctx.Err() == nil {
		if time.Since(lastClaim) >= w.cfg.ClaimInterval {
			lastClaim = time.Now()
			recs, err := w.log.Claim(ctx, w.cfg.Group, w.cfg.Consumer, w.cfg.MinIdle)
			if err != nil && ctx.Err() == nil {
				w.p.log.Warn("postback worker: claim failed", "err", err)
			}
			w.dispatch(ctx, recs, jobs)
		}
		recs, err := w.log.ReadGroup(ctx, w.cfg.Group, w.cfg.Consumer, 16, w.cfg.Block, pending)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			w.p.log.Warn("postback worker: read failed", "err", err)
			_ = sleepCtx(ctx, time.Second)
			continue
		}
		if pending && len(recs) == 0 {
			pending = false
		}
		w.dispatch(ctx, recs, jobs)
		if len(recs) == 0 && w.log.Shards() > 1 {
			_ = sleepCtx(ctx, w.cfg.Block)
		}
	}
	return nil
}

// dispatch acknowledges at once the records with no tap that wants a
// postback and hands the rest to the pool.
func (w *Worker) dispatch(ctx context.Context, recs []track.LogRecord, jobs chan<- track.LogRecord) {
	var noop []track.LogRecord
	for _, rec := range recs {
		if !w.p.WantsAny(rec.Events) {
			noop = append(noop, rec)
			continue
		}
		select {
		case jobs <- rec:
		case <-ctx.Done():
			return
		}
	}
	if err := w.log.Ack(ctx, w.cfg.Group, noop...); err != nil && ctx.Err() == nil {
		w.p.log.Warn("postback worker: XACK failed", "err", err)
	}
}

func (w *Worker) process(ctx context.Context, rec track.LogRecord, sem chan struct{}) {
	var mu sync.Mutex
	var deadErr error
	err := w.p.HandleBatch(ctx, rec.Events, sem, func(d DeadLetter) {
		d.EntryID = rec.ID
		js, _ := json.Marshal(d)
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := w.rdb.XAdd(dctx, &redis.XAddArgs{
			Stream: w.cfg.DeadStream, MaxLen: 100_000, Approx: true,
			Values: []any{"postback", d.Postback, "visit", d.VisitID, "d", js},
		}).Err(); err != nil {
			mu.Lock()
			deadErr = err
			mu.Unlock()
		}
	})
	if err != nil {
		return // shutting down: stays pending, claimed later
	}
	if deadErr != nil {
		w.p.log.Error("postback worker: dead letter not stored; record left pending", "entry", rec.ID, "err", deadErr)
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.log.Ack(actx, w.cfg.Group, rec); err != nil {
		w.p.log.Warn("postback worker: XACK failed; record will be redelivered", "entry", rec.ID, "err", err)
	}
}

// Local is the embedded mode's postback queue: the track.Recorder's
// AfterWrite hook enqueues the taps of each batch written to bbolt, and Run
// delivers them with the same retries as the Redis worker. The guarantee is
// weaker: the queue lives in memory, so taps not yet delivered when the
// process dies (or dropped when the queue is full, counted in the
// "dropped" outcome) get no postback. Dead letters are logged and passed
// to OnDead. Safe for concurrent use.
type Local struct {
	p      *Poster
	q      chan track.Event
	onDead func(DeadLetter)
}

// NewLocal returns a queue of the given capacity (default 10000).
// onDead may be nil.
func NewLocal(p *Poster, capacity int, onDead func(DeadLetter)) *Local {
	if capacity <= 0 {
		capacity = 10000
	}
	return &Local{p: p, q: make(chan track.Event, capacity), onDead: onDead}
}

// Enqueue queues the taps that want a postback; it never blocks. Use it as
// track.Config.AfterWrite.
func (l *Local) Enqueue(events []track.Event) {
	for i := range events {
		if !l.p.Wants(&events[i]) {
			continue
		}
		select {
		case l.q <- events[i]:
		default:
			l.p.results.WithLabelValues("*", "dropped").Inc()
		}
	}
}

// Run delivers queued postbacks with concurrency workers until ctx ends.
func (l *Local) Run(ctx context.Context, concurrency int) error {
	if concurrency <= 0 {
		concurrency = 4
	}
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				select {
				case ev := <-l.q:
					_ = l.p.Handle(ctx, &ev, l.onDead)
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
	return nil
}
