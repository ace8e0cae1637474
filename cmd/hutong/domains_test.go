package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/domains"
)

const hookSecret = "domain-hook-secret-for-tests"

// hookBox keeps the domain alerts a webhook receiver got, with whether
// each one's X-Hutong-Signature verified.
type hookBox struct {
	mu     sync.Mutex
	alerts []domains.Alert
	badSig int
}

func (h *hookBox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sig := r.Header.Get(domains.SignatureHeader)
	ok := false
	if ts, _, found := strings.Cut(strings.TrimPrefix(sig, "t="), ","); found {
		var unix int64
		if err := json.Unmarshal([]byte(ts), &unix); err == nil {
			ok = domains.Sign([]byte(hookSecret), body, time.Unix(unix, 0)) == sig
		}
	}
	var a domains.Alert
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := json.Unmarshal(body, &a); err != nil || !ok {
		h.badSig++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.alerts = append(h.alerts, a)
}

func (h *hookBox) about(host string) []domains.Alert {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domains.Alert
	for _, a := range h.alerts {
		if a.Host == host {
			out = append(out, a)
		}
	}
	return out
}

// tapOnHost taps base/code with the given Host header as a desktop
// browser, without following the redirect.
func tapOnHost(t *testing.T, base, code, host string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/"+code, nil)
	req.Host = host
	req.Header.Set("User-Agent", corpusUA(t, "browser/linux"))
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return answer{Status: resp.StatusCode, Location: resp.Header.Get("Location")}
}

// eventually polls cond every 100ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(within)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type apiDomains struct {
	Domains []struct {
		Host, Pool, Status string
		StrikeCount        int `json:"strike_count"`
	}
	Pools []struct {
		Pool      string
		Healthy   int
		ShortHost string `json:"short_host"`
	}
}

func domainStatus(t *testing.T, base string) map[string]string {
	t.Helper()
	a := api(t, "GET", base+"/api/v1/domains", nil)
	if a.Status != 200 {
		t.Fatalf("GET /api/v1/domains: %d %s", a.Status, a.Body)
	}
	var ds apiDomains
	decodeJSON(t, a.Body, &ds)
	out := map[string]string{}
	for _, d := range ds.Domains {
		out[d.Host] = d.Status
	}
	return out
}

