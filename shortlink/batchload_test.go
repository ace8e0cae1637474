package shortlink_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
)

// multiStore is a real redisstore.Store that counts GetMany calls and the links
// they asked for; when gate is set, each GetMany waits for a value from it,
// before reading Redis, or after when gateAfterRead is set (a read whose
// answer is on its way back).
type multiStore struct {
	*redisstore.Store
	calls, refs   atomic.Int64
	gate          chan struct{}
	gateAfterRead bool
	started       chan int // len(refs) of each call, when set
}

func (s *multiStore) GetMany(ctx context.Context, refs []shortlink.LinkRef, links []shortlink.Link, errs []error) {
	s.calls.Add(1)
	s.refs.Add(int64(len(refs)))
	if s.gateAfterRead {
		s.Store.GetMany(ctx, refs, links, errs)
	}
	if s.started != nil {
		s.started <- len(refs)
	}
	if s.gate != nil {
		<-s.gate
	}
	if !s.gateAfterRead {
		s.Store.GetMany(ctx, refs, links, errs)
	}
}

func newMultiStore(t *testing.T) *multiStore {
	t.Helper()
	p := testPrefix(t)
	return &multiStore{Store: redisstore.New(redisClient(t, p), redisstore.Options{Prefix: p})}
}

// TestBatchLoadCoalesces: misses that arrive while reads are in flight are
// read together in one later round trip, every caller gets its own link
// (or not found), and a code asked for by many callers is read once.
func TestBatchLoadCoalesces(t *testing.T) {
	ms := newMultiStore(t)
	ctx := context.Background()
	const n = 60
	for i := range n {
		if _, err := ms.Create(ctx, link(fmt.Sprintf("bl%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	ms.gate, ms.started = make(chan struct{}), make(chan int, 64)
	c := newCached(t, ms, shortlink.CacheConfig{})

	// The first miss starts a read that the gate holds open...
	first := make(chan error, 1)
	go func() { _, err := c.Get(ctx, "", "bl000"); first <- err }()
	if got := <-ms.started; got != 1 {
		t.Fatalf("first read asked for %d links; want 1", got)
	}
	// ...while every other code (plus a missing one), each asked for by
	// three callers, queues up behind it (a second loader may take some of
	// them into a read of its own, which the gate holds too).
	type res struct {
		want string
		l    shortlink.Link
		err  error
	}
	out := make(chan res, 3*n)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		code := fmt.Sprintf("bl%03d", i) // bl060 does not exist
		for range 3 {
			wg.Go(func() {
				l, err := c.Get(ctx, "", code)
				out <- res{code, l, err}
			})
		}
	}
	waitFor(t, "misses queued", func() bool { return c.Stats().Misses == 1+3*n })
	close(ms.gate)
	if err := <-first; err != nil {
		t.Fatalf("first Get: %v", err)
	}
	wg.Wait()
	close(out)
	for r := range out {
		switch {
		case r.want == "bl060":
			if shortlink.ErrorCode(r.err) != shortlink.CodeNotFound {
				t.Errorf("Get(%s): err %v; want not found", r.want, r.err)
			}
		case r.err != nil || r.l.Code != r.want:
			t.Errorf("Get(%s) = %q, %v; want the link", r.want, r.l.Code, r.err)
		}
	}
	close(ms.started)
	biggest := 0
	for k := range ms.started {
		biggest = max(biggest, k)
	}
	// The first read, perhaps one a second loader started while the first
	// was held, and one for everything still queued when the gate opened.
	if calls, refs := ms.calls.Load(), ms.refs.Load(); calls > 3 || refs != 1+n || 2*biggest < n {
		t.Errorf("GetMany calls %d for %d links, the biggest %d; want at most 3 for %d links, one of at least %d",
			calls, refs, biggest, 1+n, n/2)
	}
	// Everything read is cached now, the missing code as not found.
	calls := ms.calls.Load()
	ms.gate, ms.started = nil, nil
	for _, code := range []string{"bl000", "bl030", "bl060"} {
		_, _ = c.Get(ctx, "", code)
	}
	if got := ms.calls.Load(); got != calls {
		t.Errorf("cached links were read again: %d GetMany calls; want %d", got, calls)
	}
}

// TestBatchLoadSlowStore: a caller whose deadline passes gets
// CodeUnavailable at once; the read still finishes and fills the cache.
func TestBatchLoadSlowStore(t *testing.T) {
	ms := newMultiStore(t)
	ctx := context.Background()
	if _, err := ms.Create(ctx, link("slow1")); err != nil {
		t.Fatal(err)
	}
	ms.gate = make(chan struct{})
	c := newCached(t, ms, shortlink.CacheConfig{})
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.Get(short, "", "slow1"); shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
		t.Fatalf("Get past its deadline: %v; want CodeUnavailable", err)
	}
	close(ms.gate)
	waitFor(t, "the late read cached", func() bool { return c.Len() == 1 })
	if l, err := c.Get(ctx, "", "slow1"); err != nil || l.Code != "slow1" {
		t.Fatalf("Get after the late read = %q, %v", l.Code, err)
	}
	if calls := ms.calls.Load(); calls != 1 {
		t.Errorf("GetMany calls %d; want 1", calls)
	}
}

// TestBatchLoadInvalidatedMeanwhile: a read that an invalidation overtakes
// answers its own callers but is not cached, and a miss after the
// invalidation does not join it: it reads the link again and sees the edit.
func TestBatchLoadInvalidatedMeanwhile(t *testing.T) {
	ms := newMultiStore(t)
	ctx := context.Background()
	l, err := ms.Create(ctx, link("inv1"))
	if err != nil {
		t.Fatal(err)
	}
	ms.gate, ms.started, ms.gateAfterRead = make(chan struct{}), make(chan int, 4), true
	c := newCached(t, ms, shortlink.CacheConfig{})
	before := make(chan shortlink.Link, 1)
	go func() { l, _ := c.Get(ctx, "", "inv1"); before <- l }()
	<-ms.started // read 1 holds the old record
	l.Disabled = true
	if _, err := ms.Update(ctx, l); err != nil {
		t.Fatal(err)
	}
	c.Invalidate("", "inv1") // what Update through the cache (or pub/sub) does
	after := make(chan shortlink.Link, 1)
	go func() { l, _ := c.Get(ctx, "", "inv1"); after <- l }()
	<-ms.started // a read of its own, not read 1
	close(ms.gate)
	if l := <-before; l.Disabled {
		t.Errorf("the read started before the edit saw it: test broken")
	}
	if l := <-after; !l.Disabled {
		t.Errorf("a miss after the invalidation got the link as it was before the edit")
	}
	if calls := ms.calls.Load(); calls != 2 {
		t.Errorf("GetMany calls %d; want 2", calls)
	}
	if e, err := c.Get(ctx, "", "inv1"); err != nil || !e.Disabled {
		t.Errorf("cached afterwards: %+v, %v; want the edited link", e.Disabled, err)
	}
}

// TestBatchLoadAbandoned: a queued code whose callers all gave up is not
// read; when the store hangs, the queue stops growing at its bound and
// further misses fail at once.
func TestBatchLoadAbandoned(t *testing.T) {
	ms := newMultiStore(t)
	ctx := context.Background()
	ms.gate, ms.started = make(chan struct{}), make(chan int, 64) // ≥ the batches below
	c := newCached(t, ms, shortlink.CacheConfig{})
	// Both loaders hang in a read.
	var held sync.WaitGroup
	for _, code := range []string{"held1", "held2"} {
		held.Go(func() { _, _ = c.Get(ctx, "", code) })
		<-ms.started
	}
	// A miss that gives up while queued...
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.Get(short, "", "gaveup"); shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
		t.Fatalf("Get past its deadline: %v; want CodeUnavailable", err)
	}
	// ...and a queue filled to its bound (4096) by misses that wait.
	var waiting sync.WaitGroup
	var notFound atomic.Int64
	for i := range 4095 {
		waiting.Go(func() {
			if _, err := c.Get(ctx, "", fmt.Sprintf("q%05d", i)); shortlink.ErrorCode(err) == shortlink.CodeNotFound {
				notFound.Add(1)
			}
		})
	}
	waitFor(t, "queue full", func() bool { return c.Stats().Misses == 2+1+4095 })
	start := time.Now()
	octx, ocancel := context.WithTimeout(ctx, 2*time.Second) // fail, not hang, without the bound
	defer ocancel()
	_, err := c.Get(octx, "", "overflow")
	if shortlink.ErrorCode(err) != shortlink.CodeUnavailable || time.Since(start) > time.Second {
		t.Fatalf("Get with the queue full: %v after %v; want CodeUnavailable at once", err, time.Since(start))
	}
	close(ms.gate)
	held.Wait()
	waiting.Wait()
	if n := notFound.Load(); n != 4095 {
		t.Errorf("%d queued misses answered not found; want 4095", n)
	}
	if refs := ms.refs.Load(); refs != 2+4095 {
		t.Errorf("GetMany asked for %d links; want %d (the abandoned code unread)", refs, 2+4095)
	}
}

// TestBatchLoadClose: misses after Close fail clearly instead of hanging.
func TestBatchLoadClose(t *testing.T) {
	ms := newMultiStore(t)
	c, err := shortlink.NewCachedStore(ms, shortlink.CacheConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = c.Get(ctx, "", "after")
	if shortlink.ErrorCode(err) != shortlink.CodeUnavailable || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get after Close: %v; want CodeUnavailable at once", err)
	}
}

// TestBatchLoadOff: NoBatchLoads reads one link per Get.
func TestBatchLoadOff(t *testing.T) {
	ms := newMultiStore(t)
	ctx := context.Background()
	if _, err := ms.Create(ctx, link("off1")); err != nil {
		t.Fatal(err)
	}
	c := newCached(t, ms, shortlink.CacheConfig{NoBatchLoads: true})
	if l, err := c.Get(ctx, "", "off1"); err != nil || l.Code != "off1" {
		t.Fatalf("Get = %q, %v", l.Code, err)
	}
	// redisstore.Store.Get is GetMany of one link, called on the store itself.
	if calls := ms.calls.Load(); calls != 0 {
		t.Errorf("GetMany through the cache %d times; want 0 with NoBatchLoads", calls)
	}
}
