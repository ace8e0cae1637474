package main

import (
	"context"
	"net/url"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/natsconn"
	"github.com/hutong-dev/hutong/internal/track"
)

// openNATSLog connects to --events-url, creates or checks the JetStream
// stream, and returns a SplitSink: counters in counters, the event log in
// JetStream. The connection is closed after the recorder (closers run in
// reverse).
func (m *Main) openNATSLog(ctx context.Context, cfg config.Serve, counters track.Sink, reg prometheus.Registerer) (track.Sink, error) {
	u, err := url.Parse(cfg.EventsURL)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	nc, err := natsconn.Connect(u, natsconn.Options{Name: "hutong " + host,
		Creds: cfg.EventsNATSCreds, NKey: cfg.EventsNATSNKey,
		TLSCA: cfg.EventsNATSTLSCA, TLSCert: cfg.EventsNATSTLSCert, TLSKey: cfg.EventsNATSTLSKey,
		RetryOnFailedConnect: true,
		Disconnected: func(err error) {
			if err != nil {
				m.Logger.Warn("NATS disconnected; click events spill until it is back", "err", err)
			}
		}})
	if err != nil {
		return nil, err
	}
	m.closers = append(m.closers, func(context.Context) error { nc.Close(); return nil })
	inst := cfg.EventsInstance
	if inst == "" {
		inst = host
	}
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !nc.IsConnected() {
		time.Sleep(200 * time.Millisecond) // the first connect attempt
	}
	log, err := track.OpenNATSLog(octx, nc, track.NATSConfig{Instance: inst, MaxAge: retention(cfg.EventsRetention),
		Replicas: cfg.EventsReplicas, Encoding: eventsEncoding(cfg, false), Registerer: reg, Logger: m.Logger})
	if err != nil {
		return nil, err
	}
	m.natsLog = log
	m.Logger.Info("click events go to NATS JetStream", "stream", log.Stream(), "subject", log.Subject(), "replicas", cfg.EventsReplicas)
	return &track.SplitSink{Counters: counters, Log: log}, nil
}
