package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/shortlink"
)

// DefaultInvalidateChannel is the Redis pub/sub channel shortlink.CachedStore
// instances announce edits on.
const DefaultInvalidateChannel = "hutong:invalidate"

// PubSub is the shortlink.InvalidationBus on Redis pub/sub: every instance
// publishes on and subscribes to one channel. When the subscription's
// connection drops, go-redis reconnects and resubscribes (messages sent
// meanwhile are lost; Subscribe reports it). Safe for concurrent use.
type PubSub struct {
	rdb     redis.UniversalClient
	channel string
	log     *slog.Logger
}

var _ shortlink.InvalidationBus = (*PubSub)(nil)

// NewPubSub returns the bus on channel (Optional. Default:
// DefaultInvalidateChannel) of rdb, which the caller owns and closes.
// logger receives subscription errors (Optional. Default: slog.Default()).
// It does no I/O.
func NewPubSub(rdb redis.UniversalClient, channel string, logger *slog.Logger) *PubSub {
	if channel == "" {
		channel = DefaultInvalidateChannel
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &PubSub{rdb: rdb, channel: channel, log: logger}
}

// Publish implements shortlink.InvalidationBus: one PUBLISH, or several in one pipeline.
func (b *PubSub) Publish(ctx context.Context, msgs ...string) (int, error) {
	if len(msgs) == 1 {
		if err := b.rdb.Publish(ctx, b.channel, msgs[0]).Err(); err != nil {
			return 1, err
		}
		return 0, nil
	}
	cmds, err := b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range msgs {
			p.Publish(ctx, b.channel, m)
		}
		return nil
	})
	failed := 0
	if err != nil {
		for _, cmd := range cmds {
			if cmd.Err() != nil {
				failed++
			}
		}
	}
	return failed, err
}

// Subscribe implements shortlink.InvalidationBus. An idle subscription is pinged
// every 30 s, so a dead connection is noticed; a lost one is retried with
// a backoff from 100 ms to 5 s.
func (b *PubSub) Subscribe(ctx context.Context, subscribed func(again bool), onMessage func(string)) {
	if ctx.Err() != nil {
		return
	}
	ps := b.rdb.Subscribe(ctx, b.channel)
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { ps.Close() }) // unblocks a pending receive
	defer stop()
	first := true
	backoff := 100 * time.Millisecond
	for {
		msg, err := ps.ReceiveTimeout(ctx, 30*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				_ = ps.Ping(ctx) // health check; a dead connection fails the next receive
				continue
			}
			b.log.Warn("shortlink: invalidation subscription lost; retrying", "err", err, "backoff", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			subscribed(!first)
			first = false
		case *redis.Message:
			onMessage(m.Payload)
		}
	}
}
