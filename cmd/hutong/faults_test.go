package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/testredis"
)

// These tests run two real hutong instances (Main, in process, on
// loopback) on a real Redis Cluster or Sentinel set started by
// internal/testredis, tap them under load and break Redis under them.

// faultLink is a link the load taps.
type faultLink struct {
	code   string
	capped bool
}

// tapRec is one tap of the load: when it was sent, which link and
// instance, its click ID and the status it got (0: no answer). A tap is
// answered when its status is 2xx or 3xx: a 302, or the interstitial page
// some browsers get; either is recorded as a click.
type tapRec struct {
	at      time.Time
	link    int
	inst    int
	clickID string
	status  int
}

func (r *tapRec) answered() bool { return r.status >= 200 && r.status < 400 }

// tapLoad taps links through several hutong instances at a steady rate,
// each tap with its own click ID under one of several ad-system parameter
// names and a User-Agent from several client families.
type tapLoad struct {
	bases []string
	links []faultLink
	uas   []string

	mu   sync.Mutex
	taps []tapRec
	stop chan struct{}
	wg   sync.WaitGroup
	n    atomic.Int64
}

// clickParams are the ad-system parameters the load's click IDs use.
var clickParams = []string{"gdt_vid", "click_id", "bd_vid", "qz_gdt", "callback"}

func newTapLoad(t *testing.T, bases []string, links []faultLink) *tapLoad {
	l := &tapLoad{bases: bases, links: links, stop: make(chan struct{})}
	for _, fam := range []string{"wechat/android", "wechat/ios", "browser/android", "alipay/ios", "qq/ios", "uc/android", "dingtalk/android", "browser/harmonyos"} {
		l.uas = append(l.uas, corpusUA(t, fam))
	}
	return l
}

// start runs workers tapping every interval each (workers/interval taps/s
// in all) until halt.
func (l *tapLoad) start(workers int, interval time.Duration) {
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			cl := &http.Client{Timeout: 5 * time.Second,
				Transport:     &http.Transport{MaxIdleConnsPerHost: 4},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-tick.C:
				}
				seq := l.n.Add(1)
				r := tapRec{at: time.Now(), link: int(seq) % len(l.links), inst: (w + i) % len(l.bases),
					clickID: fmt.Sprintf("w%d-%d", w, i)}
				param := clickParams[int(seq)%len(clickParams)]
				u := l.bases[r.inst] + "/" + l.links[r.link].code + "?from=groupmessage&" + param + "=" + r.clickID
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("User-Agent", l.uas[(int(seq)/len(l.links)+w)%len(l.uas)])
				if resp, err := cl.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					r.status = resp.StatusCode
				}
				l.mu.Lock()
				l.taps = append(l.taps, r)
				l.mu.Unlock()
			}
		}()
	}
}

func (l *tapLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

func (l *tapLoad) snapshot() []tapRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]tapRec(nil), l.taps...)
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// failureWindow returns the first and last send time of a tap that was not
// answered among links picked by which, and how many such taps failed.
func failureWindow(taps []tapRec, which func(int) bool) (first, last time.Time, n int) {
	for _, r := range taps {
		if !r.answered() && which(r.link) {
			if first.IsZero() {
				first = r.at
			}
			last = r.at
			n++
		}
	}
	return first, last, n
}

