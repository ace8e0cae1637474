package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/natsconn"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/nats-io/nats.go"
)

// natsSource reads the JetStream event log (--events-url) page by page.
type natsSource struct {
	nc   *nats.Conn
	log  *track.NATSLog
	poll time.Duration
}

func newNATSSource(u *url.URL, o eventsOptions) (eventSource, error) {
	nc, err := natsconn.Connect(u, natsconn.Options{Name: "hutong events"})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := track.OpenNATSReader(ctx, nc, track.NATSConfig{Stream: o.NATSStream})
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &natsSource{nc: nc, log: l, poll: o.Poll}, nil
}

func (s *natsSource) Close() error { s.nc.Close(); return nil }

// Read pages through the stream (no group) or reads it as a durable
// consumer (--group). A since holding "+" is a time (SinceCursor's form
// "<unix ms>-0+0" for an RFC 3339 time or a duration): the stream finds
// its first message by time (a consumer's start-time policy).
func (s *natsSource) Read(ctx context.Context, since string, follow bool, group string, emit func(track.LoggedEvent) error) error {
	var at time.Time
	if strings.Contains(since, "+") {
		ms, err := strconv.ParseInt(strings.SplitN(since, "-", 2)[0], 10, 64)
		if err != nil {
			return usageError{fmt.Sprintf("--since %q over nats://: want 0, a time, a duration or a cursor <stream seq>-<index>", since)}
		}
		at = time.UnixMilli(ms)
	}
	if group != "" {
		gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		g, err := s.log.OpenGroup(gctx, group, since, at)
		cancel()
		if errors.Is(err, track.ErrInvalidQuery) {
			return usageError{strings.TrimPrefix(err.Error(), track.ErrInvalidQuery.Error()+": ")}
		}
		if err != nil {
			return err
		}
		for ctx.Err() == nil {
			n, err := g.Next(ctx, 100, time.Second, emit)
			if err != nil {
				return err
			}
			if n == 0 && !follow {
				return nil
			}
		}
		return ctx.Err()
	}
	if !at.IsZero() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		seq, err := s.log.SeqAt(sctx, at)
		cancel()
		if err != nil {
			return err
		}
		since = strconv.FormatUint(seq, 10)
	}
	return readPages(ctx, since, follow, s.poll, s.log.Events, emit)
}
