package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/shortlink"
)

var _ shortlink.DomainStore = (*Store)(nil)

func (s *Store) domainsKey() string       { return s.prefix + ":{domains}:all" }
func (s *Store) domainsSeededKey() string { return s.prefix + ":{domains}:seeded" }
func (s *Store) removedKey() string       { return s.prefix + ":{domains}:removed" }
func (s *Store) leaseKey() string         { return s.prefix + ":{domains}:check-lease" }

// tapsKey is the hash of the taps by host in at's minute.
func (s *Store) tapsKey(at time.Time) string {
	return s.prefix + ":{domains}:taps:" + strconv.FormatInt(at.Unix()/60, 10)
}

// ListDomains implements shortlink.DomainStore (one HGETALL).
func (s *Store) ListDomains(ctx context.Context) ([]domains.Domain, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := s.domainRecords(ctx, s.domainsKey(), "list domains")
	if err != nil {
		return nil, err
	}
	shortlink.SortDomains(out)
	return out, nil
}

// domainRecords reads every domain record of the hash key (one HGETALL).
func (s *Store) domainRecords(ctx context.Context, key, op string) ([]domains.Domain, error) {
	m, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, redisErr(err, op)
	}
	out := make([]domains.Domain, 0, len(m))
	for _, v := range m {
		d, err := shortlink.DecodeDomain([]byte(v))
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
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

// DeleteDomain implements shortlink.DomainStore (WATCH/MULTI on the
// records and the tombstones: the HDEL and the tombstone's HSET are one
// transaction).
func (s *Store) DeleteDomain(ctx context.Context, host string) error {
	host = domains.NormalizeHost(host)
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key, rm := s.domainsKey(), s.removedKey()
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
			d, err := shortlink.DecodeDomain(v)
			if err != nil {
				return err
			}
			var tomb []byte
			if len(d.PendingAlerts) > 0 {
				t := domains.Domain{Host: host}
				if old, err := tx.HGet(ctx, rm, host).Bytes(); err == nil {
					if t, err = shortlink.DecodeDomain(old); err != nil {
						return err
					}
				} else if !errors.Is(err, redis.Nil) {
					return err
				}
				shortlink.MergeAlerts(&t, d)
				if tomb, err = json.Marshal(t); err != nil {
					return err
				}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HDel(ctx, key, host)
				if tomb != nil {
					p.HSet(ctx, rm, host, tomb)
				}
				return nil
			})
			return err
		}, key, rm)
		if !errors.Is(err, redis.TxFailedErr) {
			return redisErr(err, "delete domain")
		}
	}
	return redisErr(err, "delete domain")
}

// RemovedDomains implements shortlink.DomainStore (one HGETALL).
func (s *Store) RemovedDomains(ctx context.Context) ([]domains.Domain, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := s.domainRecords(ctx, s.removedKey(), "list removed domains")
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out, nil
}

// UpdateRemovedDomain implements shortlink.DomainStore (WATCH/MULTI on the tombstones).
func (s *Store) UpdateRemovedDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error) {
	host = domains.NormalizeHost(host)
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rm := s.removedKey()
	var out domains.Domain
	var err error
	for range 10 {
		err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			d := domains.Domain{Host: host}
			if v, err := tx.HGet(ctx, rm, host).Bytes(); err == nil {
				if d, err = shortlink.DecodeDomain(v); err != nil {
					return err
				}
			} else if !errors.Is(err, redis.Nil) {
				return err
			}
			if err := fn(&d); err != nil {
				return err
			}
			d.Host = host
			var nv []byte
			if len(d.PendingAlerts) > 0 {
				var err error
				if nv, err = json.Marshal(d); err != nil {
					return err
				}
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if nv == nil {
					p.HDel(ctx, rm, host)
				} else {
					p.HSet(ctx, rm, host, nv)
				}
				return nil
			})
			out = d
			return err
		}, rm)
		if !errors.Is(err, redis.TxFailedErr) {
			return out, redisErr(err, "update removed domain")
		}
	}
	return out, redisErr(err, "update removed domain")
}

// leaseScript takes or renews the check lease: KEYS[1] the lease, ARGV
// owner and ttl in ms.
var leaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)

// releaseScript deletes the lease KEYS[1] when ARGV[1] holds it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// LeadChecks implements shortlink.DomainStore (a key with a TTL, set by
// leaseScript).
func (s *Store) LeadChecks(ctx context.Context, owner string, ttl time.Duration) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := leaseScript.Run(ctx, s.rdb, []string{s.leaseKey()}, owner, max(ttl.Milliseconds(), 1)).Int()
	if err != nil {
		return false, redisErr(err, "domain check lease")
	}
	return n == 1, nil
}

// ReleaseChecks implements shortlink.DomainStore.
func (s *Store) ReleaseChecks(ctx context.Context, owner string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return redisErr(releaseScript.Run(ctx, s.rdb, []string{s.leaseKey()}, owner).Err(), "release domain check lease")
}

// AddDomainTaps implements shortlink.DomainStore: HINCRBY per host on the
// minute's hash (one key a minute, not a key a tap), which expires after
// shortlink.DomainTapsKeep.
func (s *Store) AddDomainTaps(ctx context.Context, at time.Time, counts map[string]int64) error {
	if len(counts) == 0 {
		return nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.tapsKey(at)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for h, n := range counts {
			p.HIncrBy(ctx, key, h, n)
		}
		p.Expire(ctx, key, shortlink.DomainTapsKeep)
		return nil
	})
	return redisErr(err, "count domain taps")
}

// DomainTaps implements shortlink.DomainStore (one pipeline of HGETALLs).
func (s *Store) DomainTaps(ctx context.Context, since, until time.Time) (map[string]int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var cmds []*redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for m := since.Unix() / 60; m <= until.Unix()/60; m++ {
			cmds = append(cmds, p.HGetAll(ctx, s.tapsKey(time.Unix(m*60, 0))))
		}
		return nil
	})
	if err != nil {
		return nil, redisErr(err, "read domain taps")
	}
	out := map[string]int64{}
	for _, c := range cmds {
		for h, v := range c.Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			out[h] += n
		}
	}
	return out, nil
}

// seedScript sets the seeded marker and writes every record in one
// atomic step: KEYS[1] the marker, KEYS[2] the records hash, ARGV host,
// record pairs. 0 when the store was seeded already (nothing written).
// Atomic, so an instance that finds the marker set also finds every
// record of the seed (a SETNX then HSETs let a loser read an empty or
// half-written pool, and a seeder dying between them left the store
// marked seeded with no domain).
var seedScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX') then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i+1]) end
return 1`)

// SeedDomains implements shortlink.DomainStore: one Lua script (seedScript)
// checks and sets the marker and writes the records, so several instances
// starting at once seed exactly one list, whole.
func (s *Store) SeedDomains(ctx context.Context, ds []domains.Domain) (bool, error) {
	for i := range ds {
		if err := shortlink.CheckDomain(&ds[i]); err != nil {
			return false, err
		}
	}
	if len(ds) == 0 {
		return false, nil
	}
	args := make([]any, 0, 2*len(ds))
	for _, d := range ds {
		v, err := json.Marshal(d)
		if err != nil {
			return false, wrap(shortlink.CodeInternal, err, "cannot encode domain")
		}
		args = append(args, d.Host, v)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := seedScript.Run(ctx, s.rdb, []string{s.domainsSeededKey(), s.domainsKey()}, args...).Int()
	if err != nil {
		return false, redisErr(err, "seed domains")
	}
	return n == 1, nil
}
