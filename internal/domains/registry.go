package domains

import (
	"sync/atomic"
	"time"
)

// Registry is the in-memory view of the domain records that the tap path
// and read-time URLs use: a snapshot swapped whole (Set), read without
// locks. The zero value holds no domain (pool mode off: hutong behaves as
// before domain pools). Safe for concurrent use.
type Registry struct {
	p atomic.Pointer[snapshot]
}

type snapshot struct {
	all    []Domain
	byHost map[string]int
	// keys[host] are the link-store domain keys a tap on host looks a code
	// up under: the host itself first (links made with an explicit
	// domain, pinned to it as before pools), then, on a default-pool host,
	// "" (links of the pool, which every serving host of it resolves).
	keys map[string][]string
	// until[host] is when a retired host in its grace period stops
	// serving (Domain.ServesUntil); absent for every other host.
	until map[string]time.Time
	// taps[host] counts this instance's taps on host since the last
	// TakeTaps; the counters outlive snapshots (Set carries them over).
	taps map[string]*atomic.Int64
	// landing[host] is the healthy landing host of host's pool, for a
	// serving host of another role; onLanding the landing hosts.
	landing   map[string]string
	onLanding map[string]bool
}

// Set replaces the snapshot with a copy of ds.
func (r *Registry) Set(ds []Domain) {
	s := &snapshot{all: append([]Domain(nil), ds...), byHost: make(map[string]int, len(ds)), keys: make(map[string][]string, len(ds)),
		taps: make(map[string]*atomic.Int64, len(ds))}
	old := r.p.Load()
	for i := range s.all {
		h := s.all[i].Host
		s.byHost[h] = i
		if old != nil && old.taps[h] != nil {
			s.taps[h] = old.taps[h]
		} else {
			s.taps[h] = new(atomic.Int64)
		}
	}
	now := time.Now()
	for _, d := range s.all {
		if !d.ServesAt(now) {
			continue
		}
		if d.Role == Landing {
			if s.onLanding == nil {
				s.onLanding = map[string]bool{}
			}
			s.onLanding[d.Host] = true
		} else if l, ok := Pick(s.all, d.Pool, Landing); ok {
			if s.landing == nil {
				s.landing = map[string]string{}
			}
			s.landing[d.Host] = l.Host
		}
		if d.Status == Retired {
			if s.until == nil {
				s.until = map[string]time.Time{}
			}
			s.until[d.Host] = d.ServesUntil
		}
		s.keys[d.Host] = []string{d.Host}
		if d.Pool == DefaultPool {
			s.keys[d.Host] = []string{d.Host, ""}
		}
	}
	r.p.Store(s)
}

func (r *Registry) snap() *snapshot {
	if r == nil {
		return nil
	}
	return r.p.Load()
}

// On reports whether any domain is configured (pool mode).
func (r *Registry) On() bool {
	s := r.snap()
	return s != nil && len(s.all) > 0
}

// All returns a copy of every record.
func (r *Registry) All() []Domain {
	s := r.snap()
	if s == nil {
		return nil
	}
	return append([]Domain(nil), s.all...)
}

// Lookup returns the record of host (normalised already: lower case, no port).
func (r *Registry) Lookup(host string) (Domain, bool) {
	s := r.snap()
	if s == nil {
		return Domain{}, false
	}
	i, ok := s.byHost[host]
	if !ok {
		return Domain{}, false
	}
	return s.all[i], true
}

// TapKeys returns the link-store domain keys a tap on host tries, in
// order, and false when host is not configured or retired (404). The
// slice is shared: do not modify it.
func (r *Registry) TapKeys(host string) ([]string, bool) {
	s := r.snap()
	if s == nil {
		return nil, false
	}
	ks, ok := s.keys[host]
	if ok && s.until != nil {
		if t, retiring := s.until[host]; retiring && !time.Now().Before(t) {
			return nil, false // its grace period ended since the snapshot
		}
	}
	return ks, ok
}

// Pick is Pick over the snapshot.
func (r *Registry) Pick(pool string, role Role) (Domain, bool) {
	s := r.snap()
	if s == nil {
		return Domain{}, false
	}
	return Pick(s.all, pool, role)
}

// CountTap counts one tap on host (normalised) for TakeTaps; a host that
// is not configured is not counted. It does not allocate.
func (r *Registry) CountTap(host string) {
	if s := r.snap(); s != nil {
		if c := s.taps[host]; c != nil {
			c.Add(1)
		}
	}
}

// TakeTaps returns the taps counted by host since the last call (hosts
// with none left out) and starts counting again from zero.
func (r *Registry) TakeTaps() map[string]int64 {
	s := r.snap()
	if s == nil {
		return nil
	}
	var out map[string]int64
	for h, c := range s.taps {
		if n := c.Swap(0); n != 0 {
			if out == nil {
				out = map[string]int64{}
			}
			out[h] = n
		}
	}
	return out
}

// UntakeTaps gives back counts TakeTaps returned that could not be
// stored, so the next TakeTaps includes them.
func (r *Registry) UntakeTaps(m map[string]int64) {
	s := r.snap()
	if s == nil {
		return
	}
	for h, n := range m {
		if c := s.taps[h]; c != nil {
			c.Add(n)
		}
	}
}

// Landing returns the landing host hutong's own pages (interstitial,
// guide, preview) are served on for a tap on host: the best healthy
// landing domain of host's pool ("" when it has none), and onLanding true
// when host is a landing domain itself (a hop from an entry host).
func (r *Registry) Landing(host string) (landing string, onLanding bool) {
	s := r.snap()
	if s == nil {
		return "", false
	}
	return s.landing[host], s.onLanding[host]
}
