package postback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hutong-dev/hutong/internal/track"
)

// NATSWorkerConfig configures a NATSWorker. Fields marked Optional
// have defaults.
type NATSWorkerConfig struct {
	// Durable is the durable pull consumer on the event stream, shared by
	// the workers of every instance. Optional. Default: "hutong-postbacks".
	Durable string
	// DeadStream and DeadSubject receive dead letters (DeadLetter JSON, one
	// message each, Nats-Msg-Id "visit:postback"). The stream is created
	// (file storage, the event stream's replicas, the newest 100000 kept)
	// when missing. Optional. Default: "HUTONG_POSTBACKS_DEAD",
	// "hutong.postbacks.dead".
	DeadStream, DeadSubject string
	// Concurrency is the number of taps handled at once. Optional. Default: 16.
	Concurrency int
	// AckWait is how long a batch message stays with a worker before the
	// server hands it to another (its worker died or is stuck): longer
	// than a full retry sequence. Optional. Default: 5m.
	AckWait time.Duration
	// MaxAckPending bounds the batch messages out with the workers at once.
	// Optional. Default: 256.
	MaxAckPending int
	// FetchWait is how long one pull waits for new messages. Optional.
	// Default: 2s.
	FetchWait time.Duration
}

// NATSWorker delivers postbacks for the taps in the JetStream event
// log through a durable pull consumer: each batch message is acknowledged
// (one ack, confirmed by the server) only after all its taps' postbacks
// were delivered or dead-lettered into DeadStream, so a crash means a
// redelivery of the batch after AckWait (at-least-once; the same
// Idempotency-Key). On shutdown the batches not finished are handed back
// at once (NAK). A consumer created by the worker starts with the taps
// from then on (deliver new), like the Redis group's "$". Several workers
// (one per instance) share the consumer. Create it with
// NewNATSWorker, call Init (optional) and Run.
type NATSWorker struct {
	l   *track.NATSLog
	p   *Poster
	cfg NATSWorkerConfig

	mu   sync.Mutex
	cons jetstream.Consumer
}

// NewNATSWorker returns a worker on the stream of l (a log opened
// with OpenNATSLog).
func NewNATSWorker(l *track.NATSLog, p *Poster, cfg NATSWorkerConfig) *NATSWorker {
	if cfg.Durable == "" {
		cfg.Durable = "hutong-postbacks"
	}
	if cfg.DeadStream == "" {
		cfg.DeadStream = "HUTONG_POSTBACKS_DEAD"
	}
	if cfg.DeadSubject == "" {
		cfg.DeadSubject = "hutong.postbacks.dead"
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 5 * time.Minute
	}
	if cfg.MaxAckPending <= 0 {
		cfg.MaxAckPending = 256
	}
	if cfg.FetchWait <= 0 {
		cfg.FetchWait = 2 * time.Second
	}
	return &NATSWorker{l: l, p: p, cfg: cfg}
}

// Init creates (or finds) the durable consumer and the dead-letter
// stream. Run calls it until it succeeds; call it first to have the
// consumer exist before the first tap (taps before it get no postback).
func (w *NATSWorker) Init(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cons != nil {
		return nil
	}
	if _, err := w.l.JetStream().CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: w.cfg.DeadStream, Description: "hutong postbacks given up on (DeadLetter JSON)",
		Subjects: []string{w.cfg.DeadSubject}, Storage: jetstream.FileStorage,
		Replicas: w.l.Replicas(), MaxMsgs: 100_000, Discard: jetstream.DiscardOld,
		Duplicates: 10 * time.Minute,
	}); err != nil {
		return w.l.SetupError(fmt.Errorf("dead-letter stream %s: %w", w.cfg.DeadStream, err))
	}
	c, err := w.l.JetStream().Consumer(ctx, w.l.Stream(), w.cfg.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		c, err = w.l.JetStream().CreateConsumer(ctx, w.l.Stream(), jetstream.ConsumerConfig{
			Durable:       w.cfg.Durable,
			Description:   "hutong postback worker: one ack per batch after its postbacks are delivered or dead-lettered",
			DeliverPolicy: jetstream.DeliverNewPolicy,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       w.cfg.AckWait,
			MaxAckPending: w.cfg.MaxAckPending,
			FilterSubject: w.l.SubjectPrefix() + ".>",
		})
		if errors.Is(err, jetstream.ErrConsumerExists) { // another instance won the race
			c, err = w.l.JetStream().Consumer(ctx, w.l.Stream(), w.cfg.Durable)
		}
	}
	if err != nil {
		return w.l.SetupError(fmt.Errorf("postback consumer %s on %s: %w", w.cfg.Durable, w.l.Stream(), err))
	}
	w.cons = c
	return nil
}