// readEvents reads the whole event log with `hutong events --source URL`
// and returns how often each click ID occurs (every load tap carries
// exactly one).
func readEvents(t *testing.T, source string) (map[string]int, int) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"events", "--source", source, "--since", "0"}, nil, &out, &errb); code != 0 {
		t.Fatalf("hutong events --source %s: exit %d: %s", source, code, errb.String())
	}
	seen := map[string]int{}
	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		lines++
		var ev struct {
			ClickIDs map[string]string `json:"click_ids"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("hutong events line %q: %v", line, err)
		}
		for _, p := range clickParams {
			if id := ev.ClickIDs[p]; id != "" {
				seen[id]++
			}
		}
	}
	return seen, lines
}

// checkExactlyOnce reads the event log and the stats after the load:
// every tap answered is one event (by its click ID), no tap is there
// twice, no tap that was refused is there, and each link's stats total
// and cap counter equal its answered taps. It reports the counts.
func checkExactlyOnce(t *testing.T, source, base string, l *tapLoad) {
	t.Helper()
	taps := l.snapshot()
	want := map[string]bool{}
	per := make([]int64, len(l.links))
	for _, r := range taps {
		if r.answered() {
			want[r.clickID] = true
			per[r.link]++
		}
	}
	var seen map[string]int
	var lines int
	deadline := time.Now().Add(60 * time.Second)
	for {
		seen, lines = readEvents(t, source)
		if lines >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	lost, dup, extra := 0, 0, 0
	for id := range want {
		switch seen[id] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	for id := range seen {
		if !want[id] {
			extra++
		}
	}
	t.Logf("%d taps sent, %d answered; event log: %d events, %d lost, %d duplicated, %d for taps not answered",
		len(taps), len(want), lines, lost, dup, extra)
	if lost != 0 || dup != 0 || extra != 0 || lines != len(want) {
		t.Errorf("event log: %d events for %d taps answered: %d lost, %d duplicated, %d for refused taps; want each exactly once",
			lines, len(want), lost, dup, extra)
	}
	for i, fl := range l.links {
		a := api(t, "GET", base+"/api/v1/links/"+fl.code+"/stats", nil)
		var st struct{ Total int64 }
		decodeJSON(t, a.Body, &st)
		if st.Total != per[i] {
			t.Errorf("link %s: stats total %d; want %d (its answered taps)", fl.code, st.Total, per[i])
		}
		if fl.capped {
			a := api(t, "GET", base+"/api/v1/links/"+fl.code, nil)
			var lj struct {
				CapClicks int64 `json:"cap_clicks"`
			}
			decodeJSON(t, a.Body, &lj)
			// A tap whose increment reached the master but not a replica in
			// time fails closed: counted by the cap, not answered.
			if lj.CapClicks < per[i] {
				t.Errorf("capped link %s: cap_clicks %d below its %d answered taps: increments lost", fl.code, lj.CapClicks, per[i])
			} else if lj.CapClicks > per[i] {
				t.Logf("capped link %s: cap_clicks %d for %d answered taps (taps that failed closed after the increment)", fl.code, lj.CapClicks, per[i])
			}
		}
	}
}

// faultLinks creates n uncapped and n capped links through base.
func faultLinks(t *testing.T, base string, n int) []faultLink {
	t.Helper()
	var out []faultLink
	for i := range n {
		for _, capped := range []bool{false, true} {
			fl := faultLink{code: fmt.Sprintf("u%02d", i), capped: capped}
			body := map[string]any{"target": itemTaobao, "alias": fl.code}
			if capped {
				fl.code = fmt.Sprintf("c%02d", i)
				body = map[string]any{"target": itemTmall, "alias": fl.code, "max_clicks": 1_000_000}
			}
			if a := api(t, "POST", base+"/api/v1/links", body); a.Status != 201 {
				t.Fatalf("create %s: %d %s", fl.code, a.Status, a.Body)
			}
			out = append(out, fl)
		}
	}
	return out
}

// twoInstances starts two hutong instances on the Redis at url and
// returns them; the caller closes them (closeAll) before reading back.
func twoInstances(t *testing.T, url string) ([]*Main, []string) {
	t.Helper()
	var ms []*Main
	var bases []string
	for range 2 {
		m, base := startMain(t, func(c *config.Serve) {
			c.InitialAPIKey = adminKey
			c.Redis = url
			c.EventFlushInterval = 50 * time.Millisecond
		})
		ms, bases = append(ms, m), append(bases, base)
	}
	t.Cleanup(func() { closeAll(t, ms) })
	return ms, bases
}

// closeAll closes the instances (a second call is a no-op).
func closeAll(t *testing.T, ms []*Main) {
	for _, m := range ms {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		cancel()
	}
}

// TestClusterMasterKillUnderLoad: two hutong instances on a 6-node Redis
// Cluster (default cluster_reload) take ~400 taps/s on 20 uncapped and 20
// capped links (mixed clients, a click ID per tap, half through each
// instance); the master that owns one capped link is killed with SIGKILL
// and restarted at the replica's promotion, as an orchestrator would.
// Taps succeed again within 5 s of the promotion; uncapped (cached) links
// never fail; every tap answered is in the event log exactly once and
// counted exactly once.
func TestClusterMasterKillUnderLoad(t *testing.T) {
	c := testredis.StartCluster(t)
	ms, bases := twoInstances(t, c.URL())
	links := faultLinks(t, bases[0], 20)
	// Which capped links live on the master to be killed.
	victim, err := c.MasterFor("hutong:{/c00}:link")
	if err != nil {
		t.Fatal(err)
	}
	onVictim := map[int]bool{}
	for i, fl := range links {
		if m, err := c.MasterFor("hutong:{/" + fl.code + "}:link"); err == nil && m == victim && fl.capped {
			onVictim[i] = true
		}
	}
	l := newTapLoad(t, bases, links)
	l.start(12, 25*time.Millisecond)
	time.Sleep(3 * time.Second)
	killed := c.KillMasterFor("hutong:{/c00}:link")
	killedAt := time.Now()
	promoted, err := c.WaitPromotion("hutong:{/c00}:link", killed, 30*time.Second)
	if err != nil {
		l.halt()
		t.Fatal(err)
	}
	if err := killed.Restart(); err != nil {
		l.halt()
		t.Fatal(err)
	}
	time.Sleep(8 * time.Second)
	l.halt()
	taps := l.snapshot()
	elapsed := taps[len(taps)-1].at.Sub(taps[0].at).Seconds()
	first, last, failed := failureWindow(taps, func(int) bool { return true })
	_, _, uncappedFailed := failureWindow(taps, func(i int) bool { return !links[i].capped })
	_, _, otherFailed := failureWindow(taps, func(i int) bool { return links[i].capped && !onVictim[i] })
	t.Logf("%d taps in %.1fs (%.0f/s), %d capped links on the killed master; promotion %.2fs after kill -9",
		len(taps), elapsed, float64(len(taps))/elapsed, len(onVictim), promoted.Sub(killedAt).Seconds())
	if failed > 0 {
		t.Logf("%d taps failed, sent from %.2fs to %.2fs after the kill: the last one %.2fs after the promotion; "+
			"uncapped links %d failed, capped links on other masters %d",
			failed, first.Sub(killedAt).Seconds(), last.Sub(killedAt).Seconds(), last.Sub(promoted).Seconds(), uncappedFailed, otherFailed)
	}
	if failed > 0 && last.Sub(promoted) > 5*time.Second {
		t.Errorf("a tap failed %.2fs after the promotion; want every tap answered within 5 s of it", last.Sub(promoted).Seconds())
	}
	if uncappedFailed > 0 {
		t.Errorf("%d taps on cached uncapped links failed; want none (they need no Redis)", uncappedFailed)
	}
	if err := c.WaitHealthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, c.URL(), bases[0], l)
	_ = ms
}

// TestSentinelPlannedFailoverUnderLoad: two hutong instances on a
// Sentinel set (a master, two replicas) take ~400 taps/s while a Sentinel
// runs a planned SENTINEL FAILOVER: every tap answered is in the event log
// exactly once and counted exactly once (the batches the old master took in
// its last moments wait for a replica's WAIT acknowledgement, or spill and
// replay), cached uncapped links never fail, and capped links answer again
// once the new master has its replicas back. That takes until the
// Sentinels convert the old master into a replica, which they do on their
// next INFO of it (every 10 s): until then the new master has one replica
// of the two every capped tap waits for (the default --redis-min-replicas),
// and capped taps fail closed.
func TestSentinelPlannedFailoverUnderLoad(t *testing.T) {
	s := testredis.StartSentinel(t, 2)
	_, bases := twoInstances(t, s.URL())
	links := faultLinks(t, bases[0], 20)
	l := newTapLoad(t, bases, links)
	l.start(12, 25*time.Millisecond)
	time.Sleep(3 * time.Second)
	old, err := s.Failover()
	if err != nil {
		l.halt()
		t.Fatal(err)
	}
	start := time.Now()
	_, promoted, err := s.WaitPromotion(old, 30*time.Second)
	if err != nil {
		l.halt()
		t.Fatal(err)
	}
	if err := s.WaitHealthy(30 * time.Second); err != nil {
		l.halt()
		t.Fatal(err)
	}
	healthy := time.Now()
	time.Sleep(3 * time.Second)
	l.halt()
	taps := l.snapshot()
	elapsed := taps[len(taps)-1].at.Sub(taps[0].at).Seconds()
	first, last, failed := failureWindow(taps, func(int) bool { return true })
	_, _, uncappedFailed := failureWindow(taps, func(i int) bool { return !links[i].capped })
	t.Logf("%d taps in %.1fs (%.0f/s); promotion %.2fs after SENTINEL FAILOVER, every replica back on the new master %.2fs after it",
		len(taps), elapsed, float64(len(taps))/elapsed, promoted.Sub(start).Seconds(), healthy.Sub(promoted).Seconds())
	if failed > 0 {
		t.Logf("%d taps failed (uncapped %d), sent from %.2fs to %.2fs after the failover began: the last %.2fs after the promotion, %.2fs after the replicas were back",
			failed, uncappedFailed, first.Sub(start).Seconds(), last.Sub(start).Seconds(), last.Sub(promoted).Seconds(), last.Sub(healthy).Seconds())
	}
	if failed > 0 && last.Sub(healthy) > 2*time.Second {
		t.Errorf("a tap failed %.2fs after every replica was back on the new master; want them answered again at once", last.Sub(healthy).Seconds())
	}
	if uncappedFailed > 0 {
		t.Errorf("%d taps on cached uncapped links failed; want none", uncappedFailed)
	}
	checkExactlyOnce(t, s.URL(), bases[0], l)
}

// TestRedisOutage60s stops the private redis-server under a running
// hutong for 60 s (kill -9 after a SAVE, so the restart finds its data
// again): taps on cached uncapped links keep answering 302 throughout (past
// the cache's 30 s TTL: --stale-if-error), capped links fail closed, and the
// click events spilled meanwhile replay once Redis is back: every answered
// tap is in the log exactly once and counted once.
//
// The outage starts before t.Parallel: while this test waits to be resumed
// the rest of the package's tests run, and the 60 s pass under them
// instead of after them.
func TestRedisOutage60s(t *testing.T) {
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(srv.Stop)
	m, base := startMain(t, func(c *config.Serve) {
		c.InitialAPIKey = adminKey
		c.Redis = srv.URL()
		c.EventFlushInterval = 50 * time.Millisecond
	})
	t.Cleanup(func() { closeAll(t, []*Main{m}) })
	links := faultLinks(t, base, 3)
	l := newTapLoad(t, []string{base}, nil)
	for _, fl := range links {
		if !fl.capped {
			l.links = append(l.links, fl)
		}
	}
	l.uas = []string{wechatUA, corpusUA(t, "wechat/android")} // WeChat taps answer 302
	// Warm the cache; a HEAD is not a click.
	for _, fl := range links {
		if a := do(t, "HEAD", base+"/"+fl.code, map[string]string{"User-Agent": wechatUA}, nil); a.Status != 302 {
			t.Fatalf("warm HEAD %s: %d", fl.code, a.Status)
		}
	}
	cl := redisClient(srv.URL())
	if err := cl.Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	srv.Stop()
	down := time.Now()
	l.start(4, 50*time.Millisecond) // ~80 taps/s on the uncapped links
	capped := make(chan []int, 1)
	go func() {
		var got []int
		for time.Since(down) < 60*time.Second {
			for _, fl := range links {
				if fl.capped {
					resp, err := noFollow.Get(base + "/" + fl.code)
					if err == nil {
						resp.Body.Close()
						got = append(got, resp.StatusCode)
					}
				}
			}
			time.Sleep(time.Second)
		}
		capped <- got
	}()
	t.Parallel()
	time.Sleep(time.Until(down.Add(60 * time.Second)))
	l.halt()
	cappedStatus := <-capped
	outage := time.Since(down)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	taps := l.snapshot()
	_, _, failed := failureWindow(taps, func(int) bool { return true })
	stale := do(t, "GET", base+"/metrics", nil, nil)
	t.Logf("Redis down %.1fs: %d taps on cached uncapped links, %d not answered; %d capped taps answered %v",
		outage.Seconds(), len(taps), failed, len(cappedStatus), countStatus(cappedStatus))
	for _, line := range strings.Split(stale.Body, "\n") {
		if strings.HasPrefix(line, "hutong_link_cache_stale_total") {
			t.Logf("%s", line)
		}
	}
	if failed > 0 || len(taps) == 0 {
		t.Errorf("%d of %d taps on cached uncapped links were not answered during the outage; want every one 302", failed, len(taps))
	}
	for _, r := range taps {
		if r.status != 302 {
			t.Errorf("tap %s during the outage: %d; want 302", r.clickID, r.status)
			break
		}
	}
	for _, st := range cappedStatus {
		if st >= 200 && st < 400 {
			t.Errorf("a capped link answered %d with Redis down; want it to fail closed", st)
			break
		}
	}
	if last := taps[len(taps)-1].at; last.Sub(down) < 55*time.Second {
		t.Errorf("the load stopped %.1fs into the outage; want it to cover the 60 s", last.Sub(down).Seconds())
	}
	checkExactlyOnce(t, srv.URL(), base, l)
}

func countStatus(ss []int) map[int]int {
	out := map[int]int{}
	for _, s := range ss {
		out[s]++
	}
	return out
}

func redisClient(u string) *redis.Client {
	opt, err := redis.ParseURL(u)
	if err != nil {
		panic(err)
	}
	return redis.NewClient(opt)
}
