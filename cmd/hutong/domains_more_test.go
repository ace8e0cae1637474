package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
)

// tapAs taps base+path with the given Host and User-Agent, without
// following a redirect.
func tapAs(t *testing.T, base, path, host, ua string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Host = host
	req.Header.Set("User-Agent", ua)
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Header: resp.Header, Body: string(b)}
}

// TestLandingDomain, on both stores: with a landing domain in the pool,
// hutong's own pages (interstitial, guide, preview card) are served on it:
// a tap on the entry host that gets one is a 302 to the same code and
// query on the landing host, counted once (the hop is neither counted nor
// recorded); a 302 to Taobao stays on the entry host; taps_last_hour
// counts the human taps by the host tapped; once the landing
// domain is blocked, the entry host serves the pages itself again.
func TestLandingDomain(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		_, base := testMain(t, func(c *config.Serve) { tweak(c); c.Domains = []string{"s1.test", "s2.test"} })
		if a := api(t, "POST", base+"/api/v1/domains", `{"host":"l.test","role":"landing","status":"active"}`); a.Status != 201 {
			t.Fatalf("POST landing domain: %d %s", a.Status, a.Body)
		}
		a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "max_clicks": 100})
		var l struct {
			Code     string
			ShortURL string `json:"short_url"`
		}
		decodeJSON(t, a.Body, &l)
		if a.Status != 201 || l.ShortURL != "http://s1.test/"+l.Code {
			t.Fatalf("new link: %d %s; want short_url on s1.test (landing domains are never handed out)", a.Status, a.Body)
		}
		safari, wechat, bot := corpusUA(t, "browser/ios"), corpusUA(t, "wechat/ios"), corpusUA(t, "bot/other")
		path := "/" + l.Code + "?gdt_vid=wx0abc&utm_source=chat"

		hop := tapAs(t, base, path, "s1.test", safari)
		if hop.Status != 302 || hop.Location != "http://l.test"+path {
			t.Fatalf("iOS Safari on s1.test: %d %q; want 302 to http://l.test%s", hop.Status, hop.Location, path)
		}
		if cc := hop.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("the hop's Cache-Control %q; want no-store", cc)
		}
		page := tapAs(t, base, path, "l.test", safari)
		if page.Status != 200 || !strings.Contains(page.Body, "tbopen://") {
			t.Fatalf("the interstitial on l.test: %d %.200s; want 200 with the app button", page.Status, page.Body)
		}
		if w := tapAs(t, base, path, "s1.test", wechat); w.Status != 302 || !strings.Contains(w.Location, "id=541989840451") {
			t.Errorf("WeChat on s1.test: %d %q; want the 302 to the item on the entry host", w.Status, w.Location)
		}
		if b := tapAs(t, base, "/"+l.Code, "s2.test", bot); b.Status != 302 || b.Location != "http://l.test/"+l.Code {
			t.Errorf("a preview bot on s2.test: %d %q; want 302 to the card on http://l.test/%s", b.Status, b.Location, l.Code)
		}
		if b := tapAs(t, base, "/"+l.Code, "l.test", bot); b.Status != 200 || !strings.Contains(b.Body, `og:url" content="http://s1.test/`+l.Code) {
			t.Errorf("the card on l.test: %d %.300s; want og:url on the entry host s1.test", b.Status, b.Body)
		}
		// Two human taps on entry hosts; the hop to l.test counted nothing:
		// not against the cap (the store's counter, cap_clicks), not as an
		// event (the click counters, clicks).
		capClicks := func() string {
			a := api(t, "GET", base+"/api/v1/links?format=csv", nil)
			recs, err := csv.NewReader(strings.NewReader(a.Body)).ReadAll()
			if err != nil || len(recs) != 2 {
				t.Fatalf("export: %v\n%s", err, a.Body)
			}
			return recs[1][slices.Index(recs[0], "cap_clicks")]
		}
		if n := capClicks(); n != "2" {
			t.Errorf("cap_clicks %s after Safari (entry + hop), WeChat; want 2", n)
		}
		waitClicks(t, base, l.Code, 2)
		tapAs(t, base, path, "s1.test", wechat)
		if l := waitClicks(t, base, l.Code, 3); capClicks() != "3" {
			t.Errorf("after one more tap: clicks %v, cap_clicks %s; want 3 and 3", l["clicks"], capClicks())
		}

		// taps_last_hour counts human taps on the host tapped: three on
		// s1.test; none for the bot on s2.test or the hops to l.test.
		var ds struct {
			Domains []struct {
				Host string
				Taps *int64 `json:"taps_last_hour"`
			}
		}
		decodeJSON(t, api(t, "GET", base+"/api/v1/domains", nil).Body, &ds)
		taps := map[string]int64{}
		for _, d := range ds.Domains {
			if d.Taps == nil {
				t.Fatalf("%s has no taps_last_hour", d.Host)
			}
			taps[d.Host] = *d.Taps
		}
		if taps["s1.test"] != 3 || taps["s2.test"] != 0 || taps["l.test"] != 0 || len(taps) != 3 {
			t.Errorf("taps_last_hour %v; want s1.test 3, s2.test 0, l.test 0", taps)
		}

		// A link pinned to s2.test is found there only: its pages stay there.
		pa := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "domain": "s2.test"})
		var pinned struct{ Code string }
		decodeJSON(t, pa.Body, &pinned)
		if pa.Status != 201 {
			t.Fatalf("pinned link: %d %s", pa.Status, pa.Body)
		}
		if p := tapAs(t, base, "/"+pinned.Code, "s2.test", safari); p.Status != 200 || !strings.Contains(p.Body, "tbopen://") {
			t.Errorf("a link pinned to s2.test, iOS Safari: %d %q; want the interstitial on s2.test", p.Status, p.Location)
		}

		if a := api(t, "PATCH", base+"/api/v1/domains/l.test", `{"status":"blocked"}`); a.Status != 200 {
			t.Fatalf("block l.test: %d %s", a.Status, a.Body)
		}
		if p := tapAs(t, base, path, "s1.test", safari); p.Status != 200 || !strings.Contains(p.Body, "tbopen://") {
			t.Errorf("iOS Safari on s1.test with l.test blocked: %d %q; want the interstitial on s1.test itself", p.Status, p.Location)
		}
	})
}

