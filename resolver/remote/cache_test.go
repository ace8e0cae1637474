package remote

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 9, 12, 2, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestTTLCacheExpiry(t *testing.T) {
	clk := newFakeClock()
	c := newTTLCache[string](4, clk.Now)
	c.put("a", "A", nil, time.Minute)
	errGone := errors.New("gone")
	c.put("b", "", errGone, time.Second)
	c.put("z", "Z", nil, 0) // ttl 0: not stored
	if v, err, ok := c.get("a"); !ok || v != "A" || err != nil {
		t.Fatalf("get(a) = %q, %v, %v; want A, nil, true", v, err, ok)
	}
	if _, err, ok := c.get("b"); !ok || err != errGone {
		t.Fatalf("get(b) = %v, %v; want errGone, true", err, ok)
	}
	if _, _, ok := c.get("z"); ok {
		t.Fatal("get(z) hit; want miss for ttl 0")
	}
	clk.Advance(time.Second)
	if _, _, ok := c.get("b"); ok {
		t.Fatal("get(b) hit after its TTL; want miss")
	}
	if _, _, ok := c.get("a"); !ok {
		t.Fatal("get(a) missed before its TTL")
	}
	clk.Advance(time.Minute)
	if _, _, ok := c.get("a"); ok {
		t.Fatal("get(a) hit after its TTL; want miss")
	}
	if n := c.len(); n != 0 {
		t.Fatalf("len = %d after expiry; want 0", n)
	}
}

func TestTTLCacheLRUBound(t *testing.T) {
	clk := newFakeClock()
	c := newTTLCache[int](2, clk.Now)
	c.put("a", 1, nil, time.Hour)
	c.put("b", 2, nil, time.Hour)
	c.get("a")                    // a is now most recently used
	c.put("c", 3, nil, time.Hour) // evicts b
	if _, _, ok := c.get("b"); ok {
		t.Error("b still cached; want evicted as least recently used")
	}
	for _, k := range []string{"a", "c"} {
		if _, _, ok := c.get(k); !ok {
			t.Errorf("%s evicted; want kept", k)
		}
	}
	c.put("a", 10, nil, time.Hour) // update in place
	if v, _, _ := c.get("a"); v != 10 {
		t.Errorf("get(a) = %d after update; want 10", v)
	}
	if n := c.len(); n != 2 {
		t.Errorf("len = %d; want 2", n)
	}
}

func TestTTLCacheDisabled(t *testing.T) {
	c := newTTLCache[int](-1, time.Now)
	if c != nil {
		t.Fatal("newTTLCache(-1) != nil")
	}
	c.put("a", 1, nil, time.Hour) // no panic on nil
	if _, _, ok := c.get("a"); ok {
		t.Fatal("nil cache hit")
	}
}
