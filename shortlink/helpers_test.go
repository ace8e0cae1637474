package shortlink_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
)

var prefixSeq atomic.Int64

// testPrefix returns a key prefix no other test (or engineer) uses.
func testPrefix(t testing.TB) string {
	return fmt.Sprintf("hutong-test:%d:%d", time.Now().UnixNano(), prefixSeq.Add(1))
}

// redisClient connects to the test Redis and deletes everything under
// prefix when t ends.
func redisClient(t testing.TB, prefix string) redis.UniversalClient {
	t.Helper()
	rdb, err := redisconn.New(testredis.URL(t), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+":*", 500).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb
}
