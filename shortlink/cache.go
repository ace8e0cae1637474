package shortlink

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"

	"github.com/hutong-dev/hutong/internal/cachework"
)

// InvalidationBus carries cache invalidations between the instances that
// share a store: redisstore.PubSub implements it on Redis pub/sub. The
// messages are opaque to the bus. Delivery is at most once: a message sent
// while a subscriber is disconnected is lost for it, which Subscribe
// reports (resubscribed) so the subscriber can clear what it may have
// missed. Implementations are safe for concurrent use.
type InvalidationBus interface {
	// Publish sends msgs to every subscriber, this instance's included,
	// in one round trip when there are several. It returns how many of
	// them are known to have failed (0 when it cannot tell) and the
	// first error; nil when all were sent.
	Publish(ctx context.Context, msgs ...string) (failed int, err error)
	// Subscribe receives until ctx ends, retrying a lost subscription on
	// its own. It calls subscribed(false) when the subscription is first
	// confirmed and subscribed(true) each time it is confirmed again after
	// a loss; onMessage for each message, in order, from one goroutine.
	Subscribe(ctx context.Context, subscribed func(again bool), onMessage func(msg string))
}

// CacheConfig configures NewCachedStore. The zero value is ready to use
// (no cross-instance invalidation).
type CacheConfig struct {
	// MaxEntries bounds the cache. Optional. Default: 100000.
	// A cached link is kept packed (all its strings in one allocation):
	// a typical link (a Taobao item URL and its parsed entity) costs about
	// 550 B of live heap, otter's node, hash table and key included
	// (TestCacheMemoryPerEntry; it was ~940 B unpacked), plus ~1 B per byte
	// of title, description, tags and other strings it carries. A negative
	// entry shares one value: only node, table and key (~150 B, estimated).
	// So the default holds about 55 MB of live heap when full of typical
	// links; with GOGC=100 the process's RSS can reach about twice the live
	// heap, so set GOMEMLIMIT (or lower MaxEntries) when RSS must stay
	// under a bound.
	MaxEntries int
	// TTL is how long a found link is served from memory. It bounds how
	// long an instance can serve a stale link when an invalidation message
	// is lost. Optional. Default: 30s.
	TTL time.Duration
	// StaleIfError is how long past TTL a found link may still be served
	// while its refresh from the store fails (Redis down): taps on links
	// without a click cap keep working through an outage that long.
	// Capped links fail closed regardless (their Hit needs the store).
	// During a failure the store is asked again at most every
	// staleRetry per link. Optional. Default: 0, none (cmd/hutong sets
	// --stale-if-error, default 10m).
	StaleIfError time.Duration
	// NegativeTTL is how long "no such code" is remembered, so scans of
	// random codes do not reach the store. Create invalidates it at once on
	// this instance and, through Bus, on the others. Optional. Default: 5s.
	NegativeTTL time.Duration
	// LoadTimeout bounds one store read on a miss. The read runs on its own
	// context (shared by all callers waiting for the same code), not on the
	// caller's. Optional. Default: 2s.
	LoadTimeout time.Duration
	// NoBatchLoads turns off the coalescing of cache misses: by default,
	// when the store reads several links in one round trip (MultiGetter:
	// redisstore.Store), misses that arrive while a read is in flight are queued
	// and read together in the next one, so a burst of cold taps costs a
	// few round trips instead of one each. Concurrent misses of one code
	// share one read either way. Optional. Default: false.
	NoBatchLoads bool
	// HitTimeout bounds the store's Hit on the tap path for capped links.
	// Optional. Default: 500ms.
	HitTimeout time.Duration
	// Bus, when set, carries invalidations between instances: every
	// Create/Update/Delete publishes the link's key and every instance
	// drops it. Optional. Default: nil (single instance; the embedded
	// store). With Redis: redisstore.NewPubSub.
	Bus InvalidationBus
	// Now is the clock for expiry checks and cache TTLs. Optional.
	// Default: time.Now.
	Now func() time.Time
	// Logger receives invalidation errors. Optional. Default: slog.Default().
	Logger *slog.Logger
}

// CacheStats are counters of a CachedStore since it was created.
type CacheStats struct {
	Hits, Misses, Loads, LoadErrors uint64
	// Stale counts the answers served from an entry past its TTL because
	// its refresh failed (StaleIfError).
	Stale uint64
	// Reads are the store round trips that made the Loads: equal to
	// Loads unbatched, fewer when misses were read together.
	Reads                                 uint64
	PublishErrors, Received, Resubscribes uint64
}

