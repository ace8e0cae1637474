package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/shortlink"
)

var _ shortlink.DomainStore = (*Store)(nil)

// Bucket of domain records: host → Domain JSON; bucketMeta holds
// "domains_seeded".
var (
	bucketDomains = []byte("domains")
	bucketMeta    = []byte("meta")
	keySeeded     = []byte("domains_seeded")
	// bucketRemoved holds tombstones (host → Domain JSON with pending
	// alerts); bucketTaps the taps by host a minute (minuteKey → JSON);
	// keyLease in bucketMeta the check lease.
	bucketRemoved = []byte("domains_removed")
	bucketTaps    = []byte("domain_taps")
	keyLease      = []byte("domain_check_lease")
)

func boltDomains(tx *bolt.Tx, create bool) (*bolt.Bucket, error) {
	if create {
		return tx.CreateBucketIfNotExists(bucketDomains)
	}
	return tx.Bucket(bucketDomains), nil
}

// ListDomains implements shortlink.DomainStore.
func (s *Store) ListDomains(ctx context.Context) ([]domains.Domain, error) {
	var out []domains.Domain
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, _ := boltDomains(tx, false)
		var err error
		out, err = domainRecords(b)
		return err
	})
	shortlink.SortDomains(out)
	return out, err
}

// CreateDomain implements shortlink.DomainStore.
func (s *Store) CreateDomain(ctx context.Context, d domains.Domain) (domains.Domain, error) {
	if err := shortlink.CheckDomain(&d); err != nil {
		return d, err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return d, wrap(shortlink.CodeInternal, err, "cannot encode domain")
	}
	return d, s.update(ctx, func(tx *bolt.Tx) error {
		b, err := boltDomains(tx, true)
		if err != nil {
			return err
		}
		if b.Get([]byte(d.Host)) != nil {
			return shortlink.Errorf(shortlink.CodeConflict, "domain %s exists already", d.Host)
		}
		return b.Put([]byte(d.Host), v)
	})
}

// UpdateDomain implements shortlink.DomainStore.
func (s *Store) UpdateDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error) {
	host = domains.NormalizeHost(host)
	var out domains.Domain
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := boltDomains(tx, true)
		if err != nil {
			return err
		}
		v := b.Get([]byte(host))
		if v == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "domain %s is not configured", host)
		}
		d, nv, err := shortlink.ChangeDomain(v, host, fn)
		if err != nil {
			return err
		}
		out = d
		return b.Put([]byte(host), nv)
	})
	return out, err
}

// DeleteDomain implements shortlink.DomainStore: the record goes and its
// pending alerts join its tombstone in one transaction.
func (s *Store) DeleteDomain(ctx context.Context, host string) error {
	host = domains.NormalizeHost(host)
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := boltDomains(tx, true)
		if err != nil {
			return err
		}
		v := b.Get([]byte(host))
		if v == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "domain %s is not configured", host)
		}
		d, err := shortlink.DecodeDomain(v)
		if err != nil {
			return err
		}
		if len(d.PendingAlerts) > 0 {
			if err := updateTomb(tx, host, func(t *domains.Domain) error { shortlink.MergeAlerts(t, d); return nil }, nil); err != nil {
				return err
			}
		}
		return b.Delete([]byte(host))
	})
}

// updateTomb applies fn to host's tombstone (created when absent; dropped
// when it has no pending alert left) and stores the result in *out.
func updateTomb(tx *bolt.Tx, host string, fn func(*domains.Domain) error, out *domains.Domain) error {
	b, err := tx.CreateBucketIfNotExists(bucketRemoved)
	if err != nil {
		return err
	}
	d := domains.Domain{Host: host}
	if v := b.Get([]byte(host)); v != nil {
		if d, err = shortlink.DecodeDomain(v); err != nil {
			return err
		}
	}
	if err := fn(&d); err != nil {
		return err
	}
	d.Host = host
	if out != nil {
		*out = d
	}
	if len(d.PendingAlerts) == 0 {
		return b.Delete([]byte(host))
	}
	nv, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return b.Put([]byte(host), nv)
}

// RemovedDomains implements shortlink.DomainStore.
func (s *Store) RemovedDomains(ctx context.Context) ([]domains.Domain, error) {
	var out []domains.Domain
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = domainRecords(tx.Bucket(bucketRemoved))
		return err
	})
	return out, err // bbolt keeps keys in order: by host
}

