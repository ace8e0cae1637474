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

// maxQueuedLoads bounds the misses waiting for a read: past it (the store
// is hanging and cold taps keep coming) a miss fails at once with
// CodeUnavailable instead of growing the queue for as long as the outage.
const maxQueuedLoads = 4096

// loadResult is the outcome of one batched read: the cache entry
// (negativeEntry for a missing link) or the error.
type loadResult struct {
	e   *packedLink
	err error
}

// flight is one code's read, queued or in progress, and the callers
// waiting for it.
type flight struct {
	k       key
	waiters []chan loadResult
}

// batchLoader coalesces a CachedStore's misses into GetMany calls: a loader
// goroutine reads whatever is queued in one round trip, and misses that
// arrive while it waits are read together in the next. Under load a batch
// holds about as many codes as arrived during one round trip, so the
// store's per-command cost (a syscall and a wake-up each side) is paid per
// batch, not per cold tap; an idle loader answers a lone miss at once. A
// code already queued or being read is not read twice: its callers share
// the read (what singleflight does on the unbatched path, without a
// goroutine per miss), unless an invalidation came in between (forget).
// A caller that stops waiting leaves its flight; a queued flight nobody
// waits for any more is dropped unread. Safe for concurrent use.
type batchLoader struct {
	c     *CachedStore
	store MultiGetter

	mu      sync.Mutex
	flights map[key]*flight // the flight a new miss of the code joins
	queue   []*flight       // queued, not yet being read
	closed  bool

	wake    chan struct{}
	stop    chan struct{}
	running sync.WaitGroup // the loaders
}

func newBatchLoader(c *CachedStore, store MultiGetter) *batchLoader {
	b := &batchLoader{c: c, store: store, flights: make(map[key]*flight),
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	for range batchLoaders {
		b.running.Go(b.run)
	}
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
	f := b.flights[k]
	queued := f == nil
	if queued {
		if len(b.queue) >= maxQueuedLoads {
			b.mu.Unlock()
			return nil, Errorf(CodeUnavailable, "link store too slow: %d reads waiting", maxQueuedLoads)
		}
		f = &flight{k: k}
		b.flights[k] = f
		b.queue = append(b.queue, f)
	}
	f.waiters = append(f.waiters, ch)
	b.mu.Unlock()
	if queued {
		select {
		case b.wake <- struct{}{}:
		default: // a loader is already due to look at the queue
		}
	}
	select {
	case r := <-ch:
		return r.e, r.err
	case <-ctx.Done():
		b.mu.Lock()
		if i := slices.Index(f.waiters, ch); i >= 0 {
			f.waiters = slices.Delete(f.waiters, i, i+1)
		}
		b.mu.Unlock()
		return nil, wrap(CodeUnavailable, ctx.Err(), "store too slow")
	}
}

// forget makes the next miss of k start a read of its own: one queued or
// in flight now may have begun before an invalidation of k. Its callers
// still get its answer; the epoch check keeps it out of the cache.
func (b *batchLoader) forget(k key) {
	b.mu.Lock()
	delete(b.flights, k)
	b.mu.Unlock()
}

// forgetAll is forget for every code (InvalidateAll).
func (b *batchLoader) forgetAll() {
	b.mu.Lock()
	clear(b.flights)
	b.mu.Unlock()
}

func (b *batchLoader) run() {
	var (
		batch []*flight
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
			select {
			case <-b.stop:
				return
			default:
			}
			batch = b.take(batch[:0])
			if len(batch) == 0 {
				break
			}
			refs = refs[:0]
			for _, f := range batch {
				refs = append(refs, LinkRef{Domain: f.k.domain, Code: f.k.code})
			}
			n := len(batch)
			links = slices.Grow(links[:0], n)[:n]
			errs = slices.Grow(errs[:0], n)[:n]
			b.read(batch, refs, links, errs)
			clear(batch) // no flights pinned behind len
		}
	}
}

// take moves up to maxBatchLoad queued flights that someone still waits
// for into batch; flights nobody waits for are dropped.
func (b *batchLoader) take(batch []*flight) []*flight {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := 0
	for ; i < len(b.queue) && len(batch) < maxBatchLoad; i++ {
		f := b.queue[i]
		if len(f.waiters) == 0 {
			if b.flights[f.k] == f {
				delete(b.flights, f.k)
			}
			continue
		}
		batch = append(batch, f)
	}
	rest := copy(b.queue, b.queue[i:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	return batch
}

// read reads one batch and answers every caller waiting for it.
func (b *batchLoader) read(batch []*flight, refs []LinkRef, links []Link, errs []error) {
	c := b.c
	c.loads.Add(uint64(len(batch)))
	c.reads.Add(1)
	epoch := c.epoch.Load()
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LoadTimeout)
	b.store.GetMany(ctx, refs, links, errs)
	cancel()
	for i, f := range batch {
		e, err := c.settle(f.k, epoch, &links[i], errs[i])
		links[i] = Link{} // settle copied what it keeps
		b.mu.Lock()
		if b.flights[f.k] == f {
			delete(b.flights, f.k)
		}
		ws := f.waiters
		f.waiters = nil
		b.mu.Unlock()
		for _, ch := range ws {
			ch <- loadResult{e, err}
		}
	}
}

// close stops the loaders (a read in progress finishes first); queued and
// later misses fail with CodeUnavailable (the store is being closed).
func (b *batchLoader) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	close(b.stop)
	b.running.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range b.queue {
		for _, ch := range f.waiters {
			ch <- loadResult{err: Errorf(CodeUnavailable, "link store closed")}
		}
		f.waiters = nil
	}
	b.queue = nil
	clear(b.flights)
}
