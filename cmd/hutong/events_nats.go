package main

import (
	"context"
	"net/url"
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

func (s *natsSource) Read(ctx context.Context, since string, follow bool, group string, emit func(track.LoggedEvent) error) error {
	if group != "" {
		return usageError{"--group over nats:// is not built yet: read with a durable JetStream consumer (the nats CLI or a client library, see README), or page with --since <cursor>"}
	}
	if strings.Contains(since, "+") {
		return usageError{"--since with a time or duration is not supported over nats:// yet: use 0 or a cursor <stream seq>-<index>"}
	}
	return readPages(ctx, since, follow, s.poll, s.log.Events, emit)
}