// Run delivers until ctx ends and returns nil then. Batches being handled
// when ctx ends are NAKed (redelivered to the next worker at once; the
// receivers may see some postbacks twice, with the same Idempotency-Key).
func (w *NATSWorker) Run(ctx context.Context) error {
	if len(w.p.cfg.Postbacks) == 0 {
		return errNoPostbacks
	}
	for {
		ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := w.Init(ictx)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		w.p.log.Warn("postback worker: JetStream consumer not ready; retrying", "err", err)
		if sleepCtx(ctx, 2*time.Second) != nil {
			return nil
		}
	}
	jobs := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	sem := make(chan struct{}, w.cfg.Concurrency)
	for range 4 {
		wg.Go(func() {
			for m := range jobs {
				w.process(ctx, m, sem)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	for ctx.Err() == nil {
		b, err := w.cons.Fetch(16, jetstream.FetchMaxWait(w.cfg.FetchWait))
		if err != nil {
			if ctx.Err() == nil {
				w.p.log.Warn("postback worker: fetch failed", "err", err)
				_ = sleepCtx(ctx, time.Second)
			}
			continue
		}
		for m := range b.Messages() {
			if ctx.Err() != nil {
				_ = m.Nak()
				continue
			}
			select {
			case jobs <- m:
			case <-ctx.Done():
				_ = m.Nak()
			}
		}
		if err := b.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			w.p.log.Warn("postback worker: fetch ended", "err", err)
			_ = sleepCtx(ctx, time.Second)
		}
	}
	return nil
}

// process handles one batch message and acknowledges it once.
func (w *NATSWorker) process(ctx context.Context, m jetstream.Msg, sem chan struct{}) {
	md, _ := m.Metadata()
	var entry string
	if md != nil {
		entry = fmt.Sprintf("%s:%d", md.Stream, md.Sequence.Stream)
	}
	evs, err := track.ParseEventLines(m.Data())
	if err != nil {
		// Not a batch hutong can read: redelivering it would not help.
		w.p.log.Error("postback worker: batch message does not decode; acknowledged without postbacks", "entry", entry, "err", err)
		_ = m.Term()
		return
	}
	if !w.p.WantsAny(evs) {
		w.ack(m, entry)
		return
	}
	var mu sync.Mutex
	var deadErr error
	err = w.p.HandleBatch(ctx, evs, sem, func(d DeadLetter) {
		d.EntryID = entry
		js, _ := json.Marshal(d)
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := w.l.JetStream().Publish(dctx, w.cfg.DeadSubject, js, jetstream.WithMsgID(d.VisitID+":"+d.Postback),
			jetstream.WithExpectStream(w.cfg.DeadStream)); err != nil {
			mu.Lock()
			deadErr = err
			mu.Unlock()
		}
	})
	if err != nil {
		_ = m.Nak() // shutting down: the next worker takes it now
		return
	}
	if deadErr != nil {
		w.p.log.Error("postback worker: dead letter not stored; batch redelivered in a minute", "entry", entry, "err", deadErr)
		_ = m.NakWithDelay(time.Minute)
		return
	}
	w.ack(m, entry)
}

// ack acknowledges m and waits for the server to confirm it.
func (w *NATSWorker) ack(m jetstream.Msg, entry string) {
	actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.DoubleAck(actx); err != nil {
		w.p.log.Warn("postback worker: ack not confirmed; the batch may be redelivered", "entry", entry, "err", err)
	}
}