// TestDomainRemovalAlertRetries, on both stores: the alert of a removed
// domain, and one still pending on it when it was removed, wait in its
// tombstone while the receiver refuses, survive a restart and are
// delivered once each by the next process.
func TestDomainRemovalAlertRetries(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		var refuse atomic.Bool
		refuse.Store(true)
		hook := &hookBox{}
		var mu sync.Mutex
		tries := map[string]int{} // Idempotency-Key → attempts
		hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			tries[r.Header.Get("Idempotency-Key")]++
			mu.Unlock()
			if refuse.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			hook.ServeHTTP(w, r)
		}))
		defer hooks.Close()
		data := t.TempDir()
		conf := func(c *config.Serve) {
			tweak(c)
			c.Data = data
			c.Domains = []string{"s1.test", "s2.test", "s3.test"}
			c.Domain.AlertURL, c.Domain.AlertSecret = hooks.URL, hookSecret
			c.Domain.AlertRetry = 200 * time.Millisecond
		}
		m, base := startMain(t, conf)
		if a := api(t, "PATCH", base+"/api/v1/domains/s3.test", `{"status":"blocked"}`); a.Status != 200 {
			t.Fatalf("PATCH s3.test: %d %s", a.Status, a.Body)
		}
		for _, h := range []string{"s2.test", "s3.test"} {
			if a := api(t, "DELETE", base+"/api/v1/domains/"+h, nil); a.Status != 204 {
				t.Fatalf("DELETE %s: %d %s", h, a.Status, a.Body)
			}
		}
		keysAbout := func(host string) (keys, attempts int) {
			mu.Lock()
			defer mu.Unlock()
			for k, n := range tries {
				if strings.HasPrefix(k, host+"/") {
					keys++
					attempts += n
				}
			}
			return keys, attempts
		}
		eventually(t, 15*time.Second, "both removals' alerts refused in more than one round", func() bool {
			k2, n2 := keysAbout("s2.test")
			k3, n3 := keysAbout("s3.test")
			return k2 == 1 && n2 > 3 && k3 == 2 && n3 > 6 // a round is 3 quick attempts
		})
		if err := m.Close(context.Background()); err != nil {
			t.Fatal(err)
		}

		refuse.Store(false)
		_, base = testMain(t, conf)
		eventually(t, 10*time.Second, "the removal alerts delivered", func() bool {
			return len(hook.about("s2.test")) >= 1 && len(hook.about("s3.test")) >= 2
		})
		time.Sleep(time.Second) // a second delivery would land by now
		if got := hook.about("s2.test"); len(got) != 1 || got[0].Status != "removed" || got[0].Previous != "standby" || got[0].Healthy != 1 {
			t.Errorf("alerts about s2.test: %+v; want one, removed from standby, 1 healthy left", got)
		}
		got := hook.about("s3.test")
		statuses := []string{}
		for _, a := range got {
			statuses = append(statuses, string(a.Status))
		}
		if strings.Join(statuses, ",") != "blocked,removed" && strings.Join(statuses, ",") != "removed,blocked" {
			t.Errorf("alerts about s3.test: %v; want blocked and removed, once each", statuses)
		}
		if ds := domainStatus(t, base); len(ds) != 1 || ds["s1.test"] != "active" {
			t.Errorf("domains after the restart %v; want only s1.test (the removals stay removed)", ds)
		}
	})
}

