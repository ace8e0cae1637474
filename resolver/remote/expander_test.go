package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/resolver"
)

// shortServer is a fake m.tb.cn: routes by path, counts requests and
// remembers the Host header and User-Agent of the last one.
type shortServer struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	host string
	ua   string
}

func newShortServer(t *testing.T, routes map[string]http.HandlerFunc) *shortServer {
	t.Helper()
	s := &shortServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.host, s.ua = r.Host, r.UserAgent()
		s.mu.Unlock()
		if r.Method != http.MethodGet {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		h, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func htmlPage(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
}

func redirectTo(loc string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusFound)
	}
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

func newTestExpander(s *shortServer, mods ...func(*ExpanderConfig)) *Expander {
	cfg := ExpanderConfig{BaseURL: s.URL, Timeout: 2 * time.Second}
	for _, m := range mods {
		m(&cfg)
	}
	return NewExpander(cfg)
}

func TestExpandPage(t *testing.T) {
	fixture := string(readFixture(t, "m_tb_cn_item.html"))
	s := newShortServer(t, map[string]http.HandlerFunc{"/h.gFz8Rk2": htmlPage(fixture)})
	e := newTestExpander(s)
	got, err := e.Expand(context.Background(), "https://m.tb.cn/h.gFz8Rk2?tk=AbCdEf12345")
	if err != nil || got != fixtureItemURL {
		t.Fatalf("Expand = %q, %v; want %q, nil", got, err, fixtureItemURL)
	}
	s.mu.Lock()
	host, ua := s.host, s.ua
	s.mu.Unlock()
	if host != "m.tb.cn" {
		t.Errorf("Host header = %q; want m.tb.cn", host)
	}
	if !strings.Contains(ua, "Mobile") {
		t.Errorf("User-Agent = %q; want a mobile UA", ua)
	}
}

func TestExpand(t *testing.T) {
	const item = "https://item.taobao.com/item.htm?id=1&sku=2"
	routes := map[string]http.HandlerFunc{
		"/h.single":  htmlPage(page(`var url = 'https://item.taobao.com/item.htm?id=1&sku=2';`)),
		"/h.double":  htmlPage(page(`var url = "https://item.taobao.com/item.htm?id=1&sku=2";`)),
		"/h.escaped": htmlPage(page(`var url = 'https:\/\/item.taobao.com\/item.htm?id=1\x26sku=2';`)),
		"/h.amp":     htmlPage(page(`var url = 'https://item.taobao.com/item.htm?id=1&amp;sku=2';`)),
		"/h.loc":     redirectTo(item),
		"/h.loc301": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://detail.tmall.com/item.htm?id=3", http.StatusMovedPermanently)
		},
		"/h.relhop":  redirectTo("/h.single"),
		"/h.hop":     redirectTo("https://s.tb.cn/h.double"),
		"/h.pagehop": htmlPage(page(`var url = 'https://e.tb.cn/h.amp';`)),
		"/h.hop2":    redirectTo("https://m.tb.cn/h.pagehop"),

		"/h.lookalike":  htmlPage(page(`var url = 'https://item.taobao.com.evil.example/item.htm?id=1';`)),
		"/h.userinfo":   htmlPage(page(`var url = 'https://item.taobao.com@evil.example/';`)),
		"/h.js":         htmlPage(page(`var url = 'javascript:alert(1)';`)),
		"/h.locevil":    redirectTo("https://evil.example/item.htm?id=1"),
		"/h.locuser":    redirectTo("https://m.tb.cn@evil.example/h.x"),
		"/h.locjs":      redirectTo("javascript:alert(1)"),
		"/h.locport":    redirectTo("https://m.tb.cn:8080/h.single"),
		"/h.locslash":   redirectTo("/\\evil.example/"),
		"/h.noloc":      status(http.StatusFound),
		"/h.nourl":      htmlPage(page(`var target = 'https://item.taobao.com/item.htm?id=1';`)),
		"/h.gone":       status(http.StatusGone),
		"/h.broken":     status(http.StatusBadGateway),
		"/h.teapot":     status(http.StatusTeapot),
		"/h.shortroot":  redirectTo("https://m.tb.cn/"),
		"/h.loopa":      redirectTo("https://m.tb.cn/h.loopb"),
		"/h.loopb":      redirectTo("https://s.tb.cn/h.loopa"),
		"/h.self":       htmlPage(page(`var url = 'https://m.tb.cn/h.self';`)),
		"/h.c1":         redirectTo("https://m.tb.cn/h.c2"),
		"/h.c2":         redirectTo("https://m.tb.cn/h.c3"),
		"/h.c3":         redirectTo("https://m.tb.cn/h.c4"),
		"/h.c4":         redirectTo(item),
		"/h.evilbyhop":  redirectTo("https://m.tb.cn/h.lookalike"),
		"/x/longerPath": htmlPage(page(`var url = 'https://item.taobao.com/item.htm?id=1&sku=2';`)),
	}
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"https://m.tb.cn/h.single", item, nil},
		{"m.tb.cn/h.double", item, nil},
		{"https://s.tb.cn/h.escaped", item, nil},
		{"https://e.tb.cn/h.amp", item, nil},
		{"https://c.tb.cn/h.loc", item, nil},
		{"https://tb.cn/h.loc301", "https://detail.tmall.com/item.htm?id=3", nil},
		{"https://tb.cn/x/longerPath", item, nil},
		{"https://m.tb.cn/h.relhop", item, nil},
		{"https://m.tb.cn/h.hop", item, nil},
		{"https://m.tb.cn/h.hop2", item, nil}, // 2 further hops: the default limit

		{"https://m.tb.cn/h.lookalike", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.userinfo", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.js", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.locevil", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.locuser", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.locjs", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.locport", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.locslash", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.evilbyhop", "", ErrDisallowedHost},
		{"https://m.tb.cn/h.nourl", "", ErrNotFound},
		{"https://m.tb.cn/h.unknown", "", ErrNotFound},
		{"https://m.tb.cn/h.gone", "", ErrNotFound},
		{"https://m.tb.cn/h.shortroot", "", ErrNotFound},
		{"https://m.tb.cn/h.noloc", "", ErrUpstream},
		{"https://m.tb.cn/h.broken", "", ErrUpstream},
		{"https://m.tb.cn/h.teapot", "", ErrUpstream},
		{"https://m.tb.cn/h.loopa", "", ErrTooManyHops},
		{"https://m.tb.cn/h.self", "", ErrTooManyHops},
		{"https://m.tb.cn/h.c1", "", ErrTooManyHops}, // 3 further hops > 2
	}
	s := newShortServer(t, routes)
	e := newTestExpander(s)
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := e.Expand(context.Background(), tt.in)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Expand(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}

	t.Run("MaxHops", func(t *testing.T) {
		e := newTestExpander(s, func(c *ExpanderConfig) { c.MaxHops = 3 })
		if got, err := e.Expand(context.Background(), "https://m.tb.cn/h.c1"); err != nil || got != item {
			t.Errorf("Expand(h.c1) with MaxHops 3 = %q, %v; want %q, nil", got, err, item)
		}
		e = newTestExpander(s, func(c *ExpanderConfig) { c.MaxHops = -1 })
		if _, err := e.Expand(context.Background(), "https://m.tb.cn/h.hop"); !errors.Is(err, ErrTooManyHops) {
			t.Errorf("Expand(h.hop) with MaxHops -1 = %v; want ErrTooManyHops", err)
		}
	})

	t.Run("AllowHost", func(t *testing.T) {
		onlyTmall := func(h string) bool { return h == "tmall.com" || strings.HasSuffix(h, ".tmall.com") }
		e := newTestExpander(s, func(c *ExpanderConfig) { c.AllowHost = onlyTmall })
		if _, err := e.Expand(context.Background(), "https://m.tb.cn/h.single"); !errors.Is(err, ErrDisallowedHost) {
			t.Errorf("Expand(h.single) with Tmall-only allowlist = %v; want ErrDisallowedHost", err)
		}
		// Short-link hops stay allowed whatever the allowlist says.
		if got, err := e.Expand(context.Background(), "https://m.tb.cn/h.loc301"); err != nil {
			t.Errorf("Expand(h.loc301) with Tmall-only allowlist = %q, %v; want success", got, err)
		}
	})
}

