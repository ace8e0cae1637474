package clientinfo

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/maypok86/otter/v2"

	"github.com/hutong-dev/hutong/internal/cachework"
)

// Limits on what is classified and what is cached.
const (
	// MaxUALength is the longest User-Agent prefix classified: longer
	// User-Agents are cut to their first MaxUALength bytes before
	// classification (Fiber's default header buffer is 4 KiB, so a real
	// request never carries more; real User-Agents stay under 600 bytes).
	MaxUALength = 4096

	// DefaultCacheSize is the number of distinct User-Agents a Detector
	// keeps when Config.CacheSize is zero.
	DefaultCacheSize = 10_000

	// DefaultMaxCachedUALength is the longest User-Agent a Detector caches
	// when Config.MaxCachedUALength is zero.
	DefaultMaxCachedUALength = 1024

	// maxL1Slots bounds the slots of a Detector's L1 (see [Detector]): 8 KiB
	// of pointers, enough for the few hundred User-Agents that carry most of
	// the traffic, small enough to stay in the CPU caches.
	maxL1Slots = 1024
)

// Config configures a [Detector]. The zero Config is valid: every field is
// optional.
type Config struct {
	// CacheSize is the maximum number of distinct User-Agents whose
	// classification is kept in memory (bounded, W-TinyLFU eviction).
	// The small L1 in front of the cache (see [Detector]) may keep up to
	// min(CacheSize, 1024) more that the cache has already evicted.
	// A negative value disables the cache, L1 included.
	//
	// Optional. Default: DefaultCacheSize (10000).
	CacheSize int

	// MaxCachedUALength is the longest User-Agent, in bytes, that is cached.
	// Longer User-Agents are still classified (up to MaxUALength bytes) but
	// never cached, so one entry costs at most this many bytes plus a Client,
	// and a client sending huge random User-Agents cannot fill the cache with
	// large keys. Values above MaxUALength are lowered to MaxUALength.
	//
	// Optional. Default: DefaultMaxCachedUALength (1024).
	MaxCachedUALength int
}

// Detector turns User-Agents into [Client] values and caches the result by
// User-Agent string (User-Agents repeat heavily, so a warm classification
// costs a hash, one atomic load and a string compare, and no allocation).
//
// The cache has two levels. The L1 is a small direct-mapped array of
// pointers indexed by a seeded hash of the User-Agent: a hit is one atomic
// load and a string compare, with no lock and no write to shared memory, so
// the hot User-Agents cost next to nothing however many cores read them.
// Behind it, the otter cache holds up to CacheSize entries with W-TinyLFU
// eviction and decides what is worth keeping. A User-Agent enters the L1 only
// when it is found in otter, that is on its second sighting at the earliest:
// a flood of one-off User-Agents (scanners, random strings) then goes through
// otter's admission policy and does not displace the hot ones from the L1.
//
// Both levels hold the same *Client, built once and never written after it
// is published, so moving an entry into the L1 allocates nothing and there
// is nothing to invalidate: a classification is a pure function of the
// User-Agent.
//
// A Detector is safe for concurrent use by many goroutines. The zero value,
// and a nil *Detector, are usable detectors without a cache. A Detector
// starts no goroutine and needs no Close.
type Detector struct {
	cache    *otter.Cache[string, *Client]
	maxCache int

	// l1 has a power-of-two length (l1Mask+1) and is nil exactly when cache
	// is. Its entries are immutable; a slot is overwritten, never edited.
	l1     []atomic.Pointer[Client]
	l1Mask uint64
	// seed is per Detector, so which User-Agents share an L1 slot cannot be
	// known outside the process, and a client cannot pick User-Agents that
	// keep evicting each other.
	seed maphash.Seed
}

// NewDetector returns a Detector configured by cfg.
func NewDetector(cfg Config) *Detector {
	d := &Detector{maxCache: cfg.MaxCachedUALength}
	if d.maxCache <= 0 {
		d.maxCache = DefaultMaxCachedUALength
	}
	if d.maxCache > MaxUALength {
		d.maxCache = MaxUALength
	}
	size := cfg.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	if size > 0 {
		// No expiry, no refresh, no listener: otter starts no goroutine.
		d.cache = otter.Must(&otter.Options[string, *Client]{
			MaximumSize:     size,
			InitialCapacity: min(size, 1024),
			Executor:        cachework.Executor,
		})
		// The L1 has at most as many slots as the cache has entries, so a
		// small CacheSize stays small: together the two levels keep at most
		// CacheSize+min(CacheSize, maxL1Slots) User-Agents.
		slots := 1
		for slots*2 <= min(size, maxL1Slots) {
			slots *= 2
		}
		d.l1 = make([]atomic.Pointer[Client], slots)
		d.l1Mask = uint64(slots - 1)
		d.seed = maphash.MakeSeed()
	}
	return d
}

// Detect classifies ua. It never fails and never panics: anything — empty,
// huge, invalid UTF-8, control characters — yields a Client for which
// [Client.Valid] holds. Only the first MaxUALength bytes of ua are read.
//
// ua may alias memory the caller reuses afterwards (a Fiber request header):
// the cache key and the returned Client refer to a private copy. Scene and
// AppInstalled are left empty (see [SceneOf]).
func (d *Detector) Detect(ua string) Client {
	if len(ua) > MaxUALength {
		ua = ua[:MaxUALength]
	}
	if d == nil || d.cache == nil || len(ua) > d.maxCache {
		return classify(strings.Clone(ua))
	}
	slot := d.slot(ua)
	if c := slot.Load(); c != nil && c.UA == ua {
		return *c
	}
	return d.detectSlow(ua, slot)
}

// slot returns the L1 slot of ua.
func (d *Detector) slot(ua string) *atomic.Pointer[Client] {
	return &d.l1[maphash.String(d.seed, ua)&d.l1Mask]
}

// detectSlow is Detect after an L1 miss, kept out of Detect so the hit path
// stays small.
//
// L1 hits never reach otter, so otter does not see the hottest User-Agents
// being read and may evict them. That is harmless: the L1 keeps serving its
// own pointer, and if a colliding User-Agent later takes the slot, the next
// sighting is an otter miss that classifies again and reinserts into otter
// (the cost of any cache miss), and the one after that is back in the L1.
// Otter ranks what reaches it, the User-Agents the L1 does not hold, which
// is the traffic where its choices matter.
func (d *Detector) detectSlow(ua string, slot *atomic.Pointer[Client]) Client {
	if c, ok := d.cache.GetIfPresent(ua); ok {
		// Seen before: promote the shared pointer, no allocation. A slot is
		// simply overwritten; a racing store of another entry loses nothing
		// but an L1 hit.
		slot.Store(c)
		return *c
	}
	// The key is c.UA, the same private copy every field of c points into:
	// one allocation for the copy and one for the shared *Client, never the
	// caller's buffer. It goes to otter only; the L1 gets it if it comes
	// back.
	c := classify(strings.Clone(ua))
	d.cache.Set(c.UA, &c)
	return c
}

// CachedLen reports how many User-Agents the otter cache holds (an
// estimate); zero without a cache. For metrics and tests. It does not count
// the L1, whose entries are almost always in otter too; the few that otter
// has evicted while the L1 still serves them (at most min(CacheSize,
// maxL1Slots)) are not counted.
func (d *Detector) CachedLen() int {
	if d == nil || d.cache == nil {
		return 0
	}
	return d.cache.EstimatedSize()
}