// CachedStore is a Store with a bounded in-process cache in front of Get,
// for the tap path. Writes go through to the store and invalidate the cache
// here and, with CacheConfig.Bus, on every other instance. All other
// Store methods pass through. Safe for concurrent use.
//
// Invalidation is at-most-once (InvalidationBus): a lost message is healed
// by TTL. When the bus resubscribes after losing its subscription (a Redis
// blip), messages sent meanwhile are lost, so on every resubscribe the
// whole cache is cleared (a short burst of misses after a Redis blip).
type CachedStore struct {
	Store
	cache *otter.Cache[key, *packedLink]
	sf    singleflight.Group
	batch *batchLoader  // nil unless the store is a MultiGetter
	epoch atomic.Uint64 // bumped by every invalidation; loads started before one are not cached
	cfg   CacheConfig
	log   *slog.Logger
	bus   InvalidationBus

	hits, misses, loads, loadErrs   atomic.Uint64
	stale                           atomic.Uint64
	reads                           atomic.Uint64
	pubErrs, received, resubscribes atomic.Uint64

	id         string // instance id: own messages are ignored
	cancel     context.CancelFunc
	done       chan struct{}
	subscribed chan struct{}
	closeOnce  sync.Once
	// onResubscribe, when set (tests), runs after each resubscribe clear.
	onResubscribe func()
}

type otterClock struct{ now func() time.Time }

func (c otterClock) NowNano() int64                      { return c.now().UnixNano() }
func (c otterClock) Tick(time.Duration) <-chan time.Time { return nil }

// NewCachedStore wraps s. With cfg.Bus set it starts a goroutine that
// subscribes to it; Subscribed reports when the first subscription is
// confirmed. Close stops it.
func NewCachedStore(s Store, cfg CacheConfig) (*CachedStore, error) {
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 100_000
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 30 * time.Second
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = 5 * time.Second
	}
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = 2 * time.Second
	}
	if cfg.HitTimeout <= 0 {
		cfg.HitTimeout = 500 * time.Millisecond
	}
	c := &CachedStore{Store: s, cfg: cfg, log: cfg.Logger, bus: cfg.Bus, id: NewCode(10),
		done: make(chan struct{}), subscribed: make(chan struct{})}
	if c.log == nil {
		c.log = slog.Default()
	}
	opts := &otter.Options[key, *packedLink]{
		MaximumSize: cfg.MaxEntries,
		Executor:    cachework.Executor,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[key, *packedLink]) time.Duration {
			if e.Value != negativeEntry {
				return cfg.TTL + cfg.StaleIfError
			}
			return cfg.NegativeTTL
		}),
	}
	if cfg.Now != nil {
		opts.Clock = otterClock{cfg.Now}
	} else {
		c.cfg.Now = time.Now
	}
	cache, err := otter.New(opts)
	if err != nil {
		return nil, wrap(CodeInternal, err, "cannot build link cache")
	}
	c.cache = cache
	if mg, ok := s.(MultiGetter); ok && !cfg.NoBatchLoads {
		c.batch = newBatchLoader(c, mg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	if c.bus != nil {
		go c.subscribe(ctx)
	} else {
		close(c.done)
	}
	return c, nil
}

// Subscribed is closed once the invalidation subscription is confirmed by
// the bus (never, without CacheConfig.Bus).
func (c *CachedStore) Subscribed() <-chan struct{} { return c.subscribed }

// Stats returns the counters.
func (c *CachedStore) Stats() CacheStats {
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Loads: c.loads.Load(), LoadErrors: c.loadErrs.Load(), Reads: c.reads.Load(), Stale: c.stale.Load(),
		PublishErrors: c.pubErrs.Load(), Received: c.received.Load(), Resubscribes: c.resubscribes.Load(),
	}
}

// Len returns the approximate number of cached entries, negative ones included.
func (c *CachedStore) Len() int { return c.cache.EstimatedSize() }

// Get returns the link from memory, or loads it once for all concurrent
// callers. Unknown codes are remembered for NegativeTTL. A warm Get does
// not allocate. The Link shares its slices and maps with the cache: treat
// it as read-only (Clone before changing it). domain and code may be
// borrowed memory (fasthttp): they are copied before being kept.
func (c *CachedStore) Get(ctx context.Context, domain, code string) (Link, error) {
	if e, ok := c.cache.GetIfPresent(key{domain, code}); ok {
		if e == negativeEntry {
			c.hits.Add(1)
			return Link{}, errNotFound
		}
		if c.cfg.StaleIfError <= 0 {
			c.hits.Add(1)
			return e.unpack(), nil
		}
		now := c.cfg.Now().UnixNano()
		if now < e.loaded+int64(c.cfg.TTL) {
			c.hits.Add(1)
			return e.unpack(), nil
		}
		if now < e.retryAt.Load() {
			c.stale.Add(1)
			return e.unpack(), nil
		}
		// Past its TTL: refresh, and serve the old entry if that fails.
		c.misses.Add(1)
		l, err := c.load(ctx, strings.Clone(domain), strings.Clone(code))
		if err == nil || ErrorCode(err) == CodeNotFound {
			return l, err
		}
		e.retryAt.Store(c.cfg.Now().Add(staleRetry).UnixNano())
		c.stale.Add(1)
		return e.unpack(), nil
	}
	c.misses.Add(1)
	return c.load(ctx, strings.Clone(domain), strings.Clone(code))
}

