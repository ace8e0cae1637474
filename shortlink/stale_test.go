package shortlink_test

import (
	"context"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

// TestStaleIfErrorRedisDown stops a real throwaway redis-server: a cached
// uncapped link is still served past its TTL (counted as Stale) until
// TTL+StaleIfError, a capped one fails closed, and once Redis is back the
// entry is refreshed.
func TestStaleIfErrorRedisDown(t *testing.T) {
	ctx := context.Background()
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	rdb, err := redisconn.New(srv.URL(), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	clock := newClock()
	clock.Advance(time.Until(storetest.Base) * -1) // today, so expiry checks are real
	st := redisstore.New(rdb, redisstore.Options{Prefix: "staletest"})
	c, err := shortlink.NewCachedStore(st, shortlink.CacheConfig{TTL: 30 * time.Second, StaleIfError: 10 * time.Minute, Now: clock.Now, LoadTimeout: time.Second, HitTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	open := shortlink.Link{Code: "open1", Target: "https://item.taobao.com/item.htm?id=1"}
	capped := shortlink.Link{Code: "cap1", Target: "https://item.taobao.com/item.htm?id=2", MaxClicks: 100}
	for _, l := range []shortlink.Link{open, capped} {
		if _, err := c.Create(ctx, l); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Tap(ctx, "", l.Code); err != nil {
			t.Fatalf("warm tap %s: %v", l.Code, err)
		}
	}
	srv.Stop()
	clock.Advance(31 * time.Second) // past the TTL
	for i := range 3 {
		if l, err := c.Tap(ctx, "", "open1"); err != nil || l.Code != "open1" {
			t.Fatalf("tap %d on the cached uncapped link with Redis down: %v; want it served stale", i, err)
		}
	}
	if got := c.Stats().Stale; got != 3 {
		t.Errorf("Stats().Stale = %d; want 3", got)
	}
	if _, err := c.Tap(ctx, "", "cap1"); shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
		t.Errorf("tap on the capped link with Redis down = %v; want CodeUnavailable (fail closed)", err)
	}
	clock.Advance(9 * time.Minute) // 9m31s: still inside TTL+StaleIfError
	if _, err := c.Tap(ctx, "", "open1"); err != nil {
		t.Fatalf("tap at 9m31s: %v; want stale", err)
	}
	clock.Advance(time.Minute) // 10m31s: past the bound
	if _, err := c.Tap(ctx, "", "open1"); shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
		t.Fatalf("tap past TTL+StaleIfError = %v; want CodeUnavailable", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The restarted server is empty (no persistence): store the link
	// again behind the cache's back; the refresh must find it.
	var lerr error
	for range 50 {
		if _, lerr = st.Create(ctx, open); lerr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for range 50 { // the client reconnects
		if _, lerr = c.Tap(ctx, "", "open1"); lerr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lerr != nil {
		t.Fatalf("tap after Redis restarted: %v", lerr)
	}
}
