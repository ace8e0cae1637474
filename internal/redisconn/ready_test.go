package redisconn

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/testredis"
)

// TestCRC16: Redis Cluster's key hash, the reference value of the spec.
func TestCRC16(t *testing.T) {
	if got := crc16("123456789"); got != 0x31C3 {
		t.Errorf("crc16(123456789) = %#x; want 0x31c3", got)
	}
}

func waitCheck(t *testing.T, p *Probe, ok bool, d time.Duration) error {
	t.Helper()
	var err error
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = p.Check(ctx)
		cancel()
		if (err == nil) == ok {
			return err
		}
	}
	t.Fatalf("Probe.Check after %v: %v; want ok=%v", d, err, ok)
	return nil
}

// failingErrors calls Check until it fails (within d) and then until it
// is ok again (within d): whether one of the failures contained want, and
// the failures seen.
func failingErrors(p *Probe, want string, d time.Duration) (bool, []string) {
	var seen []string
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := p.Check(ctx)
		cancel()
		if err == nil {
			if len(seen) > 0 {
				break
			}
			continue
		}
		if strings.Contains(err.Error(), want) {
			return true, nil
		}
		seen = append(seen, err.Error())
	}
	return false, seen
}

// TestProbeCluster: on a real 6-node Cluster the probe's keys land in
// each master's slots (CLUSTER KEYSLOT agrees), Check is ok when healthy,
// fails at once when a master is killed, is ok again after the promotion,
// and fails when a master and its replica are both gone, naming the slot
// range left without a master.
func TestProbeCluster(t *testing.T) {
	c := testredis.StartCluster(t)
	rdb, err := New(c.URL("cluster_reload=1s"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx := context.Background()
	for _, r := range [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}, {42, 42}} {
		k := keyInSlots(r[0], r[1])
		s, err := rdb.ClusterKeySlot(ctx, k).Result()
		if err != nil || int(s) < r[0] || int(s) > r[1] {
			t.Errorf("keyInSlots(%d, %d) = %q in slot %d (%v)", r[0], r[1], k, s, err)
		}
	}
	p, err := NewProbe(c.URL("cluster_reload=1s"), rdb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	waitCheck(t, p, true, 5*time.Second)
	killed := c.KillMasterFor("probe:{a}")
	// A failure may be a timeout of a loaded host; while the master is
	// down, one of them must name the slot range that cannot be read.
	if named, seen := failingErrors(p, "slots", 10*time.Second); !named {
		t.Errorf("Check with a master killed: %q; want an error naming the slots", seen)
	}
	if _, err := c.WaitPromotion("probe:{a}", killed, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	waitCheck(t, p, true, 5*time.Second)
	// The promoted master has no replica: kill it too. Its slots are left
	// without a master (cluster-require-full-coverage no: the others serve).
	orphan := c.KillMasterFor("probe:{a}")
	err = waitCheck(t, p, false, 2*time.Second)
	t.Logf("master %s and its replica %s killed: %v", killed.Addr(), orphan.Addr(), err)
	// Once the cluster marks the node failed, Check still fails (the slots
	// have no master) though every master left answers PING.
	time.Sleep(4 * testredis.ClusterNodeTimeout)
	pingErr := rdb.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.Ping(ctx).Err() })
	t.Logf("a PING of every master in the client's slot map: %v", pingErr)
	if err := p.Check(ctx); err == nil || !strings.Contains(err.Error(), orphan.Addr()) {
		t.Errorf("Check with a slot range that has no live master: %v; want an error naming %s", err, orphan.Addr())
	} else {
		t.Logf("then: %v", err)
	}
}

// TestProbeSentinel: Check is ok on the Sentinels' master, fails when it is
// killed, and is ok again once the replica is promoted.
func TestProbeSentinel(t *testing.T) {
	s := testredis.StartSentinel(t, 1)
	rdb, err := New(s.URL(), Config{DialTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	p, err := NewProbe(s.URL(), rdb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	waitCheck(t, p, true, 5*time.Second)
	old := s.KillMaster()
	err = waitCheck(t, p, false, 2*time.Second)
	t.Logf("master killed: %v", err)
	if _, _, err := s.WaitPromotion(old, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	waitCheck(t, p, true, 10*time.Second)
}

// TestProbeReplica: a single-node URL that points at a replica (reads
// work, writes do not) is not ready, and names why.
func TestProbeReplica(t *testing.T) {
	a, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer a.Stop()
	b, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer b.Stop()
	rdb, _ := New(b.URL(), Config{})
	defer rdb.Close()
	p, err := NewProbe(b.URL(), rdb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := p.Check(ctx); err != nil {
		t.Fatalf("Check on a lone master: %v", err)
	}
	if err := rdb.Do(ctx, "REPLICAOF", "127.0.0.1", a.Port).Err(); err != nil {
		t.Fatal(err)
	}
	if err := p.Check(ctx); err == nil || !strings.Contains(err.Error(), "not the master") {
		t.Errorf("Check on a replica: %v; want not ready, not the master", err)
	}
}
