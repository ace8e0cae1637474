package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/track"
)

// eventsOptions are the flags of `hutong events` that sources read.
type eventsOptions struct {
	APIKey     string // http: the API key
	Stream     string // redis: the sink's base name
	NATSStream string // nats: the JetStream stream
	Consumer   string // with a group: this reader's name in it
	Poll       time.Duration
}

// eventSource reads an event log, oldest first, from since (a
// track.SinceCursor), calling emit for each click. With follow it waits
// for new clicks until ctx ends; with group it reads as that consumer
// group (each record acknowledged after emit returned for all its clicks).
type eventSource interface {
	Read(ctx context.Context, since string, follow bool, group string, emit func(track.LoggedEvent) error) error
	Close() error
}

func openEventSource(u *url.URL, o eventsOptions) (eventSource, error) {
	switch u.Scheme {
	case "redis", "rediss", "redis+sentinel", "redis+cluster", "unix":
		return newRedisSource(u, o)
	case "nats", "tls":
		return newNATSSource(u, o)
	case "http", "https":
		if o.APIKey == "" {
			return nil, usageError{"--source " + u.Scheme + "://… reads a running hutong's API: it needs --api-key KEY or HUTONG_API_KEY"}
		}
		return &httpSource{base: strings.TrimRight(u.String(), "/"), key: o.APIKey, poll: o.Poll,
			http: &http.Client{Timeout: time.Minute}}, nil
	default:
		return nil, usageError{fmt.Sprintf("--source %q: want redis://…, rediss://…, redis+sentinel://…, redis+cluster://…, nats://… or http(s)://… (a running hutong)", u.Redacted())}
	}
}

