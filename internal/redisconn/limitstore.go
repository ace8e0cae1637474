package redisconn

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// LimiterStorage is a fiber.Storage (Get, Set, Delete, Reset, Close) on
// Redis for the write rate limiter of internal/server, so a key's limit
// holds across every instance. Keys live under the prefix. Every call has
// its own 500 ms deadline. Safe for concurrent use. (It does not import
// Fiber: cmd/hutong hands it to the server as its fiber.Storage.)
type LimiterStorage struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewLimiterStorage returns limiter storage on rdb with keys "<prefix>:…"
// (default prefix "hutong:ratelimit").
func NewLimiterStorage(rdb redis.UniversalClient, prefix string) *LimiterStorage {
	if prefix == "" {
		prefix = "hutong:ratelimit"
	}
	return &LimiterStorage{rdb: rdb, prefix: prefix + ":"}
}

const storageTimeout = 500 * time.Millisecond

// Get returns the value of key, or nil when it is absent.
func (s *LimiterStorage) Get(key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	b, err := s.rdb.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// Set stores val under key for exp (0: no expiry).
func (s *LimiterStorage) Set(key string, val []byte, exp time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	return s.rdb.Set(ctx, s.prefix+key, val, exp).Err()
}

// Delete removes key.
func (s *LimiterStorage) Delete(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	return s.rdb.Del(ctx, s.prefix+key).Err()
}

// Reset is not supported on a shared Redis (it would need a key scan); it
// is a no-op: limiter entries expire by themselves.
func (s *LimiterStorage) Reset() error { return nil }

// Close does nothing: the client belongs to the caller.
func (s *LimiterStorage) Close() error { return nil }
