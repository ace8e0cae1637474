package clientinfo

import (
	"strings"

	"github.com/maypok86/otter/v2"
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
)

// Config configures a [Detector]. The zero Config is valid: every field is
// optional.
type Config struct {
	// CacheSize is the maximum number of distinct User-Agents whose
	// classification is kept in memory (bounded, W-TinyLFU eviction).
	// A negative value disables the cache.
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
// costs one map lookup and no allocation).
//
// A Detector is safe for concurrent use by many goroutines. The zero value,
// and a nil *Detector, are usable detectors without a cache. A Detector
// starts no goroutine and needs no Close.
type Detector struct {
	cache    *otter.Cache[string, Client]
	maxCache int
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
		d.cache = otter.Must(&otter.Options[string, Client]{
			MaximumSize:     size,
			InitialCapacity: min(size, 1024),
		})
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
	if c, ok := d.cache.GetIfPresent(ua); ok {
		return c
	}
	// The key is c.UA, the same private copy every field of c points into:
	// one allocation per entry, never the caller's buffer.
	c := classify(strings.Clone(ua))
	d.cache.Set(c.UA, c)
	return c
}

// CachedLen reports how many User-Agents the cache holds (an estimate);
// zero without a cache. For metrics and tests.
func (d *Detector) CachedLen() int {
	if d == nil || d.cache == nil {
		return 0
	}
	return d.cache.EstimatedSize()
}
