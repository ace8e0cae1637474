package track

import (
	"testing"
)

func TestRedisSink(t *testing.T) {
	rdb := testClient(t)
	runSinkContract(t, func(t *testing.T) Sink {
		return NewRedisSink(rdb, RedisConfig{Stream: testStream(t, rdb)})
	})
}