// TestDomainPoolFailover is issue 18's outside check: three domains, an
// operator's block moves short_url and the QR code, every serving host
// still redirects, a checker's verdict blocks the next one and alerts once
// (signed), a checker that times out blocks nothing, and an unconfigured
// Host is 404.
func TestDomainPoolFailover(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		var blockS2 atomic.Bool
		var slowAsked atomic.Int64
		checker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/check":
				if r.URL.Query().Get("d") == "s2.test" && blockS2.Load() {
					io.WriteString(w, `{"d":"s2.test","status":"blocked"}`)
					return
				}
				io.WriteString(w, `{"status":"ok"}`)
			case "/slow": // answers "blocked", but only after hutong's timeout
				slowAsked.Add(1)
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				io.WriteString(w, `{"status":"blocked"}`)
			}
		}))
		defer checker.Close()
		hook := &hookBox{}
		hooks := httptest.NewServer(hook)
		defer hooks.Close()

		// The contract's flags, parsed as `hutong serve` parses them.
		flags, err := config.ParseServe([]string{"--domains", "s1.test,s2.test,s3.test",
			"--domain-check-url", checker.URL + "/check?d={host}", "--domain-check-url", checker.URL + "/slow?d={host}",
			"--domain-check-blocked", `"blocked"`, "--domain-check-every", "1s",
			"--domain-alert-url", hooks.URL, "--domain-alert-secret", hookSecret,
		}, func(string) (string, bool) { return "", false }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		_, base := testMain(t, func(c *config.Serve) {
			tweak(c)
			c.Domains, c.Domain = flags.Domains, flags.Domain
		})

		a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
		var l struct {
			Code       string
			ShortURL   string `json:"short_url"`
			QRShortURL string `json:"qr_short_url"`
		}
		decodeJSON(t, a.Body, &l)
		if a.Status != 201 || l.ShortURL != "http://s1.test/"+l.Code || l.QRShortURL != l.ShortURL {
			t.Fatalf("new link: %d %s; want short_url on s1.test", a.Status, a.Body)
		}

		if a := api(t, "PATCH", base+"/api/v1/domains/s1.test", `{"status":"blocked","reason":"已停止访问 seen in WeChat"}`); a.Status != 200 || !strings.Contains(a.Body, `"status":"blocked"`) || !strings.Contains(a.Body, `"strike_count":1`) {
			t.Fatalf("PATCH s1.test blocked: %d %s", a.Status, a.Body)
		}
		a = api(t, "GET", base+"/api/v1/links/"+l.Code, nil)
		decodeJSON(t, a.Body, &l)
		if l.ShortURL != "http://s2.test/"+l.Code {
			t.Fatalf("after blocking s1: short_url %q; want it on s2.test", l.ShortURL)
		}
		// The CSV export moves with it.
		if e := api(t, "GET", base+"/api/v1/links?format=csv", nil); !strings.Contains(e.Body, ",http://s2.test/"+l.Code+",") {
			t.Errorf("after blocking s1: the CSV export says\n%s\nwant short_url http://s2.test/%s", e.Body, l.Code)
		}
		q := do(t, "GET", base+"/api/v1/links/"+l.Code+"/qr.png?size=300", nil, nil)
		if ct := q.Header.Get("Content-Type"); q.Status != 200 || ct != "image/png" {
			t.Fatalf("QR PNG: %d %q; want 200 image/png", q.Status, ct)
		}
		if got := decodeQR(t, []byte(q.Body)); got != "http://s2.test/"+l.Code {
			t.Fatalf("QR decodes to %q; want http://s2.test/%s", got, l.Code)
		}

		tap := func(host string) answer { return tapOnHost(t, base, l.Code, host) }
		for _, h := range []string{"s2.test", "s1.test", "S3.test:8080"} {
			if a := tap(h); a.Status != 302 || !strings.Contains(a.Location, "id=541989840451") {
				t.Errorf("Host %s: %d %q; want 302 to the item", h, a.Status, a.Location)
			}
		}
		if a := tap("evil.test"); a.Status != 404 {
			t.Errorf("Host evil.test: %d; want 404", a.Status)
		}

		// The checker now says s2.test is blocked: two rounds make it so.
		blockS2.Store(true)
		eventually(t, 10*time.Second, "s2.test blocked by the checker", func() bool { return domainStatus(t, base)["s2.test"] == "blocked" })
		a = api(t, "GET", base+"/api/v1/links/"+l.Code, nil)
		decodeJSON(t, a.Body, &l)
		if l.ShortURL != "http://s3.test/"+l.Code {
			t.Errorf("after s2 blocked: short_url %q; want it on s3.test", l.ShortURL)
		}
		b := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
		if !strings.Contains(b.Body, `"short_url":"http://s3.test/`) {
			t.Errorf("new link after s2 blocked: %s; want short_url on s3.test", b.Body)
		}
		eventually(t, 10*time.Second, "the webhook for s2.test", func() bool { return len(hook.about("s2.test")) > 0 })
		if got := hook.about("s2.test"); len(got) != 1 || got[0].Status != domains.Blocked || got[0].Previous != domains.Suspect || got[0].Pool != "default" || got[0].Healthy != 1 {
			t.Errorf("alerts about s2.test: %+v; want one, blocked from suspect, 1 healthy left", got)
		}
		if got := hook.about("s1.test"); len(got) != 1 || got[0].Status != domains.Blocked || !strings.Contains(got[0].Reason, "已停止访问") {
			t.Errorf("alerts about s1.test: %+v; want the operator's block", got)
		}
		hook.mu.Lock()
		if hook.badSig != 0 {
			t.Errorf("%d webhook calls with a bad signature", hook.badSig)
		}
		hook.mu.Unlock()

		// The slow checker was asked and would have said blocked for every
		// host; its answers came after the timeout, so they counted as unknown.
		if slowAsked.Load() == 0 {
			t.Fatal("the slow checker was never asked")
		}
		if st := domainStatus(t, base); st["s3.test"] != "standby" || st["s1.test"] != "blocked" {
			t.Errorf("statuses %v; want s3.test standby (a timeout blocks nothing), s1.test blocked", st)
		}
		if a := tap("s2.test"); a.Status != 302 {
			t.Errorf("Host s2.test after its block: %d; want 302 (outside WeChat)", a.Status)
		}
		// One message about s2.test, still, however long the rounds ran on.
		if got := hook.about("s2.test"); len(got) != 1 {
			t.Errorf("alerts about s2.test by the end: %d; want exactly one", len(got))
		}
		met := do(t, "GET", base+"/metrics", nil, nil).Body
		for _, want := range []string{`hutong_domain_status{host="s2.test",pool="default",status="blocked"} 1`, `hutong_domain_check_duration_seconds_count{checker="` + strings.TrimPrefix(checker.URL, "http://") + `"}`, "hutong_domain_check_leader 1"} {
			if !strings.Contains(met, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

// TestDomainsAPIErrors: bad requests get a 4xx that says what to do.
func TestDomainsAPIErrors(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.Domains = []string{"s1.test"} })
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"PATCH", "/api/v1/domains/s1.test", `{"status":"gone"}`, 400, "want active, standby"},
		{"PATCH", "/api/v1/domains/s1.test", `{"stauts":"blocked"}`, 400, "unknown field"},
		{"PATCH", "/api/v1/domains/s1.test", `{"host":"s9.test"}`, 400, "host cannot be changed"},
		{"PATCH", "/api/v1/domains/nope.test", `{"status":"blocked"}`, 404, "nope.test is not configured"},
		{"POST", "/api/v1/domains", `{"pool":"default"}`, 400, "missing host"},
		{"POST", "/api/v1/domains", `{"host":"s1.test"}`, 409, "exists already"},
		{"POST", "/api/v1/domains", `{"host":"http://x.test/a"}`, 400, "bare host name"},
		{"POST", "/api/v1/domains", `{"host":"q.test","role":"printer"}`, 400, "want entry, qr or landing"},
		{"DELETE", "/api/v1/domains/nope.test", ``, 404, "not configured"},
		{"PATCH", "/api/v1/domains/s1.test", `{"status":"retired","grace":"soon"}`, 400, "want a duration from 0s to 2160h"},
		{"PATCH", "/api/v1/domains/s1.test", `{"status":"retired","grace":"-1h"}`, 400, "want a duration from 0s"},
		{"PATCH", "/api/v1/domains/s1.test", `{"status":"blocked","grace":"1h"}`, 400, "grace goes with"},
	} {
		a := api(t, tc.method, base+tc.path, tc.body)
		if tc.body == "" {
			a = api(t, tc.method, base+tc.path, nil)
		}
		if a.Status != tc.status || !strings.Contains(a.Body, tc.want) {
			t.Errorf("%s %s %s: %d %s; want %d saying %q", tc.method, tc.path, tc.body, a.Status, a.Body, tc.status, tc.want)
		}
	}
	if a := do(t, "GET", base+"/api/v1/domains", nil, nil); a.Status != 401 {
		t.Errorf("GET /api/v1/domains without a key: %d; want 401", a.Status)
	}
}

