package redisconn_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
)

// load runs writers INCRing key (and keys on other slots) until stop is
// closed, recording the time of every success and failure on key.
type load struct {
	mu       sync.Mutex
	lastFail time.Time
	oks      []time.Time
	acked    atomic.Int64 // acknowledged INCRs of key
	fails    atomic.Int64
}

func (l *load) okAfter(t time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ok := range l.oks {
		if ok.After(t) {
			return ok, true
		}
	}
	return time.Time{}, false
}

func runLoad(t *testing.T, rdb redis.UniversalClient, key string, minReplicas int, stop <-chan struct{}) (*load, *sync.WaitGroup) {
	l := &load{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(10 * time.Millisecond) // 8 writers × 100/s
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				_, _, err := redisconn.WaitReplicas(ctx, rdb, key, minReplicas, 200*time.Millisecond, func(p redis.Pipeliner) {
					p.Incr(ctx, key)
				})
				cancel()
				now := time.Now()
				if err != nil {
					l.fails.Add(1)
					l.mu.Lock()
					l.lastFail = now
					l.mu.Unlock()
					continue
				}
				l.acked.Add(1)
				l.mu.Lock()
				l.oks = append(l.oks, now)
				l.mu.Unlock()
				// Other slots keep the client busy like real traffic.
				_ = rdb.Set(context.Background(), fmt.Sprintf("rctest:%d:%d", w, i%50), i, time.Minute).Err()
			}
		}()
	}
	return l, &wg
}

// TestClusterFailoverRecovery: kill -9 the master owning the key under load;
// writes to it succeed again within 5 s of the replica's promotion (go-redis'
// default 60 s slot-map reload kept them failing for up to a minute), and no
// acknowledged write with WAIT 1 is lost.
func TestClusterFailoverRecovery(t *testing.T) {
	c := testredis.StartCluster(t)
	rdb, err := redisconn.New(c.URL("cluster_reload=1s"), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if _, ok := rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("New(redis+cluster://) = %T; want *redis.ClusterClient", rdb)
	}
	ctx := context.Background()
	if n, err := redisconn.Replicas(ctx, rdb); err != nil || n != 1 {
		t.Fatalf("Replicas = %d, %v; want 1", n, err)
	}
	if n := redisconn.DefaultMinReplicas(ctx, rdb); n != 1 {
		t.Fatalf("DefaultMinReplicas = %d; want 1", n)
	}
	// Plain writes (no WAIT) show the slot-map reload; durable writes (WAIT
	// 1) on the same slot must lose nothing. The promoted replica has no
	// replica of its own until the killed node is back, so the killed node
	// restarts at the promotion (as an orchestrator would restart it) and
	// durable writes resume once it has synced.
	key, dkey := "rctest:{failover}:plain", "rctest:{failover}:durable"
	stop := make(chan struct{})
	l, wg := runLoad(t, rdb, key, 0, stop)
	dl, dwg := runLoad(t, rdb, dkey, 1, stop)
	time.Sleep(500 * time.Millisecond)
	killed := c.KillMasterFor(key)
	killedAt := time.Now()
	promoted, err := c.WaitPromotion(key, killed, 20*time.Second)
	if err != nil {
		close(stop)
		wg.Wait()
		dwg.Wait()
		t.Fatal(err)
	}
	if err := killed.Restart(); err != nil {
		t.Fatal(err)
	}
	recovered := waitOK(l, promoted, 15*time.Second)
	drecovered := waitOK(dl, promoted, 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	dwg.Wait()
	if recovered.IsZero() {
		t.Fatalf("no write succeeded within 15 s of the promotion (%d failures)", l.fails.Load())
	}
	rec := recovered.Sub(promoted)
	t.Logf("promotion %.2fs after kill -9; plain writes recovered %.2fs after the promotion (%d ok, %d failed); "+
		"durable writes %.2fs after it, with the killed node restarted at the promotion (%d ok, %d failed)",
		promoted.Sub(killedAt).Seconds(), rec.Seconds(), l.acked.Load(), l.fails.Load(),
		drecovered.Sub(promoted).Seconds(), dl.acked.Load(), dl.fails.Load())
	if rec > 5*time.Second {
		t.Errorf("writes recovered %v after the promotion; want ≤ 5s", rec)
	}
	if drecovered.IsZero() {
		t.Errorf("no durable write succeeded within 20 s of the promotion")
	}
	for _, k := range []struct {
		key string
		l   *load
	}{{key, l}, {dkey, dl}} {
		got, err := rdb.Get(ctx, k.key).Int64()
		if err != nil {
			t.Fatal(err)
		}
		if lost := k.l.acked.Load() - got; k.l == dl && lost > 0 {
			t.Errorf("%s = %d after %d acknowledged INCRs with WAIT 1: %d lost", k.key, got, k.l.acked.Load(), lost)
		} else if lost > 0 {
			t.Logf("%s: %d acknowledged INCRs without WAIT lost in the kill", k.key, lost)
		}
	}
}

// waitOK waits up to d for a success of l after t; zero when none.
func waitOK(l *load, t time.Time, d time.Duration) time.Time {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok, found := l.okAfter(t); found {
			return ok
		}
	}
	return time.Time{}
}

