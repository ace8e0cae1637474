package redisstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
	"github.com/hutong-dev/hutong/shortlink/storetest"
	"github.com/redis/go-redis/v9"
)

var prefixSeq atomic.Int64

// testPrefix returns a key prefix no other test (or engineer) uses.
func testPrefix(t testing.TB) string {
	return fmt.Sprintf("hutong-test:%d:%d", time.Now().UnixNano(), prefixSeq.Add(1))
}

// redisClient connects to the test Redis and deletes everything under
// prefix when t ends.
func redisClient(t testing.TB, prefix string) redis.UniversalClient {
	t.Helper()
	rdb, err := redisconn.New(testredis.URL(t), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+":*", 500).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb
}

func TestRedisContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) shortlink.Store {
		p := testPrefix(t)
		return redisstore.New(redisClient(t, p), redisstore.Options{Prefix: p})
	})
}

func TestRedisKeyLayout(t *testing.T) {
	ctx := context.Background()
	p := testPrefix(t)
	rdb := redisClient(t, p)
	s := redisstore.New(rdb, redisstore.Options{Prefix: p})
	l := shortlink.Link{Code: "abc", Domain: "go.example.com", Target: "https://item.taobao.com/item.htm?id=1", MaxClicks: 5, Tags: []string{"t"}, Campaign: "c"}
	if _, err := s.Create(ctx, l); err != nil {
		t.Fatal(err)
	}
	s.Hit(ctx, "go.example.com", "abc", storetest.Base)
	for _, k := range []string{
		p + ":{go.example.com/abc}:link", p + ":{go.example.com/abc}:clicks",
		p + ":{idx}:all", p + ":{idx}:tag:t", p + ":{idx}:campaign:c",
	} {
		if n, _ := rdb.Exists(ctx, k).Result(); n != 1 {
			t.Errorf("key %q missing", k)
		}
	}
}

func TestRedisUnavailable(t *testing.T) {
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	rdb, _ := redisconn.New(srv.URL(), redisconn.Config{DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	s := redisstore.New(rdb, redisstore.Options{Timeout: 500 * time.Millisecond})
	srv.Stop()
	if _, err := s.Get(context.Background(), "", "abc"); shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
		t.Errorf("Get with Redis down: err = %v; want unavailable", err)
	}
	if err := s.Ping(context.Background()); shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
		t.Errorf("Ping with Redis down: err = %v; want unavailable", err)
	}
}

// A fresh Redis has no scripts cached: CreateMany's pipelined EVALSHAs
// answer NOSCRIPT and are sent again with the source.
func TestRedisCreateManyNoScript(t *testing.T) {
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	rdb, _ := redisconn.New(srv.URL(), redisconn.Config{DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	s := redisstore.New(rdb, redisstore.Options{Timeout: 500 * time.Millisecond})
	ctx := context.Background()
	in := []shortlink.Link{link("ns1"), link("ns2"), link("ns1")}
	out, errs := s.CreateMany(ctx, in)
	if errs[0] != nil || errs[1] != nil || shortlink.ErrorCode(errs[2]) != shortlink.CodeConflict || out[1].Code != "ns2" {
		t.Fatalf("CreateMany on an empty script cache = %v", errs)
	}
	if got, err := s.Get(ctx, "", "ns2"); err != nil || got.Version != 1 {
		t.Errorf("Get(ns2) = %+v, %v", got, err)
	}
	if p, err := s.List(ctx, shortlink.Filter{Tag: "a"}); err != nil || len(p.Links) != 2 {
		t.Errorf("List(tag a) = %d links, %v; want 2", len(p.Links), err)
	}
	srv.Stop()
	_, errs = s.CreateMany(ctx, []shortlink.Link{link("down1"), link("down2")})
	for i, err := range errs {
		if shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
			t.Errorf("CreateMany with Redis down: item %d err = %v; want unavailable", i, err)
		}
	}
}

func TestRedisDomains(t *testing.T) {
	storetest.RunDomains(t, func(t *testing.T) storetest.DomainStore {
		p := testPrefix(t)
		return redisstore.New(redisClient(t, p), redisstore.Options{Prefix: p})
	})
}

func link(code string) shortlink.Link {
	return shortlink.Link{Code: code, Target: "https://item.taobao.com/item.htm?id=1", CreatedAt: storetest.Base, Tags: []string{"a"}}
}

// TestRedisSeedAcrossClients: instances starting at once, each with its
// own connection to one Redis, seed exactly one list, whole (seedScript).
func TestRedisSeedAcrossClients(t *testing.T) {
	for round := range 10 {
		p := testPrefix(t)
		stores := make([]storetest.DomainStore, 8)
		for i := range stores {
			stores[i] = redisstore.New(redisClient(t, p), redisstore.Options{Prefix: p})
		}
		storetest.SeedConcurrently(t, stores, fmt.Sprint(round))
	}
}