// TestDomainsCommand: hutong domains add/block/unblock/retire/list against
// a running server; a retired host answers 404.
func TestDomainsCommand(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.Domains = []string{"s1.test"} })
	cli := func(args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, "", append(append([]string{"domains"}, args...), "--server", base, "--api-key", adminKey)...)
		if code != 0 {
			t.Fatalf("hutong domains %v: exit %d: %s", args, code, errs)
		}
		return out
	}
	if out := cli("add", "s2.test", "--priority", "1", "--icp", "京ICP备00000001号", "--reason", "spare"); out != "s2.test: standby\n" {
		t.Errorf("add: %q", out)
	}
	if out := cli("block", "s1.test", "--reason", "complaint"); out != "s1.test: blocked\n" {
		t.Errorf("block: %q", out)
	}
	out := cli("list")
	for _, want := range []string{"s1.test", "blocked", "京ICP备00000001号", "TAPS(1h)", "pool default: 1 healthy, short URLs on s2.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if out := cli("unblock", "s1.test"); out != "s1.test: standby\n" {
		t.Errorf("unblock: %q", out)
	}
	cli("retire", "s2.test", "--grace", "0s")
	a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
	var l struct{ Code string }
	decodeJSON(t, a.Body, &l)
	req, _ := http.NewRequest("GET", base+"/"+l.Code, nil)
	req.Host = "s2.test"
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("Host s2.test after retire: %d; want 404", resp.StatusCode)
	}
	// A qr host: printed codes encode it, chats get the entry host.
	cli("add", "q.test", "--role", "qr", "--status", "active")
	a = api(t, "GET", base+"/api/v1/links/"+l.Code, nil)
	var lq struct {
		ShortURL   string `json:"short_url"`
		QRShortURL string `json:"qr_short_url"`
	}
	decodeJSON(t, a.Body, &lq)
	if lq.ShortURL != "http://s1.test/"+l.Code || lq.QRShortURL != "http://q.test/"+l.Code {
		t.Errorf("with a qr host: %s; want short_url on s1.test, qr_short_url on q.test", a.Body)
	}
	q := do(t, "GET", base+"/api/v1/links/"+l.Code+"/qr.png?size=300", nil, nil)
	if got := decodeQR(t, []byte(q.Body)); got != lq.QRShortURL {
		t.Errorf("QR decodes to %q; want %q", got, lq.QRShortURL)
	}
	req, _ = http.NewRequest("GET", base+"/"+l.Code, nil)
	req.Host = "q.test"
	req.Header.Set("User-Agent", corpusUA(t, "browser/linux"))
	if resp, err = noFollow.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 {
		t.Errorf("Host q.test: %d; want 302", resp.StatusCode)
	}
	if code, _, errs := runCLI(t, "", "domains", "block", "nope.test", "--server", base, "--api-key", adminKey); code != 1 || !strings.Contains(errs, "nope.test is not configured") {
		t.Errorf("block nope.test: exit %d %q", code, errs)
	}
}

