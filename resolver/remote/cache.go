package remote

import (
	"container/list"
	"sync"
	"time"
)

// ttlCache is a bounded LRU cache of results (a value or an error) with a
// per-entry expiry. The zero value is not usable; build it with newTTLCache.
// It is safe for concurrent use. A nil *ttlCache caches nothing.
//
// Lookups here are cold-path (a miss costs a network round trip), so one
// mutex is enough; the hot path of a tap never reaches this cache.
type ttlCache[V any] struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	ll    *list.List // front = most recently used; elements hold *cacheEntry[V]
	items map[string]*list.Element
}

type cacheEntry[V any] struct {
	key     string
	val     V
	err     error
	expires time.Time
}

// newTTLCache returns a cache holding at most max entries, or nil (no
// caching) when max <= 0.
func newTTLCache[V any](max int, now func() time.Time) *ttlCache[V] {
	if max <= 0 {
		return nil
	}
	return &ttlCache[V]{max: max, now: now, ll: list.New(), items: make(map[string]*list.Element)}
}

// get returns the live entry for key. ok is false on a miss or when the
// entry has expired (it is then dropped).
func (c *ttlCache[V]) get(key string) (val V, err error, ok bool) {
	if c == nil {
		return val, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, hit := c.items[key]
	if !hit {
		return val, nil, false
	}
	e := el.Value.(*cacheEntry[V])
	if !c.now().Before(e.expires) {
		c.ll.Remove(el)
		delete(c.items, key)
		return val, nil, false
	}
	c.ll.MoveToFront(el)
	return e.val, e.err, true
}

// put stores a result for ttl, evicting the least recently used entry when
// the cache is full. A ttl <= 0 stores nothing.
func (c *ttlCache[V]) put(key string, val V, err error, ttl time.Duration) {
	if c == nil || ttl <= 0 {
		return
	}
	exp := c.now().Add(ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*cacheEntry[V])
		e.val, e.err, e.expires = val, err, exp
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry[V]{key: key, val: val, err: err, expires: exp})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheEntry[V]).key)
	}
}

// len returns the number of entries, live or expired.
func (c *ttlCache[V]) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
