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
}

// Set replaces the snapshot with a copy of ds.
func (r *Registry) Set(ds []Domain) {
	s := &snapshot{all: append([]Domain(nil), ds...), byHost: make(map[string]int, len(ds)), keys: make(map[string][]string, len(ds))}
	for i := range s.all {
		s.byHost[s.all[i].Host] = i
	}
	now := time.Now()
	for _, d := range s.all {
		if !d.ServesAt(now) {
			continue
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
