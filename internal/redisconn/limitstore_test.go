package redisconn_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
)

// TestLimiterStorage: what the rate limiter needs from its storage, on the
// test Redis: a value set with an expiry reads back and expires, Delete
// removes it, an absent key is (nil, nil), keys stay under the prefix.
func TestLimiterStorage(t *testing.T) {
	rdb, err := redisconn.New(testredis.URL(t), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	prefix := fmt.Sprintf("hutong-test:limit:%d", time.Now().UnixNano())
	s := redisconn.NewLimiterStorage(rdb, prefix)
	ctx := context.Background()
	t.Cleanup(func() { rdb.Del(ctx, prefix+":a", prefix+":b") })

	if v, err := s.Get("a"); v != nil || err != nil {
		t.Errorf("Get(absent) = %q, %v; want nil, nil", v, err)
	}
	if err := s.Set("a", []byte("1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("a"); !bytes.Equal(v, []byte("1")) || err != nil {
		t.Errorf("Get(a) = %q, %v; want 1", v, err)
	}
	if ttl := rdb.TTL(ctx, prefix+":a").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL of %s:a = %v; want within a minute", prefix, ttl)
	}
	if err := s.Set("b", []byte("2"), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for v, _ := s.Get("b"); v != nil; v, _ = s.Get("b") {
		if time.Now().After(deadline) {
			t.Fatal("b did not expire within 5s of a 50ms expiry")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("a"); v != nil || err != nil {
		t.Errorf("Get after Delete = %q, %v; want nil, nil", v, err)
	}
}