// runEvents: hutong events --source URL [--since …] [--follow] [--group NAME].
func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hutong events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("source", env("HUTONG_EVENTS_SOURCE", ""), "where to read: redis://…, nats://…, or http://host:8080 (a running hutong) [$HUTONG_EVENTS_SOURCE]")
	since := fs.String("since", "0", "where to start: 0 (the oldest kept), an RFC 3339 time, a duration back from now (2h), or a cursor / stream entry ID")
	follow := fs.Bool("follow", false, "keep reading new clicks until interrupted")
	group := fs.String("group", "", "read as this consumer group, acknowledging what was printed (redis, nats); a group remembers where it is: --since sets where a new group starts")
	consumer := fs.String("consumer", "", "this reader's name in the group (default: hostname-pid)")
	apiKey := fs.String("api-key", env("HUTONG_API_KEY", ""), "API key, for an http source [$HUTONG_API_KEY]")
	stream := fs.String("stream", "hutong:events", "the event keys' base name (redis)")
	natsStream := fs.String("nats-stream", "HUTONG_EVENTS", "the JetStream stream (nats)")
	until := fs.String("until", "", "stop at this time, excluded: an RFC 3339 time, a day (2026-12-07, China time) or a duration back from now; not with --follow")
	format := fs.String("format", "jsonl", "output: jsonl (one JSON object per click) or csv (a header row, then one row per click)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *source == "" {
		return usageError{"--source is needed: redis://…, nats://…, or http://… (a running hutong, with --api-key)"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	u, err := url.Parse(*source)
	if err != nil || u.Scheme == "" {
		return usageError{fmt.Sprintf("--source %q is not a URL", *source)}
	}
	cur, err := track.SinceCursor(*since, time.Now())
	if err != nil {
		return usageError{strings.TrimPrefix(err.Error(), track.ErrInvalidQuery.Error()+": ")}
	}
	if *format != "jsonl" && *format != "csv" && *format != "json" {
		return usageError{fmt.Sprintf("--format %q: want jsonl or csv", *format)}
	}
	end, err := linkquery.ParseTime(*until, time.Now())
	if err != nil {
		return usageError{"--until " + err.Error()}
	}
	if !end.IsZero() && *follow {
		return usageError{"--until and --follow do not go together: --follow reads until interrupted"}
	}
	if *consumer == "" {
		h, _ := os.Hostname()
		*consumer = h + "-" + strconv.Itoa(os.Getpid())
	}
	src, err := openEventSource(u, eventsOptions{APIKey: *apiKey, Stream: *stream, NATSStream: *natsStream, Consumer: *consumer, Poll: 500 * time.Millisecond})
	if err != nil {
		return err
	}
	defer src.Close()
	w := bufio.NewWriterSize(stdout, 64<<10)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	cw := csv.NewWriter(w)
	if *format == "csv" {
		if err := cw.Write(linkquery.EventColumns); err != nil {
			return err
		}
	}
	// Every click is flushed before emit returns: a group acknowledges a
	// record once emit returned for all its clicks, and a reader that is
	// piped on sees a click as soon as it is read.
	err = src.Read(ctx, cur, *follow, *group, func(ev track.LoggedEvent) error {
		if !end.IsZero() && !ev.Time.Before(end) {
			// The log is in write order, within a batch flush of time
			// order: stop a minute past the end.
			if ev.Time.After(end.Add(time.Minute)) {
				return errEventsUntil
			}
			return nil
		}
		if *format == "csv" {
			_ = cw.Write(linkquery.EventCSVRow(&ev))
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		} else if err := enc.Encode(&ev); err != nil {
			return err
		}
		return w.Flush()
	})
	if errors.Is(err, errEventsUntil) {
		err = nil
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil // interrupted while following
	}
	return err
}

// errEventsUntil ends a read that passed --until.
var errEventsUntil = errors.New("past --until")

// redisSource reads the Redis event log directly.
type redisSource struct {
	sink     *track.RedisSink
	close    func() error
	consumer string
	poll     time.Duration
}

func newRedisSource(u *url.URL, o eventsOptions) (*redisSource, error) {
	rdb, err := redisconn.New(u.String(), redisconn.Config{})
	if err != nil {
		return nil, usageError{"--source: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shards, err := track.RedisShards(ctx, rdb, o.Stream)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	return &redisSource{sink: track.NewRedisSink(rdb, track.RedisConfig{Stream: o.Stream, Shards: shards}),
		close: rdb.Close, consumer: o.Consumer, poll: o.Poll}, nil
}

func (s *redisSource) Close() error { return s.close() }

func (s *redisSource) Read(ctx context.Context, since string, follow bool, group string, emit func(track.LoggedEvent) error) error {
	if group == "" {
		return readPages(ctx, since, follow, s.poll, s.sink.Events, emit)
	}
	start := "0"
	if since != "" {
		start = strings.SplitN(strings.SplitN(since, ",", 2)[0], "+", 2)[0]
	}
	if err := s.sink.CreateGroup(ctx, group, start); err != nil {
		return err
	}
	pending := true // this consumer's unacknowledged records first
	for ctx.Err() == nil {
		recs, err := s.sink.ReadGroup(ctx, group, s.consumer, 16, time.Second, pending)
		if err != nil {
			return err
		}
		for _, r := range recs {
			for _, ev := range r.Events {
				if err := emit(ev); err != nil {
					return err
				}
			}
			if err := s.sink.Ack(ctx, group, r); err != nil {
				return err
			}
		}
		if len(recs) > 0 {
			continue
		}
		if pending {
			pending = false
			continue
		}
		if !follow {
			return nil
		}
		if s.sink.Shards() > 1 {
			if err := sleepCtx(ctx, s.poll); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// readPages pages through a log from since; following, it polls when a
// page comes back empty.
func readPages(ctx context.Context, since string, follow bool, poll time.Duration, page func(context.Context, string, int) (*track.EventPage, error), emit func(track.LoggedEvent) error) error {
	cur := since
	for ctx.Err() == nil {
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		p, err := page(qctx, cur, 1000)
		cancel()
		if err != nil {
			return err
		}
		for _, ev := range p.Events {
			if err := emit(ev); err != nil {
				return err
			}
		}
		cur = p.Next
		if len(p.Events) == 0 {
			if !follow {
				return nil
			}
			if err := sleepCtx(ctx, poll); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// httpSource reads GET /api/v1/events of a running hutong (the way to read
// the embedded store while the server holds its file).
type httpSource struct {
	base, key string
	poll      time.Duration
	http      *http.Client
}

func (s *httpSource) Close() error { return nil }

func (s *httpSource) Read(ctx context.Context, since string, follow bool, group string, emit func(track.LoggedEvent) error) error {
	if group != "" {
		return usageError{"--group needs a log that keeps consumer groups (redis://… or nats://…); over http, keep the last \"next\" cursor yourself and pass it as --since"}
	}
	api := &apiClient{base: s.base, key: s.key, http: s.http}
	return readPages(ctx, since, follow, s.poll, func(ctx context.Context, cur string, limit int) (*track.EventPage, error) {
		var p track.EventPage
		q := url.Values{"since": {cur}, "limit": {strconv.Itoa(limit)}}
		if err := api.call(ctx, http.MethodGet, "/api/v1/events?"+q.Encode(), "", nil, &p); err != nil {
			return nil, err
		}
		return &p, nil
	}, emit)
}
