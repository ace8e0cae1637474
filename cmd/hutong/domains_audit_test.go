package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/domains"
)

// domainRecord reads one domain's record through the API.
func domainRecord(t *testing.T, base, host string) domains.Domain {
	t.Helper()
	a := api(t, "GET", base+"/api/v1/domains", nil)
	var body struct{ Domains []domains.Domain }
	decodeJSON(t, a.Body, &body)
	for _, d := range body.Domains {
		if d.Host == host {
			return d
		}
	}
	t.Fatalf("no record of %s in %s", host, a.Body)
	return domains.Domain{}
}

// TestDomainAuditRetireAlerts, on both stores: every change is an audit
// record (who, what, why); an alert the receiver refuses waits in its
// domain's record and is delivered, once, by the next process on the same
// store; a retired domain serves taps through its grace period, then 404s.
func TestDomainAuditRetireAlerts(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		var refuse atomic.Bool
		refuse.Store(true)
		hook := &hookBox{}
		var mu sync.Mutex
		keys := map[string]int{} // Idempotency-Key → attempts
		hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			keys[r.Header.Get("Idempotency-Key")]++
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
			c.Domain.RetireGrace = 2 * time.Second
		}
		m, base := startMain(t, conf)
		closed := false
		defer func() {
			if !closed {
				m.Close(context.Background())
			}
		}()

		if h := domainRecord(t, base, "s1.test").History; len(h) != 1 || h[0].By != "seed" || h[0].What != "added" {
			t.Fatalf("seeded s1.test history %+v; want one seed record", h)
		}
		if a := api(t, "PATCH", base+"/api/v1/domains/s1.test", `{"status":"blocked","priority":5,"reason":"已停止访问 in a group chat"}`); a.Status != 200 {
			t.Fatalf("PATCH: %d %s", a.Status, a.Body)
		}
		h := domainRecord(t, base, "s1.test").History
		if len(h) != 2 || !strings.HasPrefix(h[1].By, "api key ") || h[1].What != "status active → blocked; priority 0 → 5" || h[1].Reason != "已停止访问 in a group chat" {
			t.Fatalf("history after the PATCH %+v", h)
		}
		if a := api(t, "POST", base+"/api/v1/domains", `{"host":"s4.test","reason":"spare, ICP filed"}`); a.Status != 201 || !strings.Contains(a.Body, `"what":"added"`) || !strings.Contains(a.Body, `"reason":"spare, ICP filed"`) {
			t.Fatalf("POST s4.test: %d %s; want its history to say who added it", a.Status, a.Body)
		}

		// The receiver refuses: the alert waits in s1.test's record.
		tries := func(host string) (n int) {
			mu.Lock()
			defer mu.Unlock()
			for k, c := range keys {
				if strings.HasPrefix(k, host+"/") {
					n += c
				}
			}
			return n
		}
		eventually(t, 15*time.Second, "s1.test's alert refused three times and still pending", func() bool {
			p := domainRecord(t, base, "s1.test").PendingAlerts
			return tries("s1.test") >= 3 && len(p) == 1 && p[0].Attempts >= 1 && p[0].Status == domains.Blocked
		})
		closed = true
		if err := m.Close(context.Background()); err != nil {
			t.Fatal(err)
		}

		// The next process on the same store delivers it, once.
		refuse.Store(false)
		_, base = testMain(t, conf)
		eventually(t, 10*time.Second, "the alert about s1.test delivered", func() bool { return len(hook.about("s1.test")) > 0 })
		eventually(t, 5*time.Second, "s1.test's pending alert cleared", func() bool { return len(domainRecord(t, base, "s1.test").PendingAlerts) == 0 })
		time.Sleep(500 * time.Millisecond) // a second delivery would land by now
		if got := hook.about("s1.test"); len(got) != 1 || got[0].Status != domains.Blocked || got[0].Previous != domains.Active || !strings.Contains(got[0].Reason, "已停止访问") {
			t.Errorf("alerts about s1.test: %+v; want one, blocked from active", got)
		}
		mu.Lock()
		n := 0
		for k := range keys {
			if strings.HasPrefix(k, "s1.test/") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("Idempotency-Keys %v; want every attempt about s1.test under one key", keys)
		}
		mu.Unlock()
		if got := hook.about("s4.test"); len(got) != 1 || got[0].Previous != "" {
			t.Errorf("alerts about the added s4.test: %+v; want one", got)
		}

		// Retired: still served in its grace period, 404 after it.
		a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
		var l struct{ Code string }
		decodeJSON(t, a.Body, &l)
		tap := func(host string) int { return tapOnHost(t, base, l.Code, host).Status }
		if a := api(t, "PATCH", base+"/api/v1/domains/s3.test", `{"status":"retired"}`); a.Status != 200 || !strings.Contains(a.Body, `"serves_until"`) {
			t.Fatalf("retire s3.test: %d %s; want serves_until", a.Status, a.Body)
		}
		if got := tap("s3.test"); got != 302 {
			t.Errorf("s3.test in its grace period: %d; want 302", got)
		}
		eventually(t, 5*time.Second, "s3.test 404 after its grace period", func() bool { return tap("s3.test") == 404 })
		if got := tap("s2.test"); got != 302 {
			t.Errorf("s2.test: %d; want 302", got)
		}
	})
}
