package ui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/internal/server"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
)

const (
	adminKey = "htk_test_admin_key_0123456789abcdef"
	readKey  = "htk_test_read_only_0123456789abcdef"
	wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN"
	// shareText is a 淘口令 share text carrying an item link.
	shareText = "8.94 复制打开淘宝 ￥CZ3457 aBcDeFgHiJk￥ https://item.taobao.com/item.htm?id=639750024278&spm=a1z10 「夏季新款纯棉短袖T恤」"
)

// env is a whole hutong server (embedded stores in a temp dir) with the UI
// mounted, as cmd/hutong wires it.
type env struct {
	t        *testing.T
	srv      *server.Server
	service  *shortlink.Service
	recorder *track.Recorder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	store, err := boltstore.Open(filepath.Join(dir, "links.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	links, err := shortlink.NewCachedStore(store, shortlink.CacheConfig{})
	if err != nil {
		t.Fatal(err)
	}
	sink, err := track.OpenBoltSink(filepath.Join(dir, "events.db"), track.BoltConfig{})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec, err := track.New(sink, track.Config{SpillDir: dir, FlushInterval: 5 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	svc := shortlink.NewService(links, shortlink.ServiceConfig{})
	ctx := context.Background()
	if _, err := svc.EnsureInitialKey(ctx, adminKey); err != nil {
		t.Fatal(err)
	}
	rk, err := shortlink.NewAPIKey(readKey, "reader", []shortlink.Scope{shortlink.ScopeRead}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := links.CreateKey(ctx, rk); err != nil {
		t.Fatal(err)
	}
	table, err := route.New()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pages.New()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Deps{
		Rules: route.NewHolder(table), Clients: clientinfo.NewDetector(clientinfo.Config{}), Pages: pg,
		Links: links, Keys: links, Service: svc, Events: rec, Stats: sink, Logger: quiet,
	}, server.Options{WriteRateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = rec.Close(context.Background())
		_ = sink.Close()
		_ = links.Close()
	})
	return &env{t: t, srv: srv, service: svc, recorder: rec}
}

// browser is a cookie-keeping client over app.Test.
type browser struct {
	e       *env
	cookies map[string]string
	lang    string
}

func (e *env) browser() *browser { return &browser{e: e, cookies: map[string]string{}, lang: "en"} }

type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(method, path string, body io.Reader, ctype string, hdr ...string) page {
	b.e.t.Helper()
	req := httptest.NewRequest(method, path, body)
	req.Host = "hutong.test"
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	var parts []string
	for k, v := range b.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	resp, err := b.e.srv.App().Test(req, 10000)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	out, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(out)}
}

func (b *browser) get(path string, hdr ...string) page {
	b.e.t.Helper()
	return b.do(http.MethodGet, path, nil, "", hdr...)
}

func (b *browser) post(path string, form url.Values, hdr ...string) page {
	b.e.t.Helper()
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", hdr...)
}

func (b *browser) postMultipart(path string, fields map[string]string, fileName string, file []byte) page {
	b.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if fileName != "" {
		fw, _ := w.CreateFormFile("file", fileName)
		_, _ = fw.Write(file)
	}
	_ = w.Close()
	return b.do(http.MethodPost, path, &buf, w.FormDataContentType())
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the first CSRF token on the page.
func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no csrf token on the page:\n%.2000s", p.Body)
	}
	return m[1]
}

// signIn signs b in with key and returns a CSRF token of the session.
func (b *browser) signIn(key string) string {
	b.e.t.Helper()
	p := b.get("/ui/login")
	r := b.post("/ui/login", url.Values{"csrf": {p.csrf(b.e.t)}, "key": {key}, "next": {"/ui/new"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/ui/new" {
		b.e.t.Fatalf("sign in: got %d %s; want 303 /ui/new\n%.1500s", r.Status, r.Header.Get("Location"), r.Body)
	}
	return b.get("/ui/new").csrf(b.e.t)
}

func (p page) must(t *testing.T, status int, contains ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d; want %d\n%.3000s", p.Status, status, p.Body)
	}
	for _, s := range contains {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("page lacks %q\n%.4000s", s, p.Body)
		}
	}
	if strings.Contains(p.Body, "‹") {
		i := strings.Index(p.Body, "‹")
		t.Fatalf("page has a missing message: %.80s", p.Body[i:])
	}
}