// TestDomainChecksHaveOneLeader, on a shared bbolt file and on one Redis
// (two connections): of two instances with checkers, only the lease
// holder checks; when it stops, the other takes over and checks alone.
func TestDomainChecksHaveOneLeader(t *testing.T) {
	open := map[string]func(t *testing.T) (shortlink.DomainStore, shortlink.DomainStore){
		"embedded": func(t *testing.T) (shortlink.DomainStore, shortlink.DomainStore) {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "links.db"), boltstore.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s, s // one process holds a bbolt file: its instances share it
		},
		"redis": func(t *testing.T) (shortlink.DomainStore, shortlink.DomainStore) {
			u := testredis.URL(t)
			prefix := fmt.Sprintf("hutong-test-leader:%d", time.Now().UnixNano())
			conn := func() shortlink.DomainStore {
				rdb, err := redisconn.New(u, redisconn.Config{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					ctx := context.Background()
					for _, k := range rdb.Keys(ctx, prefix+":*").Val() {
						rdb.Del(ctx, k)
					}
					rdb.Close()
				})
				return redisstore.New(rdb, redisstore.Options{Prefix: prefix})
			}
			return conn(), conn()
		},
	}
	for _, name := range []string{"embedded", "redis"} {
		t.Run(name, func(t *testing.T) {
			sa, sb := open[name](t)
			var asked [2]atomic.Int64 // checker requests by instance
			checker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked[r.URL.Path[1]-'a'].Add(1)
				io.WriteString(w, `{"status":"ok"}`)
			}))
			defer checker.Close()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			start := func(s shortlink.DomainStore, path string) *domainPools {
				var cfg config.Serve
				cfg.Domains = []string{"s1.test", "s2.test"}
				cfg.Domain = config.DomainChecks{CheckURLs: []string{checker.URL + path + "?d={host}"}, Blocked: `"blocked"`,
					Every: 100 * time.Millisecond, Lease: 600 * time.Millisecond}
				p, err := startDomainPools(context.Background(), cfg, s, prometheus.NewRegistry(), quiet)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			a := start(sa, "/a")
			b := start(sb, "/b")
			defer b.Close(context.Background())
			eventually(t, 10*time.Second, "instance a checking", func() bool { return asked[0].Load() >= 6 })
			if !a.leader.Load() || b.leader.Load() || asked[1].Load() != 0 {
				t.Fatalf("leaders a=%v b=%v, b asked %d times; want a alone to check", a.leader.Load(), b.leader.Load(), asked[1].Load())
			}
			if err := a.Close(context.Background()); err != nil { // gives the lease up
				t.Fatal(err)
			}
			stopped := asked[0].Load()
			eventually(t, 10*time.Second, "instance b taking over", func() bool { return asked[1].Load() >= 6 })
			if !b.leader.Load() || asked[0].Load() != stopped {
				t.Errorf("after a stopped: b leader %v, a asked %d more times; want b alone", b.leader.Load(), asked[0].Load()-stopped)
			}
		})
	}
}
