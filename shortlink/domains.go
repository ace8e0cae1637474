package shortlink

import (
	"context"
	"encoding/json"
	"errors"
	"sort"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/hutong-dev/hutong/internal/domains"
)

// DomainStore keeps domain records (internal/domains), keyed by host. Both
// BoltStore and RedisStore implement it; safe for concurrent use. Errors
// come from this package's vocabulary: CodeNotFound, CodeConflict,
// CodeInvalid (from domains.Domain.Validate), CodeUnavailable.
type DomainStore interface {
	// ListDomains returns every record ordered by pool, priority, host.
	ListDomains(ctx context.Context) ([]domains.Domain, error)
	// CreateDomain stores d (validated first); CodeConflict when its host exists.
	CreateDomain(ctx context.Context, d domains.Domain) (domains.Domain, error)
	// UpdateDomain reads the record of host, lets fn change it and writes it
	// back atomically (fn may run more than once on Redis). The host cannot
	// change. CodeNotFound when absent; an error from fn is returned as is.
	UpdateDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error)
	// DeleteDomain removes the record; CodeNotFound when absent.
	DeleteDomain(ctx context.Context, host string) error
	// SeedDomains stores ds only if domain records were never seeded in
	// this store (first run of --domains/--base-url), and reports whether
	// it did. Later runs leave the records the API changed alone.
	SeedDomains(ctx context.Context, ds []domains.Domain) (bool, error)
}

var (
	_ DomainStore = (*BoltStore)(nil)
	_ DomainStore = (*RedisStore)(nil)
)

// Bucket of domain records: host → Domain JSON; bucketMeta holds
// "domains_seeded".
var (
	bucketDomains = []byte("domains")
	bucketMeta    = []byte("meta")
	keySeeded     = []byte("domains_seeded")
)

func sortDomains(ds []domains.Domain) {
	sort.Slice(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Pool != b.Pool {
			return a.Pool < b.Pool
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.Host < b.Host
	})
}

func validDomain(d *domains.Domain) error {
	if err := d.Validate(); err != nil {
		return Errorf(CodeInvalid, "%s", err.Error())
	}
	return nil
}

func decodeDomain(v []byte) (domains.Domain, error) {
	var d domains.Domain
	if err := json.Unmarshal(v, &d); err != nil {
		return d, wrap(CodeInternal, err, "corrupt domain record")
	}
	return d, nil
}

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

// changeDomain applies fn to the stored record v of host and returns the
// checked result and its encoding: one rule for both stores' UpdateDomain.
func changeDomain(v []byte, host string, fn func(*domains.Domain) error) (domains.Domain, []byte, error) {
	d, err := decodeDomain(v)
	if err != nil {
		return d, nil, err
	}
	if err := fn(&d); err != nil {
		return d, nil, err
	}
	d.Host = host // fn cannot move a record to another host
	if err := validDomain(&d); err != nil {
		return d, nil, err
	}
	nv, err := json.Marshal(d)
	return d, nv, err
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

func (s *RedisStore) domainsKey() string       { return s.prefix + ":{domains}:all" }
func (s *RedisStore) domainsSeededKey() string { return s.prefix + ":{domains}:seeded" }

// ListDomains implements DomainStore (one HGETALL).
func (s *RedisStore) ListDomains(ctx context.Context) ([]domains.Domain, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	m, err := s.rdb.HGetAll(ctx, s.domainsKey()).Result()
	if err != nil {
		return nil, redisErr(err, "list domains")
	}
	out := make([]domains.Domain, 0, len(m))
	for _, v := range m {
		d, err := decodeDomain([]byte(v))
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sortDomains(out)
	return out, nil
}

// CreateDomain implements DomainStore (HSETNX).
func (s *RedisStore) CreateDomain(ctx context.Context, d domains.Domain) (domains.Domain, error) {
	if err := validDomain(&d); err != nil {
		return d, err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return d, wrap(CodeInternal, err, "cannot encode domain")
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ok, err := s.rdb.HSetNX(ctx, s.domainsKey(), d.Host, v).Result()
	if err != nil {
		return d, redisErr(err, "create domain")
	}
	if !ok {
		return d, Errorf(CodeConflict, "domain %s exists already", d.Host)
	}
	return d, nil
}

// UpdateDomain implements DomainStore (optimistic WATCH/MULTI on the hash).
func (s *RedisStore) UpdateDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error) {
	host = domains.NormalizeHost(host)
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.domainsKey()
	var out domains.Domain
	var err error
	for range 10 {
		err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			v, err := tx.HGet(ctx, key, host).Bytes()
			if errors.Is(err, redis.Nil) {
				return Errorf(CodeNotFound, "domain %s is not configured", host)
			}
			if err != nil {
				return err
			}
			d, nv, err := changeDomain(v, host, fn)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, key, host, nv)
				return nil
			})
			out = d
			return err
		}, key)
		if !errors.Is(err, redis.TxFailedErr) {
			return out, redisErr(err, "update domain")
		}
	}
	return out, redisErr(err, "update domain")
}

// DeleteDomain implements DomainStore.
func (s *RedisStore) DeleteDomain(ctx context.Context, host string) error {
	host = domains.NormalizeHost(host)
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.HDel(ctx, s.domainsKey(), host).Result()
	if err != nil {
		return redisErr(err, "delete domain")
	}
	if n == 0 {
		return Errorf(CodeNotFound, "domain %s is not configured", host)
	}
	return nil
}

// SeedDomains implements DomainStore: SETNX on a marker, then HSETNX per
// host (an instance that loses the marker race seeds nothing).
func (s *RedisStore) SeedDomains(ctx context.Context, ds []domains.Domain) (bool, error) {
	for i := range ds {
		if err := validDomain(&ds[i]); err != nil {
			return false, err
		}
	}
	if len(ds) == 0 {
		return false, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	first, err := s.rdb.SetNX(ctx, s.domainsSeededKey(), "1", 0).Result()
	if err != nil || !first {
		return false, redisErr(err, "seed domains")
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, d := range ds {
			v, err := json.Marshal(d)
			if err != nil {
				return err
			}
			p.HSetNX(ctx, s.domainsKey(), d.Host, v)
		}
		return nil
	})
	return err == nil, redisErr(err, "seed domains")
}
