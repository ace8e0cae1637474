package shortlink_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

// countingStore counts Get and Hit calls; when gate is set, Get waits for it.
type countingStore struct {
	shortlink.Store
	gets, hits atomic.Int64
	gate       chan struct{}
}

func (s *countingStore) Get(ctx context.Context, d, c string) (shortlink.Link, error) {
	s.gets.Add(1)
	if s.gate != nil {
		<-s.gate
	}
	return s.Store.Get(ctx, d, c)
}

func (s *countingStore) Hit(ctx context.Context, d, c string, now time.Time) (shortlink.Link, shortlink.HitResult, error) {
	s.hits.Add(1)
	return s.Store.Hit(ctx, d, c, now)
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func newClock() *fakeClock                   { c := &fakeClock{}; c.ns.Store(storetest.Base.UnixNano()); return c }
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func boltStore(t testing.TB) shortlink.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "hutong.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newCached(t testing.TB, s shortlink.Store, cfg shortlink.CacheConfig) *shortlink.CachedStore {
	t.Helper()
	c, err := shortlink.NewCachedStore(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func link(code string) shortlink.Link {
	return shortlink.Link{Code: code, Target: "https://item.taobao.com/item.htm?id=1", CreatedAt: storetest.Base, Tags: []string{"a"}}
}

func TestCacheSingleflight(t *testing.T) {
	fs := &countingStore{Store: boltStore(t), gate: make(chan struct{})}
	c := newCached(t, fs, shortlink.CacheConfig{})
	if _, err := fs.Store.Create(context.Background(), link("hot")); err != nil {
		t.Fatal(err)
	}
	const n = 100
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range n {
		wg.Go(func() {
			if l, err := c.Get(context.Background(), "", "hot"); err == nil && l.Code == "hot" {
				ok.Add(1)
			}
		})
	}
	for c.Stats().Misses < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the last missers join the flight
	close(fs.gate)
	wg.Wait()
	if got := fs.gets.Load(); got != 1 {
		t.Errorf("store Gets for %d concurrent misses = %d; want 1", n, got)
	}
	if ok.Load() != n {
		t.Errorf("%d of %d Gets succeeded", ok.Load(), n)
	}
	c.Get(context.Background(), "", "hot")
	if got := fs.gets.Load(); got != 1 {
		t.Errorf("store Gets after a warm Get = %d; want 1", got)
	}
}

func TestCacheNegativeTTL(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	fs := &countingStore{Store: boltStore(t)}
	c := newCached(t, fs, shortlink.CacheConfig{Now: clk.Now, NegativeTTL: 5 * time.Second})
	for range 10 {
		if _, err := c.Get(ctx, "", "scan1"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			t.Fatalf("Get(unknown): err = %v; want not_found", err)
		}
	}
	if got := fs.gets.Load(); got != 1 {
		t.Errorf("store Gets for 10 lookups of one unknown code = %d; want 1", got)
	}
	clk.Advance(6 * time.Second)
	c.Get(ctx, "", "scan1")
	if got := fs.gets.Load(); got != 2 {
		t.Errorf("store Gets after NegativeTTL = %d; want 2", got)
	}
	// Creating the code drops the negative entry at once.
	if _, err := c.Create(ctx, link("scan1")); err != nil {
		t.Fatal(err)
	}
	if l, err := c.Get(ctx, "", "scan1"); err != nil || l.Code != "scan1" {
		t.Errorf("Get after Create = %q, %v; want the link", l.Code, err)
	}
}

func TestCacheWritesInvalidateLocally(t *testing.T) {
	ctx := context.Background()
	c := newCached(t, boltStore(t), shortlink.CacheConfig{})
	l, _ := c.Create(ctx, link("edit"))
	c.Get(ctx, "", "edit")
	l.Title = "v2"
	if _, err := c.Update(ctx, l); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(ctx, "", "edit"); got.Title != "v2" {
		t.Errorf("Get after Update: title %q; want v2", got.Title)
	}
	if err := c.Delete(ctx, "", "edit"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "", "edit"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
		t.Errorf("Get after Delete: err = %v; want not_found", err)
	}
}

func TestCacheTap(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	fs := &countingStore{Store: boltStore(t)}
	c := newCached(t, fs, shortlink.CacheConfig{Now: clk.Now, TTL: time.Hour})

	// Uncapped: no store write on the tap path.
	exp := storetest.Base.Add(time.Minute)
	free := link("free")
	free.ExpiresAt = &exp
	c.Create(ctx, free)
	for range 5 {
		if _, err := c.Tap(ctx, "", "free"); err != nil {
			t.Fatal(err)
		}
	}
	if fs.hits.Load() != 0 {
		t.Errorf("store Hits for an uncapped link = %d; want 0", fs.hits.Load())
	}
	clk.Advance(time.Minute)
	if l, err := c.Tap(ctx, "", "free"); shortlink.ErrorCode(err) != shortlink.CodeGone || l.Code != "free" {
		t.Errorf("Tap after expiry = %q, %v; want the link and gone", l.Code, err)
	}

	// Capped: exactly MaxClicks taps succeed under concurrency.
	capped := link("capped")
	capped.MaxClicks = 100
	c.Create(ctx, capped)
	var ok, gone atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			_, err := c.Tap(ctx, "", "capped")
			switch shortlink.ErrorCode(err) {
			case "":
				ok.Add(1)
			case shortlink.CodeGone:
				gone.Add(1)
			default:
				t.Errorf("Tap: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 100 || gone.Load() != 100 {
		t.Errorf("capped taps: %d ok, %d gone; want 100, 100", ok.Load(), gone.Load())
	}
	// Once exhausted, taps are answered from memory.
	before := fs.hits.Load()
	for range 10 {
		c.Tap(ctx, "", "capped")
	}
	if fs.hits.Load() != before {
		t.Errorf("store Hits after exhaustion grew by %d; want 0", fs.hits.Load()-before)
	}
	// Raising the cap (an edit) re-opens it.
	l, _ := c.Store.Get(ctx, "", "capped")
	l.MaxClicks = 101
	if _, err := c.Update(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tap(ctx, "", "capped"); err != nil {
		t.Errorf("Tap after raising the cap: %v", err)
	}
	if _, err := c.Tap(ctx, "", "capped"); shortlink.ErrorCode(err) != shortlink.CodeGone {
		t.Errorf("Tap 102: err = %v; want gone", err)
	}
}

// twoInstances returns two cached stores sharing one Redis (and one key
// prefix and channel), as two hutong processes would.
func twoInstances(t *testing.T, cfg shortlink.CacheConfig) (a, b *shortlink.CachedStore, raw shortlink.Store) {
	p := testPrefix(t)
	mk := func() *shortlink.CachedStore {
		rdb := redisClient(t, p)
		cfg.Bus = redisstore.NewPubSub(rdb, p+":invalidate", nil)
		c := newCached(t, redisstore.New(rdb, redisstore.Options{Prefix: p}), cfg)
		select {
		case <-c.Subscribed():
		case <-time.After(5 * time.Second):
			t.Fatal("no subscription within 5s")
		}
		return c
	}
	return mk(), mk(), redisstore.New(redisClient(t, p), redisstore.Options{Prefix: p})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 2s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCacheInvalidationAcrossInstances(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoInstances(t, shortlink.CacheConfig{TTL: time.Hour, NegativeTTL: time.Hour})
	// B remembers "no such code"; A creates it; B must see it.
	if _, err := b.Get(ctx, "", "shared"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
		t.Fatalf("B Get before create: %v", err)
	}
	l, err := a.Create(ctx, link("shared"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B sees the created link", func() bool { _, err := b.Get(ctx, "", "shared"); return err == nil })
	l.Title = "edited on A"
	if _, err := a.Update(ctx, l); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B sees the edit", func() bool { got, _ := b.Get(ctx, "", "shared"); return got.Title == "edited on A" })
	if err := a.Delete(ctx, "", "shared"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B sees the delete", func() bool {
		_, err := b.Get(ctx, "", "shared")
		return shortlink.ErrorCode(err) == shortlink.CodeNotFound
	})
}

func TestCacheHealsLostInvalidation(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	_, b, raw := twoInstances(t, shortlink.CacheConfig{Now: clk.Now, TTL: 30 * time.Second})
	l, err := raw.Create(ctx, link("heal"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Get(ctx, "", "heal"); got.Title != "" {
		t.Fatalf("B Get = %q", got.Title)
	}
	l.Title = "changed behind the cache's back"
	if _, err := raw.Update(ctx, l); err != nil { // no publish: a lost message
		t.Fatal(err)
	}
	if got, _ := b.Get(ctx, "", "heal"); got.Title != "" {
		t.Fatalf("B Get before TTL = %q; want the cached (stale) link", got.Title)
	}
	clk.Advance(31 * time.Second)
	if got, _ := b.Get(ctx, "", "heal"); got.Title != l.Title {
		t.Errorf("B Get after TTL = %q; want %q", got.Title, l.Title)
	}
}

func TestCacheResubscribeClears(t *testing.T) {
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	rdb, _ := redisconn.New(srv.URL(), redisconn.Config{DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	c := newCached(t, redisstore.New(rdb, redisstore.Options{}), shortlink.CacheConfig{Bus: redisstore.NewPubSub(rdb, "", nil), TTL: time.Hour})
	<-c.Subscribed()
	ctx := context.Background()
	c.Create(ctx, link("blip"))
	c.Get(ctx, "", "blip")
	if c.Len() == 0 {
		t.Fatal("cache empty after Get")
	}
	srv.Stop()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Stats().Resubscribes == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no resubscription within 10s of a Redis restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := c.Len(); n != 0 {
		t.Errorf("cache holds %d entries after resubscribing; want 0", n)
	}
}

func TestCacheWarmGetAllocs(t *testing.T) {
	ctx := context.Background()
	c := newCached(t, boltStore(t), shortlink.CacheConfig{})
	c.Create(ctx, link("warm"))
	c.Get(ctx, "", "warm")
	c.Get(ctx, "", "cold")
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"Get hit", func() { c.Get(ctx, "", "warm") }},
		{"Get negative", func() { c.Get(ctx, "", "cold") }},
		{"Tap uncapped", func() { c.Tap(ctx, "", "warm") }},
	} {
		if n := testing.AllocsPerRun(1000, tc.fn); n != 0 {
			t.Errorf("%s: %v allocs per run; want 0", tc.name, n)
		}
	}
}

func BenchmarkCachedGetWarm(b *testing.B) {
	ctx := context.Background()
	c := newCached(b, boltStore(b), shortlink.CacheConfig{})
	c.Create(ctx, link("warm"))
	c.Get(ctx, "", "warm")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Get(ctx, "", "warm"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTapWarm(b *testing.B) {
	ctx := context.Background()
	c := newCached(b, boltStore(b), shortlink.CacheConfig{})
	c.Create(ctx, link("warm"))
	c.Get(ctx, "", "warm")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Tap(ctx, "", "warm"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCacheCreateManyInvalidates(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoInstances(t, shortlink.CacheConfig{TTL: time.Hour, NegativeTTL: time.Hour})
	for _, c := range []*shortlink.CachedStore{a, b} {
		if _, err := c.Get(ctx, "", "many1"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			t.Fatalf("Get before create: %v", err)
		}
	}
	out, errs := a.CreateMany(ctx, []shortlink.Link{link("many1"), link("many2"), link("many1")})
	if errs[0] != nil || errs[1] != nil || shortlink.ErrorCode(errs[2]) != shortlink.CodeConflict || out[0].Code != "many1" {
		t.Fatalf("CreateMany = %v", errs)
	}
	if _, err := a.Get(ctx, "", "many1"); err != nil {
		t.Errorf("A Get after its CreateMany: %v", err)
	}
	waitFor(t, "B sees the created link", func() bool { _, err := b.Get(ctx, "", "many1"); return err == nil })
}
