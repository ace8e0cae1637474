package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
)

// TestRedisHitMinReplicas: with MinReplicas the cap's increment counts only
// once a replica acknowledged it; a lone server (no replica) fails closed.
func TestRedisHitMinReplicas(t *testing.T) {
	ctx := context.Background()
	link := shortlink.Link{Code: "cap1", Domain: "go.example.com", Target: "https://item.taobao.com/item.htm?id=1", MaxClicks: 2}

	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	lone, _ := redisconn.New(srv.URL(), redisconn.Config{})
	defer lone.Close()
	s := redisstore.New(lone, redisstore.Options{Prefix: "durtest", MinReplicas: 1, ReplicaTimeout: 20 * time.Millisecond})
	if _, err := s.Create(ctx, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Hit(ctx, link.Domain, link.Code, time.Now()); shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
		t.Errorf("Hit with no replica = %v; want %s", err, shortlink.CodeUnavailable)
	}

	sen := testredis.StartSentinel(t, 1)
	rdb, err := redisconn.New(sen.URL(), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	s = redisstore.New(rdb, redisstore.Options{Prefix: "durtest", MinReplicas: redisconn.DefaultMinReplicas(ctx, rdb)})
	if _, err := s.Create(ctx, link); err != nil {
		t.Fatal(err)
	}
	var res []shortlink.HitResult
	for range 3 {
		_, r, err := s.Hit(ctx, link.Domain, link.Code, time.Now())
		if err != nil {
			t.Fatalf("Hit with a replica: %v", err)
		}
		res = append(res, r)
	}
	if res[0] != shortlink.HitOK || res[1] != shortlink.HitOK || res[2] != shortlink.HitExhausted {
		t.Errorf("hits = %v; want ok, ok, exhausted", res)
	}
}