// TestSentinelFailover: a planned SENTINEL FAILOVER and a kill -9 of the
// master under load. Plain writes recover within 5 s of the promotion;
// writes with WAIT (all replicas, the default) lose nothing acknowledged.
// After the kill the new master has no replica until the old one rejoins,
// which it does at the promotion.
func TestSentinelFailover(t *testing.T) {
	s := testredis.StartSentinel(t, 1)
	rdb, err := redisconn.New(s.URL(), redisconn.Config{DialTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx := context.Background()
	n := redisconn.DefaultMinReplicas(ctx, rdb)
	if n != 1 {
		t.Fatalf("DefaultMinReplicas = %d; want 1", n)
	}
	for _, mode := range []string{"planned", "kill"} {
		t.Run(mode, func(t *testing.T) {
			key, dkey := "rctest:sentinel:"+mode+":plain", "rctest:sentinel:"+mode+":durable"
			stop := make(chan struct{})
			l, wg := runLoad(t, rdb, key, 0, stop)
			dl, dwg := runLoad(t, rdb, dkey, n, stop)
			halt := func() { close(stop); wg.Wait(); dwg.Wait() }
			time.Sleep(500 * time.Millisecond)
			var old *testredis.Node
			if mode == "planned" {
				if old, err = s.Failover(); err != nil {
					halt()
					t.Fatal(err)
				}
			} else {
				old = s.KillMaster()
			}
			start := time.Now()
			_, promoted, err := s.WaitPromotion(old, 20*time.Second)
			if err != nil {
				halt()
				t.Fatal(err)
			}
			rejoined := make(chan error, 1)
			if mode == "kill" {
				go func() { rejoined <- s.Rejoin(old, 20*time.Second) }()
			} else {
				go func() { rejoined <- s.WaitHealthy(20 * time.Second) }()
			}
			recovered := waitOK(l, promoted, 15*time.Second)
			drecovered := waitOK(dl, promoted, 20*time.Second)
			time.Sleep(300 * time.Millisecond)
			halt()
			if err := <-rejoined; err != nil {
				t.Fatal(err)
			}
			if recovered.IsZero() || drecovered.IsZero() {
				t.Fatalf("no write succeeded within 15 s of the promotion (plain %v, durable %v)", recovered, drecovered)
			}
			t.Logf("%s: promotion %.2fs after the trigger; plain writes recovered %.2fs after it (%d ok, %d failed); durable %.2fs (%d ok, %d failed)",
				mode, promoted.Sub(start).Seconds(), recovered.Sub(promoted).Seconds(), l.acked.Load(), l.fails.Load(),
				drecovered.Sub(promoted).Seconds(), dl.acked.Load(), dl.fails.Load())
			if d := recovered.Sub(promoted); d > 5*time.Second {
				t.Errorf("recovered %v after the promotion; want ≤ 5s", d)
			}
			for _, k := range []struct {
				key string
				l   *load
			}{{key, l}, {dkey, dl}} {
				got, err := rdb.Get(ctx, k.key).Int64()
				if err != nil && err != redis.Nil {
					t.Fatal(err)
				}
				if lost := k.l.acked.Load() - got; k.l == dl && lost > 0 {
					t.Errorf("%s = %d after %d acknowledged INCRs with WAIT %d: %d lost", k.key, got, k.l.acked.Load(), n, lost)
				} else if lost > 0 {
					t.Logf("%s: %d acknowledged INCRs without WAIT lost", k.key, lost)
				}
			}
		})
	}
}

// TestWaitReplicasNoReplica: a lone server has no replica to acknowledge.
func TestWaitReplicasNoReplica(t *testing.T) {
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	rdb, _ := redisconn.New(srv.URL(), redisconn.Config{})
	defer rdb.Close()
	ctx := context.Background()
	if n := redisconn.DefaultMinReplicas(ctx, rdb); n != 0 {
		t.Errorf("DefaultMinReplicas(lone server) = %d; want 0", n)
	}
	cmds, acked, err := redisconn.WaitReplicas(ctx, rdb, "k", 1, 20*time.Millisecond, func(p redis.Pipeliner) { p.Incr(ctx, "k") })
	if !errors.Is(err, redisconn.ErrNotReplicated) || acked != 0 || len(cmds) != 1 || cmds[0].(*redis.IntCmd).Val() != 1 {
		t.Errorf("WaitReplicas = %v, %d, %v; want the INCR done and ErrNotReplicated", cmds, acked, err)
	}
	if _, _, err := redisconn.WaitReplicas(ctx, rdb, "k", 0, 0, func(p redis.Pipeliner) { p.Incr(ctx, "k") }); err != nil {
		t.Errorf("WaitReplicas(n=0) = %v", err)
	}
}
