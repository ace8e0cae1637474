package boltstore

import (
	"context"
	"encoding/json"

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
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			d, err := shortlink.DecodeDomain(v)
			out = append(out, d)
			return err
		})
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

// DeleteDomain implements shortlink.DomainStore.
func (s *Store) DeleteDomain(ctx context.Context, host string) error {
	host = domains.NormalizeHost(host)
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := boltDomains(tx, true)
		if err != nil {
			return err
		}
		if b.Get([]byte(host)) == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "domain %s is not configured", host)
		}
		return b.Delete([]byte(host))
	})
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
