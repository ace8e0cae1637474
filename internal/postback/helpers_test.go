package postback

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/testredis"
	"github.com/hutong-dev/hutong/internal/track"
)

// Test helpers, as in internal/track's tests (the postback tests moved
// from there with internal/postback).

// testClient connects to the shared test Redis.
func testClient(t testing.TB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(testredis.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// testStream returns a unique stream name and deletes it and every key of
// its sink at cleanup.
func testStream(t testing.TB, rdb redis.UniversalClient) string {
	t.Helper()
	stream := fmt.Sprintf("hutong:test:%s:%x:events", t.Name(), rand.Uint64())
	t.Cleanup(func() { cleanup(rdb, stream) })
	return stream
}

func cleanup(rdb redis.UniversalClient, stream string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rdb.Del(ctx, stream, stream+":meta")
	// SCAN MATCH treats '{' literally; escape glob specials in the name.
	// Version 1's keys "{S}:…", version 2's shards "{S:<n>}…".
	for _, pat := range []string{"{" + globEscape(stream) + "}:*", "{" + globEscape(stream) + ":*"} {
		iter := rdb.Scan(ctx, 0, pat, 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
			if len(keys) == 500 {
				for _, k := range keys {
					rdb.Del(ctx, k) // one by one: a Cluster refuses DEL across slots
				}
				keys = keys[:0]
			}
		}
		for _, k := range keys {
			rdb.Del(ctx, k)
		}
	}
}

func globEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// tap builds a test event: n-th tap, human unless bot.
func tap(n int, code string, at time.Time) track.Event {
	return track.Event{
		VisitID:    fmt.Sprintf("v%08d", n),
		Time:       at,
		Code:       code,
		Campaign:   "camp-" + code,
		EntityKind: "item",
		EntityID:   strconv.Itoa(n),
		App:        []string{"wechat", "browser", "taobao"}[n%3],
		OS:         []string{"ios", "android"}[n%2],
		Device:     "mobile",
		Scene:      "chat",
		Action:     "redirect",
		PayChannel: "wechat",
		Shell:      []string{"", "", "", "", "unknown"}[n%5], // an unrecognised web-view now and then
	}
}

// waitFor polls cond until true or the deadline.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// discardSink accepts everything: the counters half of a SplitSink.
type discardSink struct{ track.Querier }

func (discardSink) WriteBatch(context.Context, *track.Batch) (bool, error) { return true, nil }

func natsConnect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.ReconnectBufSize(-1), nats.RetryOnFailedConnect(true), nats.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
