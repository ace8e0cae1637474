package shortlink

import (
	"context"
	"runtime"
	"slices"
	"sync"
)

// maxBatchLoad caps the links read in one GetMany.
const maxBatchLoad = 256

// batchLoaders is how many reads may be in flight at once: a second
// loader takes the misses that queue while the first waits for Redis, so
// a miss waits for at most its own round trip plus the one before it.
const batchLoaders = 2

// loadResult is the outcome of one batched read: the cache entry
// (negativeEntry for a missing link) or the error.
type loadResult struct {
	e   *packedLink
	err error
}

// batchLoader coalesces a CachedStore's misses into GetMany calls: one
// goroutine reads whatever is queued in one round trip, and misses that
// arrive while it waits are read together in the next. Under load a batch
// holds about as many codes as arrived during one round trip, so the
// store's per-command cost (a syscall and a wake-up each side) is paid per
// batch, not per cold tap; an idle loader answers a lone miss at once. A
// code already queued or being read is not read twice: its callers share
// the read (what singleflight does on the unbatched path, without a
// goroutine per miss). Safe for concurrent use.
type batchLoader struct {
	c     *CachedStore
	store MultiGetter

	mu      sync.Mutex
	waiters map[key][]chan loadResult // queued or being read
	queue   []key                     // queued, not yet being read
	closed  bool

	wake    chan struct{}
	stop    chan struct{}
	running sync.WaitGroup
	done    chan struct{} // closed when every loader has returned
}

func newBatchLoader(c *CachedStore, store MultiGetter) *batchLoader {
	b := &batchLoader{c: c, store: store, waiters: make(map[key][]chan loadResult),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	b.running.Add(batchLoaders)
	for range batchLoaders {
		go b.run()
	}
	go func() { b.running.Wait(); close(b.done) }()
	return b
}

// get returns k's entry, reading it with the next batch unless a read of
// it is already queued or in flight. k must be owned memory. The read has
// its own deadline (CacheConfig.LoadTimeout); ctx only bounds the wait.
func (b *batchLoader) get(ctx context.Context, k key) (*packedLink, error) {
	ch := make(chan loadResult, 1)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, Errorf(CodeUnavailable, "link store closed")
	}
	ws, shared := b.waiters[k]
	b.waiters[k] = append(ws, ch)
	if !shared {
		b.queue = append(b.queue, k)
	}
	b.mu.Unlock()
	if !shared {
		select {
		case b.wake <- struct{}{}:
		default: // the loader is already due to look at the queue
		}
	}
	select {
	case r := <-ch:
		return r.e, r.err
	case <-ctx.Done():
		// The loader still answers ch (buffered) and caches the result.
		return nil, wrap(CodeUnavailable, ctx.Err(), "store too slow")
	}
}

func (b *batchLoader) run() {
	defer b.running.Done()
	var (
		keys  []key
		refs  []LinkRef
		links []Link
		errs  []error
	)
	for {
		select {
		case <-b.wake:
		case <-b.stop:
			return
		}
		for {
			// Let the goroutines that are runnable now (requests that
			// arrived with this one) queue their misses first: it costs
			// no waiting when nothing else is runnable.
			runtime.Gosched()
			b.mu.Lock()
			n := min(len(b.queue), maxBatchLoad)
			keys = append(keys[:0], b.queue[:n]...)
			rest := copy(b.queue, b.queue[n:])
			clear(b.queue[rest:]) // no stale keys pinned behind len
			b.queue = b.queue[:rest]
			b.mu.Unlock()
			if n == 0 {
				break
			}
			refs = refs[:0]
			for _, k := range keys {
				refs = append(refs, LinkRef{Domain: k.domain, Code: k.code})
			}
			links = slices.Grow(links[:0], n)[:n]
			errs = slices.Grow(errs[:0], n)[:n]
			b.read(keys, refs, links, errs)
		}
	}
}

// read reads one batch and answers every caller waiting for its keys.
func (b *batchLoader) read(keys []key, refs []LinkRef, links []Link, errs []error) {
	c := b.c
	c.loads.Add(uint64(len(keys)))
	c.reads.Add(1)
	epoch := c.epoch.Load()
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LoadTimeout)
	b.store.GetMany(ctx, refs, links, errs)
	cancel()
	for i, k := range keys {
		e, err := c.settle(k, epoch, &links[i], errs[i])
		links[i] = Link{} // settle copied what it keeps
		b.mu.Lock()
		ws := b.waiters[k]
		delete(b.waiters, k)
		b.mu.Unlock()
		for _, ch := range ws {
			ch <- loadResult{e, err}
		}
	}
}

// close stops the loader; queued and later misses fail with
// CodeUnavailable (the store is being closed).
func (b *batchLoader) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, ws := range b.waiters {
		for _, ch := range ws {
			ch <- loadResult{err: Errorf(CodeUnavailable, "link store closed")}
		}
		delete(b.waiters, k)
	}
	b.queue = nil
}