func TestExpandRefusesNonShortLinks(t *testing.T) {
	s := newShortServer(t, map[string]http.HandlerFunc{"/h.abc": htmlPage(page(`var url = 'https://item.taobao.com/';`))})
	e := newTestExpander(s)
	for _, in := range []string{
		"", "h.abc", "https://evil.example/h.abc", "https://m.tb.cn.evil.example/h.abc",
		"https://m.tb.cn@evil.example/h.abc", "https://evil.example@m.tb.cn/h.abc", "https://m.tb.cn:8080/h.abc",
		"ftp://m.tb.cn/h.abc", "https://m.tb.cn/", "https://m.tb.cn/../h.abc", "https://m.tb.cn/h.abc%00",
		"https://item.taobao.com/item.htm?id=1", "http://169.254.169.254/latest/meta-data/",
		"http://localhost/h.abc", s.URL + "/h.abc",
	} {
		if got, err := e.Expand(context.Background(), in); !errors.Is(err, ErrNotShortLink) {
			t.Errorf("Expand(%q) = %q, %v; want ErrNotShortLink", in, got, err)
		}
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("upstream requests = %d; want 0", n)
	}
}

func TestExpandTooLarge(t *testing.T) {
	big := page(strings.Repeat("/* padding */\n", 300) + `var url = 'https://item.taobao.com/item.htm?id=1';`)
	s := newShortServer(t, map[string]http.HandlerFunc{
		// Content-Length known: refused before reading.
		"/h.sized": htmlPage(big),
		// Chunked, no Content-Length: refused while reading.
		"/h.chunked": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			for i := 0; i < len(big); i += 512 {
				fmt.Fprint(w, big[i:min(i+512, len(big))])
				w.(http.Flusher).Flush()
			}
		},
		"/h.fits": htmlPage(page(`var url = 'https://item.taobao.com/item.htm?id=1';`)),
	})
	e := newTestExpander(s, func(c *ExpanderConfig) { c.MaxBodyBytes = 1 << 10 })
	for _, code := range []string{"h.sized", "h.chunked"} {
		if got, err := e.Expand(context.Background(), "https://m.tb.cn/"+code); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Expand(%s) = %q, %v; want ErrTooLarge", code, got, err)
		}
	}
	if _, err := e.Expand(context.Background(), "https://m.tb.cn/h.fits"); err != nil {
		t.Errorf("Expand(h.fits) = %v; want success under the cap", err)
	}
}