// staleRetry is how often, per link, a stale entry's refresh is tried
// again while the store fails.
const staleRetry = time.Second

func (c *CachedStore) load(ctx context.Context, domain, code string) (Link, error) {
	if c.batch != nil {
		e, err := c.batch.get(ctx, key{domain, code})
		return c.result(e, err)
	}
	ch := c.sf.DoChan(StoreKey(domain, code), func() (any, error) {
		c.loads.Add(1)
		c.reads.Add(1)
		epoch := c.epoch.Load()
		// Its own context: the load is shared, and a fasthttp request
		// context must not outlive its handler.
		lctx, cancel := context.WithTimeout(context.Background(), c.cfg.LoadTimeout)
		defer cancel()
		l, err := c.Store.Get(lctx, domain, code)
		return c.settle(key{domain, code}, epoch, &l, err)
	})
	select {
	case r := <-ch:
		e, _ := r.Val.(*packedLink)
		return c.result(e, r.Err)
	case <-ctx.Done():
		return Link{}, wrap(CodeUnavailable, ctx.Err(), "store too slow")
	}
}

// settle turns a store read of k into its cache entry (negativeEntry for
// a missing link) and caches it, unless an invalidation happened since
// epoch was read. A read that failed is not cached.
func (c *CachedStore) settle(k key, epoch uint64, l *Link, err error) (*packedLink, error) {
	var e *packedLink
	switch ErrorCode(err) {
	case "":
		e = packLink(l)
		e.loaded = c.cfg.Now().UnixNano()
		if ek := e.key(); ek == k {
			k = ek // shares e's memory: no separate copy of the key
		}
	case CodeNotFound:
		e = negativeEntry
	default:
		c.loadErrs.Add(1)
		return nil, err
	}
	if c.epoch.Load() == epoch {
		c.cache.Set(k, e)
		// An invalidation between the check and the Set would leave this
		// (possibly stale) entry for a whole TTL: take it out again.
		if c.epoch.Load() != epoch {
			c.cache.Invalidate(k)
		}
	}
	return e, nil
}

// result is what Get answers for a loaded entry.
func (c *CachedStore) result(e *packedLink, err error) (Link, error) {
	if err != nil {
		return Link{}, err
	}
	if e == negativeEntry {
		return Link{}, errNotFound
	}
	return e.unpack(), nil
}

// Tap serves one human tap: the cached link, checked against the clock
// (CodeGone when disabled, expired or out of clicks), and, for links with
// MaxClicks > 0 only, counted atomically by the store's Hit, so a cap is
// never enforced from a stale count. Links without a cap cost no store
// call when warm. When the store cannot be reached for a capped link, Tap
// fails closed with CodeUnavailable (a cap promises "at most"). On a gone
// error the returned Link is still filled in (for the error page).
func (c *CachedStore) Tap(ctx context.Context, domain, code string) (Link, error) {
	return c.TapAt(ctx, domain, code, c.cfg.Now())
}

// TapAt is Tap at the time now, for a caller that has already read the
// clock (the server passes the request's start: one clock read less per
// tap). Expiry is judged at now: a link that expires while a cold lookup
// is in flight (at most the caller's deadline) is still served that once.
func (c *CachedStore) TapAt(ctx context.Context, domain, code string, now time.Time) (Link, error) {
	l, err := c.Get(ctx, domain, code)
	if err != nil {
		return Link{}, err
	}
	if err := l.Check(now); err != nil {
		return l, err
	}
	if l.MaxClicks == 0 {
		return l, nil
	}
	epoch := c.epoch.Load()
	hctx, cancel := context.WithTimeout(ctx, c.cfg.HitTimeout)
	defer cancel()
	hl, res, err := c.Store.Hit(hctx, domain, code, now)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			c.Invalidate(domain, code) // deleted meanwhile; lost message
		}
		return Link{}, err
	}
	if res != HitOK {
		// Clicks never go down and the other states only change by an
		// edit (which invalidates), so a gone answer may be cached.
		if c.epoch.Load() == epoch {
			e := packLink(&hl)
			e.loaded = c.cfg.Now().UnixNano()
			c.cache.Set(e.key(), e)
		}
		return hl, res.Err()
	}
	return hl, nil
}

