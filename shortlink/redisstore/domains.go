package redisstore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/shortlink"
)

var _ shortlink.DomainStore = (*Store)(nil)

func (s *Store) domainsKey() string       { return s.prefix + ":{domains}:all" }
func (s *Store) domainsSeededKey() string { return s.prefix + ":{domains}:seeded" }

// ListDomains implements shortlink.DomainStore (one HGETALL).
func (s *Store) ListDomains(ctx context.Context) ([]domains.Domain, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	m, err := s.rdb.HGetAll(ctx, s.domainsKey()).Result()
	if err != nil {
		return nil, redisErr(err, "list domains")
	}
	out := make([]domains.Domain, 0, len(m))
	for _, v := range m {
		d, err := shortlink.DecodeDomain([]byte(v))
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	shortlink.SortDomains(out)
	return out, nil
}

// CreateDomain implements shortlink.DomainStore (HSETNX).
func (s *Store) CreateDomain(ctx context.Context, d domains.Domain) (domains.Domain, error) {
	if err := shortlink.CheckDomain(&d); err != nil {
		return d, err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return d, wrap(shortlink.CodeInternal, err, "cannot encode domain")
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ok, err := s.rdb.HSetNX(ctx, s.domainsKey(), d.Host, v).Result()
	if err != nil {
		return d, redisErr(err, "create domain")
	}
	if !ok {
		return d, shortlink.Errorf(shortlink.CodeConflict, "domain %s exists already", d.Host)
	}
	return d, nil
}

// UpdateDomain implements shortlink.DomainStore (optimistic WATCH/MULTI on the hash).
func (s *Store) UpdateDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error) {
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
				return shortlink.Errorf(shortlink.CodeNotFound, "domain %s is not configured", host)
			}
			if err != nil {
				return err
			}
			d, nv, err := shortlink.ChangeDomain(v, host, fn)
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

// DeleteDomain implements shortlink.DomainStore.
func (s *Store) DeleteDomain(ctx context.Context, host string) error {
	host = domains.NormalizeHost(host)
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.HDel(ctx, s.domainsKey(), host).Result()
	if err != nil {
		return redisErr(err, "delete domain")
	}
	if n == 0 {
		return shortlink.Errorf(shortlink.CodeNotFound, "domain %s is not configured", host)
	}
	return nil
}

// SeedDomains implements shortlink.DomainStore: SETNX on a marker, then HSETNX per
// host (an instance that loses the marker race seeds nothing).
func (s *Store) SeedDomains(ctx context.Context, ds []domains.Domain) (bool, error) {
	for i := range ds {
		if err := shortlink.CheckDomain(&ds[i]); err != nil {
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
