package testredis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Node is one redis-server process (a data node or a Sentinel) started by
// StartCluster or StartSentinel. Kill and Restart may be called from any
// goroutine; the process is killed when the test ends.
type Node struct {
	Port int
	Dir  string
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Addr is 127.0.0.1:port.
func (n *Node) Addr() string { return "127.0.0.1:" + strconv.Itoa(n.Port) }

// Alive reports whether the process runs (it was not killed since the last
// start).
func (n *Node) Alive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// Kill sends SIGKILL (kill -9) and waits for the process to exit. Killing a
// dead node is a no-op.
func (n *Node) Kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		_ = n.cmd.Process.Kill()
		_ = n.cmd.Wait()
		n.cmd = nil
	}
}

// Restart starts the node again with the same port, directory and
// configuration (a killed cluster node rejoins as a replica of its promoted
// replica; a killed Sentinel master is reconfigured by the Sentinels).
func (n *Node) Restart() error { return n.start() }

func (n *Node) start(extra ...string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return nil
	}
	cmd := exec.Command(redisServer(), append(n.args[:len(n.args):len(n.args)], extra...)...)
	cmd.Dir = n.Dir
	if err := startPinged(cmd, n.Port, n.Dir); err != nil {
		return err
	}
	n.cmd = cmd
	return nil
}

// Client opens a plain go-redis client to this one node (the caller closes
// it). For admin commands: INFO, CLUSTER NODES, SENTINEL ….
func (n *Node) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr(), DialTimeout: time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1})
}

func redisServer() string {
	p, _ := exec.LookPath("redis-server")
	return p
}

// needServer skips (or fails under CI=true) when redis-server or redis-cli
// is not installed.
func needServer(t testing.TB, cli bool) {
	t.Helper()
	bins := []string{"redis-server"}
	if cli {
		bins = append(bins, "redis-cli")
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			why := b + " is not installed (apt-get install redis-server); cluster/sentinel tests need it"
			if os.Getenv("CI") == "true" {
				t.Fatalf("CI=true: %s", why)
			}
			t.Skipf("skipping: %s", why)
		}
	}
}

// freePort returns a loopback port that is free now, and whose port+10000
// (the cluster bus) is free too when bus is set.
func freePort(bus bool) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		if !bus {
			l.Close()
			return p, nil
		}
		if p+10000 > 65535 {
			l.Close()
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		l.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return p, nil
	}
	return 0, errors.New("no free loopback port pair")
}

func startNode(t testing.TB, name string, bus bool, args func(port int, dir string) []string) *Node {
	t.Helper()
	var lastErr error
	for range 3 { // a port taken between freePort and the bind: try another
		port, err := freePort(bus)
		if err != nil {
			t.Fatalf("testredis: %v", err)
		}
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		n := &Node{Port: port, Dir: dir, args: args(port, dir)}
		if lastErr = n.Restart(); lastErr == nil {
			t.Cleanup(n.Kill)
			return n
		}
	}
	t.Fatalf("testredis: start %s: %v", name, lastErr)
	return nil
}

func baseArgs(port int, dir string) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log"), "--protected-mode", "no",
		// A replica that (re)joins gets its full sync at once instead of
		// after the default 5 s wait for more replicas to share it: writes
		// that wait for a replica (--redis-min-replicas) resume as soon as
		// a restarted node is back (README, Operations).
		"--repl-diskless-sync-delay", "0"}
}

// ClusterNodeTimeout is cluster-node-timeout for StartCluster: a killed
// master is failed over about 2–3 node timeouts later.
const ClusterNodeTimeout = 1000 * time.Millisecond

// Cluster is a 6-node Redis Cluster (3 masters, 3 replicas) started by
// StartCluster.
type Cluster struct {
	Nodes []*Node
	t     testing.TB
}

// StartCluster starts six redis-server processes with cluster-enabled on free
// loopback ports, joins them with `redis-cli --cluster create
// --cluster-replicas 1`, and waits until every slot is served, every node
// sees cluster_state:ok and every replica is in sync. It skips the test (or
// fails under CI=true) when redis-server or redis-cli is missing. The nodes
// are killed when the test ends. It takes about 2–4 s.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	needServer(t, true)
	c := &Cluster{t: t}
	for i := range 6 {
		c.Nodes = append(c.Nodes, startNode(t, "cluster"+strconv.Itoa(i), true, func(port int, dir string) []string {
			return append(baseArgs(port, dir), "--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
				"--cluster-node-timeout", strconv.Itoa(int(ClusterNodeTimeout/time.Millisecond)),
				"--cluster-require-full-coverage", "no",
				"--cluster-replica-validity-factor", "0")
		}))
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testredis: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.WaitHealthy(20 * time.Second); err != nil {
		t.Fatalf("testredis: cluster: %v", err)
	}
	return c
}

