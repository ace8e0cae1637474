package remote

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/singleflight"
)

// cachedLookup combines the result cache with a singleflight group: one
// upstream request per key at a time, answers (and definitive failures)
// cached. It is safe for concurrent use.
type cachedLookup[V any] struct {
	cache  *ttlCache[V]
	group  singleflight.Group
	ttl    time.Duration // for values
	negTTL time.Duration // for errors that negative() accepts
}

// newCachedLookup applies the cache defaults shared by both config types.
func newCachedLookup[V any](size int, ttl, negTTL time.Duration, now func() time.Time) *cachedLookup[V] {
	if size == 0 {
		size = DefaultCacheSize
	}
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	if negTTL <= 0 {
		negTTL = DefaultNegativeTTL
	}
	if now == nil {
		now = time.Now
	}
	return &cachedLookup[V]{cache: newTTLCache[V](size, now), ttl: ttl, negTTL: negTTL}
}

// negative reports whether err is a definitive answer worth caching for the
// negative TTL. Upstream failures (network, timeout, 5xx, TOP errors) are
// not cached: the next lookup tries again.
func negative(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrDisallowedHost) ||
		errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTooManyHops)
}

// do returns the cached result for key or runs fetch once for all
// concurrent callers of the same key. fetch runs on a context detached
// from the caller's cancellation (it keeps its values) so that one caller
// giving up does not fail the others; fetch must bound itself with its own
// timeout. Each caller still returns as soon as its own ctx is done, with
// ctx.Err().
func (l *cachedLookup[V]) do(ctx context.Context, key string, fetch func(context.Context) (V, error)) (V, error) {
	var zero V
	if v, err, ok := l.cache.get(key); ok {
		return v, err
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	detached := context.WithoutCancel(ctx)
	ch := l.group.DoChan(key, func() (any, error) {
		// A flight for key may have completed between our miss and now.
		if v, err, ok := l.cache.get(key); ok {
			return v, err
		}
		v, err := fetch(detached)
		switch {
		case err == nil:
			l.cache.put(key, v, nil, l.ttl)
		case negative(err):
			l.cache.put(key, zero, err, l.negTTL)
		}
		return v, err
	})
	select {
	case r := <-ch:
		v, _ := r.Val.(V)
		return v, r.Err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
