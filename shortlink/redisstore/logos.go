package redisstore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/shortlink"
)

var _ shortlink.LogoStore = (*Store)(nil)

// Named QR logos: one hash of name → Logo JSON (no data), so ListLogos is
// one HGETALL without image bytes, and one string per logo file. All share
// the {logos} hash tag, so a put or delete is one MULTI in a cluster too.
func (s *Store) logoMetaKey() string            { return s.prefix + ":{logos}:meta" }
func (s *Store) logoDataKey(name string) string { return s.prefix + ":{logos}:data:" + name }

func noLogo(name string) error {
	return shortlink.Errorf(shortlink.CodeNotFound, "no logo named %q", name)
}

// logoPutAttempts bounds PutLogo's optimistic retries under contention.
const logoPutAttempts = 20

// PutLogo implements shortlink.LogoStore (WATCH on the meta hash, then
// MULTI: HSET + SET; retried when another put got in between).
func (s *Store) PutLogo(ctx context.Context, l shortlink.Logo) (shortlink.Logo, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.logoMetaKey()
	var err error
	for range logoPutAttempts {
		if err = s.putLogo(ctx, key, &l); !errors.Is(err, redis.TxFailedErr) {
			break
		}
	}
	if errors.Is(err, redis.TxFailedErr) {
		return l, shortlink.Errorf(shortlink.CodeConflict, "logo %q is being changed by others; retry", l.Name)
	}
	return l, redisErr(err, "put logo")
}

func (s *Store) putLogo(ctx context.Context, key string, lp *shortlink.Logo) error {
	return s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		l := lp
		l.CreatedAt = l.UpdatedAt
		v, err := tx.HGet(ctx, key, l.Name).Result()
		switch {
		case err == nil:
			var old shortlink.Logo
			if json.Unmarshal([]byte(v), &old) == nil && !old.CreatedAt.IsZero() {
				l.CreatedAt = old.CreatedAt
			}
		case errors.Is(err, redis.Nil):
			n, err := tx.HLen(ctx, key).Result()
			if err != nil {
				return err
			}
			if n >= shortlink.MaxLogos {
				return shortlink.Errorf(shortlink.CodeInvalid, "this install keeps at most %d logos: delete one first", shortlink.MaxLogos)
			}
		default:
			return err
		}
		meta, err := json.Marshal(l)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, key, l.Name, meta)
			p.Set(ctx, s.logoDataKey(l.Name), l.Data, 0)
			return nil
		})
		return err
	}, key)
}

// GetLogo implements shortlink.LogoStore (HGET and GET in one pipeline).
func (s *Store) GetLogo(ctx context.Context, name string) (shortlink.Logo, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var l shortlink.Logo
	var meta *redis.StringCmd
	var data *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HGet(ctx, s.logoMetaKey(), name)
		data = p.Get(ctx, s.logoDataKey(name))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return l, redisErr(err, "get logo")
	}
	v, err := meta.Bytes()
	if errors.Is(err, redis.Nil) {
		return l, noLogo(name)
	}
	if err != nil {
		return l, redisErr(err, "get logo")
	}
	if err := json.Unmarshal(v, &l); err != nil {
		return l, wrap(shortlink.CodeInternal, err, "corrupt logo record %q", name)
	}
	if l.Data, err = data.Bytes(); err != nil {
		return l, redisErr(err, "get logo data")
	}
	return l, nil
}

// ListLogos implements shortlink.LogoStore (one HGETALL).
func (s *Store) ListLogos(ctx context.Context) ([]shortlink.Logo, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	m, err := s.rdb.HGetAll(ctx, s.logoMetaKey()).Result()
	if err != nil {
		return nil, redisErr(err, "list logos")
	}
	out := make([]shortlink.Logo, 0, len(m))
	for name, v := range m {
		var l shortlink.Logo
		if err := json.Unmarshal([]byte(v), &l); err != nil {
			return nil, wrap(shortlink.CodeInternal, err, "corrupt logo record %q", name)
		}
		out = append(out, l)
	}
	shortlink.SortLogos(out)
	return out, nil
}

// DeleteLogo implements shortlink.LogoStore (HDEL + DEL in one MULTI).
func (s *Store) DeleteLogo(ctx context.Context, name string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var del *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.HDel(ctx, s.logoMetaKey(), name)
		p.Del(ctx, s.logoDataKey(name))
		return nil
	})
	if err != nil {
		return redisErr(err, "delete logo")
	}
	if del.Val() == 0 {
		return noLogo(name)
	}
	return nil
}
