package redisstore_test

import (
	"testing"

	"github.com/hutong-dev/hutong/shortlink/redisstore"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

func TestRedisLogos(t *testing.T) {
	storetest.RunLogos(t, func(t *testing.T) storetest.LogoStore {
		p := testPrefix(t)
		return redisstore.New(redisClient(t, p), redisstore.Options{Prefix: p})
	})
}