// domainRecords decodes every domain record of b (nil: none), by host.
func domainRecords(b *bolt.Bucket) ([]domains.Domain, error) {
	var out []domains.Domain
	if b == nil {
		return nil, nil
	}
	err := b.ForEach(func(_, v []byte) error {
		d, err := shortlink.DecodeDomain(v)
		out = append(out, d)
		return err
	})
	return out, err
}

// UpdateRemovedDomain implements shortlink.DomainStore.
func (s *Store) UpdateRemovedDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error) {
	host = domains.NormalizeHost(host)
	var out domains.Domain
	err := s.update(ctx, func(tx *bolt.Tx) error { return updateTomb(tx, host, fn, &out) })
	return out, err
}

// lease is the stored check lease.
type lease struct {
	Owner string    `json:"owner"`
	Until time.Time `json:"until"`
}

// LeadChecks implements shortlink.DomainStore. A bbolt file is opened by
// one process, whose instances share it in memory; the lease still picks
// one of them.
func (s *Store) LeadChecks(ctx context.Context, owner string, ttl time.Duration) (bool, error) {
	held := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		now := time.Now()
		var l lease
		if v := meta.Get(keyLease); v != nil {
			if err := json.Unmarshal(v, &l); err != nil {
				l = lease{} // a corrupt lease is no lease
			}
		}
		if l.Owner != "" && l.Owner != owner && now.Before(l.Until) {
			return nil
		}
		held = true
		v, err := json.Marshal(lease{Owner: owner, Until: now.Add(ttl)})
		if err != nil {
			return err
		}
		return meta.Put(keyLease, v)
	})
	return held, err
}

// ReleaseChecks implements shortlink.DomainStore.
func (s *Store) ReleaseChecks(ctx context.Context, owner string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		var l lease
		if v := meta.Get(keyLease); v == nil || json.Unmarshal(v, &l) != nil || l.Owner != owner {
			return nil
		}
		return meta.Delete(keyLease)
	})
}

// minuteKey is the 8-byte big-endian Unix minute of t (keys in time order).
func minuteKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.Unix()/60))
}

// AddDomainTaps implements shortlink.DomainStore: one JSON record a minute
// (host → taps); minutes older than shortlink.DomainTapsKeep are dropped.
func (s *Store) AddDomainTaps(ctx context.Context, at time.Time, counts map[string]int64) error {
	if len(counts) == 0 {
		return nil
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketTaps)
		if err != nil {
			return err
		}
		k := minuteKey(at)
		m := map[string]int64{}
		if v := b.Get(k); v != nil {
			_ = json.Unmarshal(v, &m) // a corrupt minute starts again
		}
		for h, n := range counts {
			m[h] += n
		}
		v, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
		old := minuteKey(at.Add(-shortlink.DomainTapsKeep))
		c := b.Cursor()
		for ok, _ := c.First(); ok != nil && bytes.Compare(ok, old) < 0; ok, _ = c.Next() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

// DomainTaps implements shortlink.DomainStore.
func (s *Store) DomainTaps(ctx context.Context, since, until time.Time) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTaps)
		if b == nil {
			return nil
		}
		end := minuteKey(until)
		c := b.Cursor()
		for k, v := c.Seek(minuteKey(since)); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
			var m map[string]int64
			if json.Unmarshal(v, &m) != nil {
				continue
			}
			for h, n := range m {
				out[h] += n
			}
		}
		return nil
	})
	return out, err
}

// SeedDomains implements shortlink.DomainStore.
func (s *Store) SeedDomains(ctx context.Context, ds []domains.Domain) (bool, error) {
	for i := range ds {
		if err := shortlink.CheckDomain(&ds[i]); err != nil {
			return false, err
		}
	}
	seeded := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if meta.Get(keySeeded) != nil || len(ds) == 0 {
			return nil
		}
		b, err := boltDomains(tx, true)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if b.Get([]byte(d.Host)) != nil {
				continue
			}
			v, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(d.Host), v); err != nil {
				return err
			}
		}
		seeded = true
		return meta.Put(keySeeded, []byte("1"))
	})
	return seeded, err
}
