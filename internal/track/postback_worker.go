package track

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// WorkerConfig configures a PostbackWorker. Fields marked Optional have
// defaults.
type WorkerConfig struct {
	// Stream is the event stream. Optional. Default: "hutong:events".
	Stream string
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
	// Block is the XREADGROUP block time. Optional. Default: 2s.
	Block time.Duration
	// MinIdle is how long an entry stays pending (its consumer died or is
	// stuck) before XAUTOCLAIM hands it to this worker. Optional. Default: 5m
	// (longer than a full retry sequence).
	MinIdle time.Duration
	// ClaimInterval is how often to run XAUTOCLAIM. Optional. Default: 30s.
	ClaimInterval time.Duration
}

// PostbackWorker delivers postbacks for the taps in the Redis Stream, read
// through a consumer group: each entry is acknowledged (XACK) only after
// all its postbacks succeeded or were dead-lettered, so a crash means a
// redelivery (at-least-once; the same Idempotency-Key). Several workers
// (one per instance) share the group. Run it in its own goroutine.
type PostbackWorker struct {
	rdb redis.UniversalClient
	p   *Poster
	cfg WorkerConfig
}

// NewPostbackWorker returns a worker; call Run.
func NewPostbackWorker(rdb redis.UniversalClient, p *Poster, cfg WorkerConfig) *PostbackWorker {
	if cfg.Stream == "" {
		cfg.Stream = "hutong:events"
	}
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
	}
	if cfg.MinIdle <= 0 {
		cfg.MinIdle = 5 * time.Minute
	}
	if cfg.ClaimInterval <= 0 {
		cfg.ClaimInterval = 30 * time.Second
	}
	return &PostbackWorker{rdb: rdb, p: p, cfg: cfg}
}

// Run creates the group if needed and delivers until ctx ends. Entries being
// retried when ctx ends stay pending and are claimed again later. It
// returns nil on cancellation.
func (w *PostbackWorker) Run(ctx context.Context) error {
	if len(w.p.cfg.Postbacks) == 0 {
		return errNoPostbacks
	}
	err := w.rdb.XGroupCreateMkStream(ctx, w.cfg.Stream, w.cfg.Group, w.cfg.StartID).Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("track: create group: %w", err)
	}
	jobs := make(chan redis.XMessage)
	var wg sync.WaitGroup
	for range w.cfg.Concurrency {
		wg.Go(func() {
			for m := range jobs {
				w.process(ctx, m)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	lastClaim := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastClaim) >= w.cfg.ClaimInterval {
			lastClaim = time.Now()
			w.claim(ctx, jobs)
		}
		res, err := w.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: w.cfg.Group, Consumer: w.cfg.Consumer, Streams: []string{w.cfg.Stream, ">"},
			Count: int64(4 * w.cfg.Concurrency), Block: w.cfg.Block,
		}).Result()
		if err != nil {
			if errors.Is(err, redis.Nil) || ctx.Err() != nil {
				continue
			}
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				_ = w.rdb.XGroupCreateMkStream(ctx, w.cfg.Stream, w.cfg.Group, "0").Err()
				continue
			}
			w.p.log.Warn("postback worker: XREADGROUP failed", "err", err)
			_ = sleepCtx(ctx, time.Second)
			continue
		}
		for _, s := range res {
			w.dispatch(ctx, s.Messages, jobs)
		}
	}
	return nil
}

// dispatch acknowledges at once the entries that need no postback and hands
// the rest to the pool.
func (w *PostbackWorker) dispatch(ctx context.Context, msgs []redis.XMessage, jobs chan<- redis.XMessage) {
	var noop []string
	for _, m := range msgs {
		ev, err := DecodeStreamEvent(m.Values)
		if err != nil || !w.p.Wants(&ev) {
			noop = append(noop, m.ID)
			continue
		}
		select {
		case jobs <- m:
		case <-ctx.Done():
			return
		}
	}
	if len(noop) > 0 {
		if err := w.rdb.XAck(ctx, w.cfg.Stream, w.cfg.Group, noop...).Err(); err != nil && ctx.Err() == nil {
			w.p.log.Warn("postback worker: XACK failed", "err", err)
		}
	}
}

// claim takes over entries pending longer than MinIdle.
func (w *PostbackWorker) claim(ctx context.Context, jobs chan<- redis.XMessage) {
	start := "0-0"
	for ctx.Err() == nil {
		msgs, next, err := w.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer,
			MinIdle: w.cfg.MinIdle, Start: start, Count: 100,
		}).Result()
		if err != nil {
			if ctx.Err() == nil && !strings.HasPrefix(err.Error(), "NOGROUP") {
				w.p.log.Warn("postback worker: XAUTOCLAIM failed", "err", err)
			}
			return
		}
		w.dispatch(ctx, msgs, jobs)
		if next == "0-0" || next == "" {
			return
		}
		start = next
	}
}

func (w *PostbackWorker) process(ctx context.Context, m redis.XMessage) {
	ev, err := DecodeStreamEvent(m.Values)
	if err != nil {
		return // dispatch never sends undecodable entries
	}
	var deadErr error
	err = w.p.Handle(ctx, &ev, func(d DeadLetter) {
		d.EntryID = m.ID
		js, _ := json.Marshal(d)
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := w.rdb.XAdd(dctx, &redis.XAddArgs{
			Stream: w.cfg.DeadStream, MaxLen: 100_000, Approx: true,
			Values: []any{"postback", d.Postback, "visit", d.VisitID, "d", js},
		}).Err(); err != nil {
			deadErr = err
		}
	})
	if err != nil {
		return // shutting down: stays pending, claimed later
	}
	if deadErr != nil {
		w.p.log.Error("postback worker: dead letter not stored; entry left pending", "entry", m.ID, "err", deadErr)
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.rdb.XAck(actx, w.cfg.Stream, w.cfg.Group, m.ID).Err(); err != nil {
		w.p.log.Warn("postback worker: XACK failed; entry will be redelivered", "entry", m.ID, "err", err)
	}
}

// LocalPostbacks is the embedded mode's postback queue: the Recorder's
// AfterWrite hook enqueues the taps of each batch written to bbolt, and Run
// delivers them with the same retries as the Redis worker. The guarantee is
// weaker: the queue lives in memory, so taps not yet delivered when the
// process dies (or dropped when the queue is full, counted in the
// "dropped" outcome) get no postback. Dead letters are logged and passed
// to OnDead. Safe for concurrent use.
type LocalPostbacks struct {
	p      *Poster
	q      chan Event
	onDead func(DeadLetter)
}

// NewLocalPostbacks returns a queue of the given capacity (default 10000).
// onDead may be nil.
func NewLocalPostbacks(p *Poster, capacity int, onDead func(DeadLetter)) *LocalPostbacks {
	if capacity <= 0 {
		capacity = 10000
	}
	return &LocalPostbacks{p: p, q: make(chan Event, capacity), onDead: onDead}
}

// Enqueue queues the taps that want a postback; it never blocks. Use it as
// Config.AfterWrite.
func (l *LocalPostbacks) Enqueue(events []Event) {
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
func (l *LocalPostbacks) Run(ctx context.Context, concurrency int) error {
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
