package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/testredis"
)

const wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323a) NetType/WIFI Language/zh_CN"

func readyz(t *testing.T, base string) (int, bool) {
	t.Helper()
	a := do(t, "GET", base+"/readyz", nil, nil)
	var r struct {
		Ready  bool
		Checks []struct {
			Name string
			OK   bool
		}
	}
	if err := json.Unmarshal([]byte(a.Body), &r); err != nil {
		t.Fatalf("/readyz: %d %q is not JSON", a.Status, a.Body)
	}
	store := false
	for _, c := range r.Checks {
		if c.Name == "store" {
			store = c.OK
		}
	}
	return a.Status, store
}

// TestRedisDownReadyzAndCachedTaps stops a throwaway redis-server under a
// running hutong: /readyz turns 503 naming the store, taps on a cached
// uncapped link keep answering 302, a capped link fails closed, and when
// Redis is back /readyz is 200 again.
func TestRedisDownReadyzAndCachedTaps(t *testing.T) {
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.Redis = srv.URL() })
	for _, body := range []map[string]any{
		{"target": "https://item.taobao.com/item.htm?id=123456789", "alias": "openlink"},
		{"target": "https://item.taobao.com/item.htm?id=123456780", "alias": "capped", "max_clicks": 1000},
	} {
		if a := api(t, "POST", base+"/api/v1/links", body); a.Status != 201 {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
	}
	for _, c := range []string{"openlink", "capped"} {
		if a := get(t, base+"/"+c, wechatUA); a.Status != 302 {
			t.Fatalf("warm tap %s: %d", c, a.Status)
		}
	}
	if st, ok := readyz(t, base); st != 200 || !ok {
		t.Fatalf("/readyz with Redis up: %d, store ok %v", st, ok)
	}
	srv.Stop()
	if st, ok := readyz(t, base); st != 503 || ok {
		t.Fatalf("/readyz with Redis down: %d, store ok %v; want 503, not ok", st, ok)
	}
	for i := range 200 {
		if a := get(t, base+"/openlink", wechatUA); a.Status != 302 {
			t.Fatalf("tap %d on the cached link with Redis down: %d %.200s", i, a.Status, a.Body)
		}
	}
	if a := get(t, base+"/capped", wechatUA); a.Status == 302 {
		t.Errorf("tap on a capped link with Redis down: 302; want it to fail closed")
	}
	if m := do(t, "GET", base+"/metrics", nil, nil); !strings.Contains(m.Body, "hutong_link_cache_stale_total") {
		t.Errorf("/metrics has no hutong_link_cache_stale_total")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, ok := readyz(t, base)
		if st == 200 && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz 10 s after Redis restarted: %d", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestClusterReadyzFollowsMasters: with a 6-node Cluster, /readyz is 503
// while a killed master's slots have none, and 200 again after the
// replica's promotion (the slot map reloads, cluster_reload).
func TestClusterReadyzFollowsMasters(t *testing.T) {
	c := testredis.StartCluster(t)
	_, base := testMain(t, func(cfg *config.Serve) { cfg.InitialAPIKey = adminKey; cfg.Redis = c.URL("cluster_reload=1s") })
	if st, ok := readyz(t, base); st != 200 || !ok {
		t.Fatalf("/readyz on a healthy cluster: %d, store %v", st, ok)
	}
	killed := c.KillMasterFor("hutong:readyz")
	// Right after the kill, before the promotion (about the 1 s node
	// timeout), the killed master's slots have no master: not ready,
	// whichever node a plain PING would have reached.
	if st, ok := readyz(t, base); st != 503 || ok {
		t.Fatalf("/readyz right after killing master %s: %d, store %v; want 503", killed.Addr(), st, ok)
	}
	promoted, err := c.WaitPromotion("hutong:readyz", killed, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if st, ok := readyz(t, base); st == 200 && ok {
			break
		}
		if time.Since(promoted) > 5*time.Second {
			t.Fatalf("/readyz still not ready 5 s after the promotion")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSentinelReadyzFollowsMaster: on a Sentinel set, /readyz is 503 once
// the master is killed and 200 again after the Sentinels promote the
// replica and hutong follows it.
func TestSentinelReadyzFollowsMaster(t *testing.T) {
	s := testredis.StartSentinel(t, 1)
	_, base := testMain(t, func(cfg *config.Serve) { cfg.InitialAPIKey = adminKey; cfg.Redis = s.URL() })
	if st, ok := readyz(t, base); st != 200 || !ok {
		t.Fatalf("/readyz on a healthy Sentinel set: %d, store %v", st, ok)
	}
	old := s.KillMaster()
	if st, ok := readyz(t, base); st != 503 || ok {
		t.Fatalf("/readyz right after killing the master %s: %d, store %v; want 503", old.Addr(), st, ok)
	}
	_, promoted, err := s.WaitPromotion(old, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if st, ok := readyz(t, base); st == 200 && ok {
			t.Logf("/readyz 200 again %.2fs after the promotion", time.Since(promoted).Seconds())
			break
		}
		if time.Since(promoted) > 10*time.Second {
			t.Fatalf("/readyz still not ready 10 s after the promotion")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