// slowHandler answers only when the client goes away or the test ends.
func slowHandler(t *testing.T) http.HandlerFunc {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) }) // runs before the server's Close
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}
}

func TestExpandTimeout(t *testing.T) {
	s := newShortServer(t, map[string]http.HandlerFunc{"/h.slow": slowHandler(t)})
	e := newTestExpander(s, func(c *ExpanderConfig) { c.Timeout = 100 * time.Millisecond })
	start := time.Now()
	_, err := e.Expand(context.Background(), "https://m.tb.cn/h.slow")
	if !errors.Is(err, ErrUpstream) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Expand(slow) = %v; want ErrUpstream wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Expand(slow) took %v; want about the 100ms timeout", d)
	}
	// Upstream failures are not cached: a second call asks again.
	_, _ = e.Expand(context.Background(), "https://m.tb.cn/h.slow")
	if n := s.hits.Load(); n != 2 {
		t.Errorf("upstream requests = %d; want 2 (timeouts are not cached)", n)
	}
}

func TestExpandHonoursCallerContext(t *testing.T) {
	s := newShortServer(t, map[string]http.HandlerFunc{"/h.slow": slowHandler(t)})
	e := newTestExpander(s, func(c *ExpanderConfig) { c.Timeout = 300 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.Expand(ctx, "https://m.tb.cn/h.slow")
	if err != context.DeadlineExceeded {
		t.Fatalf("Expand with a 30ms ctx = %v; want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("Expand returned after %v; want about the caller's 30ms", d)
	}
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := e.Expand(done, "https://m.tb.cn/h.other"); err != context.Canceled {
		t.Errorf("Expand with a cancelled ctx = %v; want context.Canceled", err)
	}
}

func TestExpandSingleflight(t *testing.T) {
	release := make(chan struct{})
	var arrived atomic.Int64
	s := newShortServer(t, map[string]http.HandlerFunc{
		"/h.hot": func(w http.ResponseWriter, r *http.Request) {
			arrived.Add(1)
			<-release
			htmlPage(page(`var url = 'https://item.taobao.com/item.htm?id=42';`))(w, r)
		},
	})
	e := newTestExpander(s)
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := e.Expand(context.Background(), "https://m.tb.cn/h.hot")
			if err == nil && got != "https://item.taobao.com/item.htm?id=42" {
				err = fmt.Errorf("got %q", got)
			}
			errs <- err
		}()
	}
	// Hold the one upstream request until it has arrived and the other
	// callers had time to join it; late callers hit the cache instead.
	for arrived.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := s.hits.Load(); got != 1 {
		t.Errorf("upstream requests for %d concurrent expansions = %d; want 1", n, got)
	}
}

func TestExpandCache(t *testing.T) {
	var fail atomic.Bool
	s := newShortServer(t, map[string]http.HandlerFunc{
		"/h.ok": htmlPage(page(`var url = 'https://item.taobao.com/item.htm?id=7';`)),
		"/h.flaky": func(w http.ResponseWriter, r *http.Request) {
			if fail.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			htmlPage(page(`var url = 'https://item.taobao.com/item.htm?id=8';`))(w, r)
		},
	})
	clk := newFakeClock()
	e := newTestExpander(s, func(c *ExpanderConfig) {
		c.Now, c.CacheTTL, c.NegativeTTL = clk.Now, time.Hour, time.Minute
	})
	ctx := context.Background()
	expect := func(in string, wantHits int64, wantErr error) {
		t.Helper()
		_, err := e.Expand(ctx, in)
		if !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
			t.Fatalf("Expand(%q) error = %v; want %v", in, err, wantErr)
		}
		if got := s.hits.Load(); got != wantHits {
			t.Fatalf("after Expand(%q): upstream requests = %d; want %d", in, got, wantHits)
		}
	}
	// Positive: cached by host+code; query ignored.
	expect("https://m.tb.cn/h.ok", 1, nil)
	expect("m.tb.cn/h.ok?tk=x&sm=y", 1, nil)
	expect("https://s.tb.cn/h.ok", 2, nil) // another host, another key
	clk.Advance(59 * time.Minute)
	expect("https://m.tb.cn/h.ok", 2, nil)
	clk.Advance(time.Minute)
	expect("https://m.tb.cn/h.ok", 3, nil) // TTL passed

	// Negative: not found is cached for NegativeTTL.
	expect("https://m.tb.cn/h.missing", 4, ErrNotFound)
	expect("https://m.tb.cn/h.missing", 4, ErrNotFound)
	clk.Advance(time.Minute)
	expect("https://m.tb.cn/h.missing", 5, ErrNotFound)

	// Upstream errors are not cached.
	fail.Store(true)
	expect("https://m.tb.cn/h.flaky", 6, ErrUpstream)
	expect("https://m.tb.cn/h.flaky", 7, ErrUpstream)
	fail.Store(false)
	expect("https://m.tb.cn/h.flaky", 8, nil)
	expect("https://m.tb.cn/h.flaky", 8, nil)

	// Caching off.
	e = newTestExpander(s, func(c *ExpanderConfig) { c.CacheSize = -1 })
	expect("https://m.tb.cn/h.ok", 9, nil)
	expect("https://m.tb.cn/h.ok", 10, nil)
}

func TestNewExpanderBadBaseURL(t *testing.T) {
	for _, base := range []string{"127.0.0.1:80", "ftp://x/", "http://x/?q=1", "://"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewExpander(BaseURL %q) did not panic", base)
				}
			}()
			NewExpander(ExpanderConfig{BaseURL: base})
		}()
	}
}

func TestDisabled(t *testing.T) {
	var d Disabled
	if _, err := d.Expand(context.Background(), "https://m.tb.cn/h.abc"); !errors.Is(err, resolver.ErrNotConfigured) {
		t.Errorf("Disabled.Expand = %v; want resolver.ErrNotConfigured", err)
	}
	if _, err := d.Decode(context.Background(), "AbCdEf12345"); !errors.Is(err, resolver.ErrNotConfigured) {
		t.Errorf("Disabled.Decode = %v; want resolver.ErrNotConfigured", err)
	}
}
