package shortlink

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/hutong-dev/hutong/internal/domains"
)

var _ DomainStore = (*BoltStore)(nil)

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

// ListDomains implements DomainStore.
func (s *BoltStore) ListDomains(ctx context.Context) ([]domains.Domain, error) {
	var out []domains.Domain
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, _ := boltDomains(tx, false)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			d, err := decodeDomain(v)
			out = append(out, d)
			return err
		})
	})
	sortDomains(out)
	return out, err
}

// CreateDomain implements DomainStore.
func (s *BoltStore) CreateDomain(ctx context.Context, d domains.Domain) (domains.Domain, error) {
	if err := validDomain(&d); err != nil {
		return d, err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return d, wrap(CodeInternal, err, "cannot encode domain")
	}
	return d, s.update(ctx, func(tx *bolt.Tx) error {
		b, err := boltDomains(tx, true)
		if err != nil {
			return err
		}
		if b.Get([]byte(d.Host)) != nil {
			return Errorf(CodeConflict, "domain %s exists already", d.Host)
		}
		return b.Put([]byte(d.Host), v)
	})
}

// UpdateDomain implements DomainStore.
func (s *BoltStore) UpdateDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error) {
	host = domains.NormalizeHost(host)
	var out domains.Domain
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := boltDomains(tx, true)
		if err != nil {
			return err
		}
		v := b.Get([]byte(host))
		if v == nil {
			return Errorf(CodeNotFound, "domain %s is not configured", host)
		}
		d, nv, err := changeDomain(v, host, fn)
		if err != nil {
			return err
		}
		out = d
		return b.Put([]byte(host), nv)
	})
	return out, err
}

// DeleteDomain implements DomainStore.
func (s *BoltStore) DeleteDomain(ctx context.Context, host string) error {
	host = domains.NormalizeHost(host)
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := boltDomains(tx, true)
		if err != nil {
			return err
		}
		if b.Get([]byte(host)) == nil {
			return Errorf(CodeNotFound, "domain %s is not configured", host)
		}
		return b.Delete([]byte(host))
	})
}

// SeedDomains implements DomainStore.
func (s *BoltStore) SeedDomains(ctx context.Context, ds []domains.Domain) (bool, error) {
	for i := range ds {
		if err := validDomain(&ds[i]); err != nil {
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
