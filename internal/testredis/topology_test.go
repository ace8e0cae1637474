package testredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/testredis"
	"github.com/redis/go-redis/v9"
)

func TestClusterKillAndPromote(t *testing.T) {
	c := testredis.StartCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr()}})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "testredis:k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	killed := c.KillMasterFor("testredis:k")
	start := time.Now()
	if _, err := c.WaitPromotion("testredis:k", killed, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("promoted %.1fs after kill -9", time.Since(start).Seconds())
	if err := killed.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHealthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestSentinelKillAndPromote(t *testing.T) {
	s := testredis.StartSentinel(t, 1)
	old := s.KillMaster()
	start := time.Now()
	m, _, err := s.WaitPromotion(old, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("promoted %s %.1fs after kill -9", m.Addr(), time.Since(start).Seconds())
	old2, err := s.Failover()
	if err == nil {
		t.Fatalf("planned failover with no replica left: want an error")
	}
	_ = old2
	start = time.Now()
	if err := s.Rejoin(old, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("rejoined in %.1fs", time.Since(start).Seconds())
	prev, err := s.Failover()
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, _, err := s.WaitPromotion(prev, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("planned failover %.1fs", time.Since(start).Seconds())
}