// URL is a redis+cluster:// URL listing every node, with extra query
// parameters appended as given (e.g. "cluster_reload=1s").
func (c *Cluster) URL(query ...string) string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr()
	}
	u := "redis+cluster://" + strings.Join(addrs, ",")
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	return u
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, flags, master string
	slots                   []string
}

func (c *Cluster) nodesView(ctx context.Context) ([]clusterNode, error) {
	var lastErr error
	for _, n := range c.Nodes {
		if !n.Alive() {
			continue
		}
		cl := n.Client()
		s, err := cl.ClusterNodes(ctx).Result()
		cl.Close()
		if err != nil {
			lastErr = err
			continue
		}
		var out []clusterNode
		for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
			f := strings.Fields(line)
			if len(f) < 8 {
				continue
			}
			addr, _, _ := strings.Cut(f[1], "@")
			out = append(out, clusterNode{id: f[0], addr: addr, flags: f[2], master: f[3], slots: f[8:]})
		}
		return out, nil
	}
	return nil, fmt.Errorf("no live node answers CLUSTER NODES: %v", lastErr)
}

func (c *Cluster) node(addr string) *Node {
	for _, n := range c.Nodes {
		if n.Addr() == addr {
			return n
		}
	}
	return nil
}

// MasterFor returns the live master that owns key's slot now.
func (c *Cluster) MasterFor(key string) (*Node, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var cl *redis.Client
	for _, n := range c.Nodes {
		if n.Alive() {
			cl = n.Client()
			break
		}
	}
	if cl == nil {
		return nil, errors.New("no live node")
	}
	s, err := cl.ClusterKeySlot(ctx, key).Result()
	cl.Close()
	if err != nil {
		return nil, err
	}
	view, err := c.nodesView(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range view {
		if !strings.Contains(v.flags, "master") || strings.Contains(v.flags, "fail") {
			continue
		}
		for _, r := range v.slots {
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil && int(s) >= a && int(s) <= b {
				if n := c.node(v.addr); n != nil {
					return n, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no live master owns slot %d", s)
}

// Masters returns the nodes that are masters now.
func (c *Cluster) Masters() []*Node {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	view, err := c.nodesView(ctx)
	if err != nil {
		return nil
	}
	var out []*Node
	for _, v := range view {
		if strings.Contains(v.flags, "master") && !strings.Contains(v.flags, "fail") && len(v.slots) > 0 {
			if n := c.node(v.addr); n != nil && n.Alive() {
				out = append(out, n)
			}
		}
	}
	return out
}

// KillMasterFor kills (SIGKILL) the master owning key and returns it.
func (c *Cluster) KillMasterFor(key string) *Node {
	c.t.Helper()
	n, err := c.MasterFor(key)
	if err != nil {
		c.t.Fatalf("testredis: %v", err)
	}
	n.Kill()
	return n
}

// WaitPromotion waits until a live master other than killed owns key's slot
// and reports role:master, and returns when that was first seen (within
// ~20 ms).
func (c *Cluster) WaitPromotion(key string, killed *Node, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if n, err := c.MasterFor(key); err == nil && n != killed {
			cl := n.Client()
			repl, err := cl.Info(context.Background(), "replication").Result()
			cl.Close()
			if err == nil && strings.Contains(repl, "role:master") {
				return time.Now(), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("no replica promoted for %q within %v", key, timeout)
}

// WaitHealthy waits until every live node reports cluster_state:ok with
// all 16384 slots and every master with a live replica has it in sync.
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var why string
	for time.Now().Before(deadline) {
		why = c.unhealthy()
		if why == "" {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not healthy after %v: %s", timeout, why)
}

func (c *Cluster) unhealthy() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	live := 0
	for _, n := range c.Nodes {
		if !n.Alive() {
			continue
		}
		live++
		cl := n.Client()
		info, err := cl.ClusterInfo(ctx).Result()
		if err != nil {
			cl.Close()
			return n.Addr() + ": " + err.Error()
		}
		if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_ok:16384") {
			cl.Close()
			return n.Addr() + ": cluster state not ok"
		}
		repl, err := cl.Info(ctx, "replication").Result()
		cl.Close()
		if err != nil {
			return n.Addr() + ": " + err.Error()
		}
		if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
			return n.Addr() + ": replica link down"
		}
	}
	view, err := c.nodesView(ctx)
	if err != nil {
		return err.Error()
	}
	known := 0
	for _, v := range view {
		if !strings.Contains(v.flags, "fail") {
			known++
		}
	}
	if known < live {
		return fmt.Sprintf("%d of %d live nodes known", known, live)
	}
	return ""
}

// Sentinel is a master, its replicas and three Sentinels started by
// StartSentinel. The master set is named MasterName.
type Sentinel struct {
	MasterName string
	Data       []*Node // Data[0] is the first master; roles change on failover
	Sentinels  []*Node
	t          testing.TB
}

// SentinelDownAfter is down-after-milliseconds for StartSentinel: a killed
// master is failed over about 1–2 s after this.
const SentinelDownAfter = 1000 * time.Millisecond

// StartSentinel starts one master, replicas (1 or 2) replicating from it, and
// three Sentinels (`redis-server --sentinel`) monitoring it with quorum 2,
// all on free loopback ports, and waits until every Sentinel sees the
// replicas and the other Sentinels. It skips the test (or fails under
// CI=true) when redis-server is missing. Everything is killed when the test
// ends.
func StartSentinel(t testing.TB, replicas int) *Sentinel {
	t.Helper()
	needServer(t, false)
	if replicas < 1 || replicas > 2 {
		t.Fatalf("testredis: StartSentinel wants 1 or 2 replicas, got %d", replicas)
	}
	s := &Sentinel{MasterName: "hutongtest", t: t}
	master := startNode(t, "master", false, baseArgs)
	s.Data = append(s.Data, master)
	for i := range replicas {
		s.Data = append(s.Data, startNode(t, "replica"+strconv.Itoa(i), false, func(port int, dir string) []string {
			return append(baseArgs(port, dir), "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
		}))
	}
	for i := range 3 {
		s.Sentinels = append(s.Sentinels, startNode(t, "sentinel"+strconv.Itoa(i), false, func(port int, dir string) []string {
			conf := filepath.Join(dir, "sentinel.conf")
			body := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\nlogfile %s\n"+
				"sentinel monitor %s 127.0.0.1 %d 2\n"+
				"sentinel down-after-milliseconds %s %d\n"+
				"sentinel failover-timeout %s 10000\n"+
				"sentinel parallel-syncs %s 1\n",
				port, dir, filepath.Join(dir, "sentinel.log"), s.MasterName, master.Port,
				s.MasterName, int(SentinelDownAfter/time.Millisecond), s.MasterName, s.MasterName)
			if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{conf, "--sentinel"}
		}))
	}
	if err := s.WaitHealthy(20 * time.Second); err != nil {
		t.Fatalf("testredis: sentinel: %v", err)
	}
	return s
}

// URL is the redis+sentinel:// URL of the three Sentinels and the master
// set, with extra query parameters appended as given.
func (s *Sentinel) URL(query ...string) string {
	addrs := make([]string, len(s.Sentinels))
	for i, n := range s.Sentinels {
		addrs[i] = n.Addr()
	}
	u := "redis+sentinel://" + strings.Join(addrs, ",") + "/" + s.MasterName
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	return u
}

// MasterAddr is the master address the live Sentinels agree on ("" when
// they disagree or none answers).
func (s *Sentinel) MasterAddr() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var agreed string
	for _, n := range s.Sentinels {
		if !n.Alive() {
			continue
		}
		cl := redis.NewSentinelClient(&redis.Options{Addr: n.Addr(), DialTimeout: time.Second, MaxRetries: -1})
		a, err := cl.GetMasterAddrByName(ctx, s.MasterName).Result()
		cl.Close()
		if err != nil || len(a) != 2 {
			return ""
		}
		addr := net.JoinHostPort(a[0], a[1])
		if agreed != "" && agreed != addr {
			return ""
		}
		agreed = addr
	}
	return agreed
}

// Master is the data node that is master now, per the Sentinels.
func (s *Sentinel) Master() *Node {
	a := s.MasterAddr()
	for _, n := range s.Data {
		if n.Addr() == a {
			return n
		}
	}
	return nil
}

// KillMaster kills (SIGKILL) the current master and returns it.
func (s *Sentinel) KillMaster() *Node {
	s.t.Helper()
	m := s.Master()
	if m == nil {
		s.t.Fatal("testredis: Sentinels do not agree on a master")
	}
	m.Kill()
	return m
}

// Rejoin restarts a killed data node as a replica of the current master
// (faster than waiting for the Sentinels to convert it) and waits until the
// set is healthy again.
func (s *Sentinel) Rejoin(n *Node, timeout time.Duration) error {
	m := s.Master()
	if m == nil {
		return errors.New("Sentinels do not agree on a master")
	}
	if err := n.start("--replicaof", "127.0.0.1", strconv.Itoa(m.Port)); err != nil {
		return err
	}
	return s.WaitHealthy(timeout)
}

// Failover asks a Sentinel for a planned failover (SENTINEL FAILOVER) and
// returns the master it replaces.
func (s *Sentinel) Failover() (*Node, error) {
	old := s.Master()
	if old == nil {
		return nil, errors.New("Sentinels do not agree on a master")
	}
	cl := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinels[0].Addr(), MaxRetries: -1})
	defer cl.Close()
	// INPROG: the Sentinel is still in an earlier failover (one it began
	// after a kill, or whose promotion it is still converting): wait it out.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := cl.Failover(ctx, s.MasterName).Err()
		cancel()
		if err == nil || !strings.Contains(err.Error(), "INPROG") || time.Now().After(deadline) {
			return old, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// WaitPromotion waits until the Sentinels agree on a master other than old
// that answers writes as a master, and returns when that was first seen.
func (s *Sentinel) WaitPromotion(old *Node, timeout time.Duration) (*Node, time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := s.Master(); m != nil && m != old && m.Alive() {
			cl := m.Client()
			err := cl.Set(context.Background(), "testredis:probe", "1", time.Second).Err()
			cl.Close()
			if err == nil {
				return m, time.Now(), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, time.Time{}, fmt.Errorf("no replica promoted within %v", timeout)
}

// WaitHealthy waits until the Sentinels agree on a live master that reports
// every other live data node as an online replica, and each Sentinel knows
// the other live Sentinels.
func (s *Sentinel) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	why := "not checked"
	for time.Now().Before(deadline) {
		if why = s.unhealthy(); why == "" {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not healthy after %v: %s", timeout, why)
}

func (s *Sentinel) unhealthy() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	m := s.Master()
	if m == nil || !m.Alive() {
		return "no agreed live master"
	}
	liveData, liveSent := 0, 0
	for _, n := range s.Data {
		if n.Alive() {
			liveData++
		}
	}
	for _, n := range s.Sentinels {
		if n.Alive() {
			liveSent++
		}
	}
	cl := m.Client()
	repl, err := cl.Info(ctx, "replication").Result()
	cl.Close()
	if err != nil {
		return err.Error()
	}
	if !strings.Contains(repl, "role:master") {
		return m.Addr() + " is not master yet"
	}
	if got := strings.Count(repl, "state=online"); got < liveData-1 {
		return fmt.Sprintf("%d of %d replicas online", got, liveData-1)
	}
	for _, n := range s.Sentinels {
		if !n.Alive() {
			continue
		}
		sc := redis.NewSentinelClient(&redis.Options{Addr: n.Addr(), MaxRetries: -1})
		reps, err1 := sc.Replicas(ctx, s.MasterName).Result()
		sents, err2 := sc.Sentinels(ctx, s.MasterName).Result()
		sc.Close()
		if err1 != nil || err2 != nil {
			return fmt.Sprintf("sentinel %s: %v %v", n.Addr(), err1, err2)
		}
		okReps := 0
		for _, r := range reps {
			if flags, _ := r["flags"]; flags == "slave" {
				okReps++
			}
		}
		if okReps < liveData-1 {
			return fmt.Sprintf("sentinel %s sees %d good replicas", n.Addr(), okReps)
		}
		if len(sents) < liveSent-1 {
			return fmt.Sprintf("sentinel %s knows %d other sentinels", n.Addr(), len(sents))
		}
	}
	return ""
}