// TestDomainPoolMigration: an install without domain pools gets --domains
// on a restart; its links keep their codes, answer on every host of the
// pool and move to the pool's host; links pinned to a host with "domain"
// stay there. A second restart does not undo a block made through the API.
func TestDomainPoolMigration(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		data := t.TempDir()
		restart := func(m *Main) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := m.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}
		before, base := startMain(t, func(c *config.Serve) { tweak(c); c.Data = data })
		var old, pinned apiLink
		decodeJSON(t, api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao}).Body, &old)
		if old.ShortURL != base+"/"+old.Code {
			t.Fatalf("before pools: short_url %q; want it on the request's host", old.ShortURL)
		}
		restart(before)

		m, base := startMain(t, func(c *config.Serve) { tweak(c); c.Data = data; c.Domains = []string{"s1.test", "s2.test"} })
		decodeJSON(t, api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "alias": "pinned", "domain": "s2.test"}).Body, &pinned)
		var l apiLink
		decodeJSON(t, api(t, "GET", base+"/api/v1/links/"+old.Code, nil).Body, &l)
		if l.ShortURL != "http://s1.test/"+old.Code {
			t.Errorf("old link with pools: short_url %q; want http://s1.test/%s", l.ShortURL, old.Code)
		}
		tap := func(host, code string) int { return tapOnHost(t, base, code, host).Status }
		for _, tc := range []struct {
			host, code string
			want       int
		}{
			{"s1.test", old.Code, 302}, {"s2.test", old.Code, 302}, {"127.0.0.1", old.Code, 404},
			{"s2.test", "pinned", 302}, {"s1.test", "pinned", 404},
		} {
			if got := tap(tc.host, tc.code); got != tc.want {
				t.Errorf("Host %s /%s: %d; want %d", tc.host, tc.code, got, tc.want)
			}
		}
		if pinned.ShortURL != "http://s2.test/pinned" {
			t.Errorf("pinned link: short_url %q; want http://s2.test/pinned", pinned.ShortURL)
		}
		if a := api(t, "PATCH", base+"/api/v1/domains/s1.test", `{"status":"blocked"}`); a.Status != 200 {
			t.Fatalf("PATCH: %d %s", a.Status, a.Body)
		}
		restart(m)

		m, base = startMain(t, func(c *config.Serve) { tweak(c); c.Data = data; c.Domains = []string{"s1.test", "s2.test"} })
		defer restart(m)
		if st := domainStatus(t, base); st["s1.test"] != "blocked" || st["s2.test"] != "standby" {
			t.Errorf("after a restart with the same --domains: %v; want s1.test still blocked", st)
		}
		decodeJSON(t, api(t, "GET", base+"/api/v1/links/"+old.Code, nil).Body, &l)
		if l.ShortURL != "http://s2.test/"+old.Code {
			t.Errorf("after restart: short_url %q; want it on s2.test", l.ShortURL)
		}
	})
}

// TestDomainsPage: the web UI's Domains page shows each domain's state,
// strikes and ICP, and a banner when a pool is short of healthy domains.
func TestDomainsPage(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.Domains = []string{"s1.test", "s2.test"} })
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: noFollow.CheckRedirect}
	page := func(method, path string, form url.Values) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Accept-Language", "en")
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	_, login := page("GET", "/ui/login", nil)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)
	if m == nil {
		t.Fatalf("no csrf on the login page:\n%.1000s", login)
	}
	if st, body := page("POST", "/ui/login", url.Values{"csrf": {m[1]}, "key": {adminKey}, "next": {"/ui/domains"}}); st != 303 {
		t.Fatalf("sign in: %d %.500s", st, body)
	}
	api(t, "PATCH", base+"/api/v1/domains/s2.test", `{"icp":"京ICP备00000002号"}`)
	st, body := page("GET", "/ui/domains", nil)
	for _, want := range []string{"s1.test", "s2.test", ">active<", ">standby<", "京ICP备00000002号", "Pool default: short URLs on s1.test"} {
		if st != 200 || !strings.Contains(body, want) {
			t.Fatalf("/ui/domains: %d, lacks %q\n%.3000s", st, want, body)
		}
	}
	if strings.Contains(body, "fewer than") {
		t.Error("banner shown with two healthy domains")
	}
	api(t, "PATCH", base+"/api/v1/domains/s1.test", `{"status":"blocked"}`)
	api(t, "PATCH", base+"/api/v1/domains/s2.test", `{"status":"blocked"}`)
	_, body = page("GET", "/ui/domains", nil)
	if !strings.Contains(body, "Pool default has 0 healthy domain(s), fewer than 1") || !strings.Contains(body, ">blocked<") {
		t.Errorf("/ui/domains with every domain blocked lacks the banner:\n%.3000s", body)
	}
}