// Peek reads a link straight from the store, neither using nor filling the
// cache, and counts nothing. It is for the paths that must not count a tap
// (HEAD, bots) on capped links, whose cached click count may be stale.
// Errors as Get; the read is bounded by HitTimeout.
func (c *CachedStore) Peek(ctx context.Context, domain, code string) (Link, error) {
	pctx, cancel := context.WithTimeout(ctx, c.cfg.HitTimeout)
	defer cancel()
	return c.Store.Get(pctx, strings.Clone(domain), strings.Clone(code))
}

// Create implements Store and invalidates the code (dropping a negative entry).
func (c *CachedStore) Create(ctx context.Context, l Link) (Link, error) {
	out, err := c.Store.Create(ctx, l)
	if err == nil {
		c.invalidate(ctx, out.Domain, out.Code, true)
	}
	return out, err
}

// CreateMany implements Store and invalidates the created codes (dropping
// negative entries) here and, with CacheConfig.Bus, on the other
// instances: all the messages in one Publish (one pipeline on Redis).
func (c *CachedStore) CreateMany(ctx context.Context, links []Link) ([]Link, []error) {
	out, errs := c.Store.CreateMany(ctx, links)
	var msgs []string
	c.epoch.Add(1)
	for i := range out {
		if errs[i] != nil {
			continue
		}
		d, code := out[i].Domain, out[i].Code
		c.cache.Invalidate(key{d, code})
		c.sf.Forget(StoreKey(d, code))
		if c.bus != nil {
			msgs = append(msgs, c.id+" "+d+"/"+code)
		}
	}
	if len(msgs) == 0 {
		return out, errs
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if failed, err := c.bus.Publish(pctx, msgs...); err != nil {
		// Other instances heal within NegativeTTL.
		c.pubErrs.Add(uint64(max(failed, 1)))
		c.log.Warn("shortlink: cannot publish invalidations", "links", len(msgs), "failed", failed, "err", err)
	}
	return out, errs
}

// Update implements Store and invalidates the link everywhere.
func (c *CachedStore) Update(ctx context.Context, l Link) (Link, error) {
	out, err := c.Store.Update(ctx, l)
	if err == nil {
		c.invalidate(ctx, out.Domain, out.Code, true)
	}
	return out, err
}

// Delete implements Store and invalidates the link everywhere.
func (c *CachedStore) Delete(ctx context.Context, domain, code string) error {
	err := c.Store.Delete(ctx, domain, code)
	if err == nil || ErrorCode(err) == CodeNotFound {
		c.invalidate(ctx, domain, code, err == nil)
	}
	return err
}

// Invalidate drops one link from this instance's cache (not the others').
func (c *CachedStore) Invalidate(domain, code string) {
	c.invalidate(context.Background(), domain, code, false)
}

// InvalidateAll empties this instance's cache.
func (c *CachedStore) InvalidateAll() {
	c.epoch.Add(1)
	c.cache.InvalidateAll()
	if c.batch != nil {
		c.batch.forgetAll()
	}
}

func (c *CachedStore) invalidate(ctx context.Context, domain, code string, publish bool) {
	c.epoch.Add(1)
	c.cache.Invalidate(key{domain, code})
	c.sf.Forget(StoreKey(domain, code))
	if c.batch != nil {
		c.batch.forget(key{domain, code})
	}
	if !publish || c.bus == nil {
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if _, err := c.bus.Publish(pctx, c.id+" "+domain+"/"+code); err != nil {
		// Other instances heal within TTL.
		c.pubErrs.Add(1)
		c.log.Warn("shortlink: cannot publish invalidation", "domain", domain, "code", code, "err", err)
	}
}

// subscribe runs until Close. Messages are "[<instance id> ]<domain>/<code>"
// (drop one link; this instance's own are skipped) or "*" (drop
// everything); every resubscription after the first clears the cache.
func (c *CachedStore) subscribe(ctx context.Context) {
	defer close(c.done)
	c.bus.Subscribe(ctx, func(again bool) {
		if !again {
			close(c.subscribed)
			return
		}
		c.resubscribes.Add(1)
		c.InvalidateAll()
		if c.onResubscribe != nil {
			c.onResubscribe()
		}
	}, func(p string) {
		c.received.Add(1)
		if p == "*" {
			c.InvalidateAll()
			return
		}
		if from, rest, ok := strings.Cut(p, " "); ok {
			if from == c.id {
				return
			}
			p = rest
		}
		if d, code, ok := strings.Cut(p, "/"); ok {
			c.invalidate(ctx, d, code, false)
		}
	})
}

// Close stops the subscription and closes the wrapped store.
func (c *CachedStore) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.cancel() // the bus's Subscribe returns
		<-c.done
		if c.batch != nil {
			c.batch.close()
		}
		c.cache.StopAllGoroutines()
		err = c.Store.Close()
	})
	return err
}
