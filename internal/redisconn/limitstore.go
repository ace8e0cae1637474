package server

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"
)

// RedisStorage is a fiber.Storage on Redis for the write rate limiter, so a
// key's limit holds across every instance. Keys live under Prefix. Safe for
// concurrent use.
type RedisStorage struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ fiber.Storage = (*RedisStorage)(nil)

// NewRedisStorage returns limiter storage on rdb with keys "<prefix>:…"
// (default prefix "hutong:ratelimit").
func NewRedisStorage(rdb redis.UniversalClient, prefix string) *RedisStorage {
	if prefix == "" {
		prefix = "hutong:ratelimit"
	}
	return &RedisStorage{rdb: rdb, prefix: prefix + ":"}
}

const storageTimeout = 500 * time.Millisecond

// Get returns the value of key, or nil when it is absent.
func (s *RedisStorage) Get(key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	b, err := s.rdb.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// Set stores val under key for exp (0: no expiry).
func (s *RedisStorage) Set(key string, val []byte, exp time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	return s.rdb.Set(ctx, s.prefix+key, val, exp).Err()
}

// Delete removes key.
func (s *RedisStorage) Delete(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	return s.rdb.Del(ctx, s.prefix+key).Err()
}

// Reset is not supported on a shared Redis (it would need a key scan); it
// is a no-op: limiter entries expire by themselves.
func (s *RedisStorage) Reset() error { return nil }

// Close does nothing: the client belongs to the caller.
func (s *RedisStorage) Close() error { return nil }
