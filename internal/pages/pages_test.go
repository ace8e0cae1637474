package pages

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
)

const (
	testH5     = "https://main.m.taobao.com/security-h5-detail/home?id=123456789&skuId=42&ali_trackid=2:mm_1_2_3"
	testApp    = "tbopen://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&bootImage=0&h5Url=https%3A%2F%2Fmain.m.taobao.com%2Fsecurity-h5-detail%2Fhome%3Fid%3D123456789"
	testIntent = "intent://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&h5Url=https%3A%2F%2Fmain.m.taobao.com%2Fsecurity-h5-detail%2Fhome%3Fid%3D123456789#Intent;scheme=tbopen;package=com.taobao.taobao;S.browser_fallback_url=https%3A%2F%2Fmain.m.taobao.com%2Fsecurity-h5-detail%2Fhome%3Fid%3D123456789;end"
	testShort  = "https://hut.ong/aB3x"
)

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func testDecision() route.Decision {
	return route.Decision{
		Action: route.ActionInterstitial, Target: "item_h5", Location: testH5, H5: testH5,
		PC: "https://item.taobao.com/item.htm?id=123456789", AppURL: testApp, IntentURL: testIntent,
	}
}

func testEntity() resolver.Entity {
	return resolver.Entity{
		Platform: resolver.PlatformTaobao, Kind: resolver.KindItem, ID: "123456789", IDType: resolver.IDItem,
		Title: "夏季新款 纯棉T恤", Tpwd: "CZ3457 aBcDeFgHiJk", Canonical: "https://item.taobao.com/item.htm?id=123456789",
	}
}

// pageCase is one page rendered one way.
type pageCase struct {
	name   string
	render func(r *Renderer, w io.Writer, lang Lang) error
	// allowed are the only http(s) URLs the page may mention: destinations
	// and Open Graph metadata, never resources the page loads.
	allowed []string
	// want are strings the page must contain, per language.
	want map[Lang][]string
}

func pageCases() []pageCase {
	d, e := testDecision(), testEntity()
	infoCases := []pageCase{}
	for _, k := range infoKinds {
		k := k
		infoCases = append(infoCases, pageCase{
			name: "info/" + string(k),
			render: func(r *Renderer, w io.Writer, l Lang) error {
				return r.Info(w, l, Info{Kind: k, Copy: testShort, Link: testH5, RequestID: "req-1"})
			},
			allowed: []string{testShort, testH5},
			want:    map[Lang][]string{LangZH: {"错误代码"}, LangEN: {"Error code"}},
		})
	}
	return append([]pageCase{
		{
			name: "interstitial",
			render: func(r *Renderer, w io.Writer, l Lang) error {
				return r.Interstitial(w, l, Interstitial{Decision: d, Entity: e})
			},
			allowed: []string{testH5},
			want: map[Lang][]string{
				LangZH: {"打开淘宝 App", "夏季新款 纯棉T恤", `href="tbopen://m.taobao.com/tbopen/index.html?action=ali.open.nav&amp;module=h5`, "￥CZ3457 aBcDeFgHiJk￥", `id="web"`},
				LangEN: {"Open in the Taobao app", "Continue on the web", `href="tbopen://`},
			},
		},
		{
			name: "interstitial/intent",
			render: func(r *Renderer, w io.Writer, l Lang) error {
				return r.Interstitial(w, l, Interstitial{Decision: d, Entity: resolver.Entity{Kind: resolver.KindShop, Platform: resolver.PlatformTmall}, UseIntent: true})
			},
			allowed: []string{testH5},
			want: map[Lang][]string{
				LangZH: {`href="intent://m.taobao.com/`, "天猫店铺", "复制链接"},
				LangEN: {`href="intent://`, "Tmall shop"},
			},
		},
		{
			name: "guide",
			render: func(r *Renderer, w io.Writer, l Lang) error {
				return r.Guide(w, l, Guide{Decision: route.Decision{Action: route.ActionGuide}, Entity: e, Link: testShort})
			},
			allowed: []string{testShort},
			want: map[Lang][]string{
				LangZH: {"在浏览器打开", "⋯", testShort, "￥CZ3457 aBcDeFgHiJk￥", "微信里无法直接打开"},
				LangEN: {"Open in Browser", "⋯", testShort, "WeChat cannot open this page directly."},
			},
		},
		{
			name: "guide/unknown",
			render: func(r *Renderer, w io.Writer, l Lang) error {
				return r.Guide(w, l, Guide{Entity: resolver.Entity{Kind: resolver.KindUnknown, URL: "https://example.com/x"}})
			},
			allowed: []string{"https://example.com/x"},
			want:    map[Lang][]string{LangZH: {"没能识别"}, LangEN: {"could not tell"}},
		},
		{
			name: "preview",
			render: func(r *Renderer, w io.Writer, l Lang) error {
				return r.Preview(w, l, Preview{Entity: e, Image: "https://img.alicdn.com/x.jpg", URL: testShort})
			},
			allowed: []string{"https://img.alicdn.com/x.jpg", testShort},
			want: map[Lang][]string{
				LangZH: {`<meta property="og:title" content="夏季新款 纯棉T恤">`, `<meta property="og:image" content="https://img.alicdn.com/x.jpg">`, `og:url" content="https://hut.ong/aB3x"`, `content="summary_large_image"`, "zh_CN"},
				LangEN: {`og:description" content="Tap to view it on Taobao"`, "en_US"},
			},
		},
	}, infoCases...)
}

var (
	urlRe      = regexp.MustCompile(`https?://[^\s"'<>)]*`)
	loadsRe    = regexp.MustCompile(`(?i)\ssrc=|<link|@import|url\(|<iframe|<img|<object|<embed|srcset=`)
	langAttrRe = regexp.MustCompile(`<html lang="([^"]+)">`)
)

func TestPages(t *testing.T) {
	r := newRenderer(t)
	for _, c := range pageCases() {
		for _, lang := range []Lang{LangZH, LangEN} {
			t.Run(c.name+"/"+string(lang), func(t *testing.T) {
				var buf bytes.Buffer
				if err := c.render(r, &buf, lang); err != nil {
					t.Fatalf("render: %v", err)
				}
				page := buf.String()
				if n := buf.Len(); n >= 10<<10 {
					t.Errorf("size %d bytes; want < 10240", n)
				}
				if m := langAttrRe.FindStringSubmatch(page); m == nil || m[1] != string(lang) {
					t.Errorf("lang attribute %v; want %q", m, lang)
				}
				for _, w := range c.want[lang] {
					if !strings.Contains(page, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if strings.Contains(page, "ZgotmplZ") {
					t.Errorf("page holds a value html/template refused (ZgotmplZ)")
				}
				if m := loadsRe.FindString(page); m != "" {
					t.Errorf("page loads a resource: %q", m)
				}
				for _, u := range urlRe.FindAllString(page, -1) {
					u = strings.ReplaceAll(u, "&amp;", "&")
					ok := false
					for _, a := range c.allowed {
						ok = ok || strings.HasPrefix(a, u) || strings.HasPrefix(u, a)
					}
					if !ok {
						t.Errorf("page mentions %q, which is not a destination", u)
					}
				}
			})
		}
	}
}

var (
	scriptRe = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	styleRe  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
)

func TestCSPMatchesInlineCode(t *testing.T) {
	r := newRenderer(t)
	csp := r.CSP()
	for _, want := range []string{"default-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, c := range pageCases() {
		var buf bytes.Buffer
		if err := c.render(r, &buf, LangZH); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		check := func(re *regexp.Regexp, directive string) {
			for _, m := range re.FindAllStringSubmatch(page, -1) {
				sum := sha256.Sum256([]byte(m[1]))
				src := directive + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
				if !strings.Contains(csp, src) {
					t.Errorf("%s: inline code hashes to %s; CSP is %q", c.name, src, csp)
				}
			}
		}
		check(scriptRe, "script-src")
		check(styleRe, "style-src")
		if strings.Count(page, "<script") != len(scriptRe.FindAllString(page, -1)) {
			t.Errorf("%s: script element with attributes (external or typed script?)", c.name)
		}
		if strings.Contains(page, " style=") || strings.Contains(page, " on") && regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
			t.Errorf("%s: inline style or event-handler attribute defeats the CSP", c.name)
		}
	}
	// The interstitial and guide must carry the script, the preview none.
	for name, want := range map[string]int{"interstitial": 1, "guide": 1, "preview": 0} {
		for _, c := range pageCases() {
			if c.name != name {
				continue
			}
			var buf bytes.Buffer
			_ = c.render(r, &buf, LangEN)
			if got := strings.Count(buf.String(), "<script>"); got != want {
				t.Errorf("%s has %d scripts; want %d", name, got, want)
			}
		}
	}
}

// hostile is user-provided text that must come out inert.
const hostile = `</script><script>alert(1)</script>"'><img src=x onerror=alert(2)>{{.Lang}}javascript:alert(3)`

func TestEscaping(t *testing.T) {
	r := newRenderer(t)
	e := resolver.Entity{Kind: resolver.KindItem, Title: hostile, Tpwd: hostile, URL: "javascript:alert(4)"}
	d := testDecision()
	var pages []string
	render := func(f func(w io.Writer) error) {
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, buf.String())
	}
	render(func(w io.Writer) error {
		return r.Interstitial(w, LangZH, Interstitial{Decision: d, Entity: e, CopyText: hostile})
	})
	render(func(w io.Writer) error { return r.Guide(w, LangEN, Guide{Entity: e}) })
	render(func(w io.Writer) error {
		return r.Preview(w, LangZH, Preview{Entity: e, Description: hostile, Image: "javascript:alert(5)", URL: `https://x.test/"><script>`})
	})
	render(func(w io.Writer) error {
		return r.Info(w, LangEN, Info{Kind: InfoNotAllowed, Copy: hostile, Link: "javascript:alert(6)", RequestID: hostile})
	})
	for i, p := range pages {
		if n := strings.Count(p, "<script>"); n > 1 {
			t.Errorf("page %d: %d <script> elements; a user string opened one", i, n)
		}
		for _, bad := range []string{"<img", "alert(1)</script>", `"'>`, `href="javascript`, `content="javascript`} {
			if strings.Contains(p, bad) {
				t.Errorf("page %d contains unescaped %q", i, bad)
			}
		}
		if !strings.Contains(p, "{{.Lang}}") {
			t.Errorf("page %d: a user's {{ … }} was not shown verbatim", i)
		}
		if !strings.Contains(p, "&lt;/script&gt;") {
			t.Errorf("page %d does not show the escaped title", i)
		}
	}
	if testing.Verbose() {
		t.Logf("interstitial with hostile input:\n%s", pages[0])
	}
}

func TestInterstitialURLs(t *testing.T) {
	r := newRenderer(t)
	cases := []struct {
		name     string
		d        route.Decision
		intent   bool
		wantHref string
		wantErr  error
	}{
		{"tbopen", testDecision(), false, "tbopen://", nil},
		{"intent", testDecision(), true, "intent://", nil},
		{"intent missing uses tbopen", route.Decision{Location: testH5, AppURL: testApp}, true, "tbopen://", nil},
		{"javascript app url dropped", route.Decision{Location: testH5, AppURL: "javascript:alert(1)"}, false, "https://main.m.taobao.com/", nil},
		{"data app url dropped", route.Decision{Location: testH5, AppURL: "data:text/html,<b>"}, false, "https://main.m.taobao.com/", nil},
		{"app url with space dropped", route.Decision{Location: testH5, AppURL: "tbopen://x y"}, false, "https://main.m.taobao.com/", nil},
		{"no web, app only", route.Decision{AppURL: testApp}, false, "tbopen://", nil},
		{"javascript location", route.Decision{Location: "javascript:alert(1)"}, false, "", ErrNoDestination},
		{"nothing", route.Decision{}, false, "", ErrNoDestination},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := r.Interstitial(&buf, LangZH, Interstitial{Decision: c.d, UseIntent: c.intent, AutoOpen: true})
			if err != c.wantErr {
				t.Fatalf("err = %v; want %v", err, c.wantErr)
			}
			if err != nil {
				if buf.Len() != 0 {
					t.Errorf("wrote %d bytes on error", buf.Len())
				}
				return
			}
			p := buf.String()
			if want := `id="open" class="btn" href="` + c.wantHref; !strings.Contains(p, want) {
				t.Errorf("page lacks %q", want)
			}
			if strings.Contains(p, "javascript:") || strings.Contains(p, "ZgotmplZ") {
				t.Errorf("unsafe URL reached the page")
			}
			hasWeb := strings.Contains(p, `id="web"`)
			if hasWeb != (httpURL(c.d.Location) != "") {
				t.Errorf("web link present = %v; want %v", hasWeb, !hasWeb)
			}
			if auto := strings.Contains(p, "<body data-auto>"); auto != (hasWeb && appURL(c.d.AppURL) != "") {
				t.Errorf("data-auto = %v", auto)
			}
		})
	}
}

func TestInfoKinds(t *testing.T) {
	r := newRenderer(t)
	want := map[InfoKind]int{
		InfoInternal: 500, InfoNotFound: 404, InfoExpired: 410, InfoDisabled: 410, InfoClickLimit: 410,
		InfoBadInput: 400, InfoTooLarge: 413, InfoNotAllowed: 403, InfoUnsupported: 200, InfoTooMany: 429,
		"bogus": 500,
	}
	for k, status := range want {
		if got := k.Status(); got != status {
			t.Errorf("%q.Status() = %d; want %d", k, got, status)
		}
	}
	for _, lang := range []Lang{LangZH, LangEN} {
		seen := map[string]InfoKind{}
		for _, k := range infoKinds {
			var buf bytes.Buffer
			if err := r.Info(&buf, lang, Info{Kind: k}); err != nil {
				t.Fatal(err)
			}
			title := regexp.MustCompile(`<h1>(.*?)</h1>`).FindStringSubmatch(buf.String())[1]
			if other, dup := seen[title]; dup {
				t.Errorf("%s: %q and %q share the title %q", lang, k, other, title)
			}
			seen[title] = k
			if strings.Contains(buf.String(), "<script>") {
				t.Errorf("%s/%q: script without a copy block", lang, k)
			}
		}
	}
	var buf bytes.Buffer
	_ = r.Info(&buf, LangEN, Info{Kind: InfoBadInput})
	if !strings.Contains(buf.String(), "not a Taobao or Tmall link") || !strings.Contains(buf.String(), "Error code 400") {
		t.Errorf("bad-input page lacks its wording:\n%s", buf.String())
	}
	if http.StatusText(InfoNotAllowed.Status()) == "" {
		t.Error("bad status")
	}
}

func TestCatalogueComplete(t *testing.T) {
	for lang, m := range catalogue() {
		v := reflect.ValueOf(*m)
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.Kind() == reflect.String && f.String() == "" {
				t.Errorf("%s: message %s is empty", lang, v.Type().Field(i).Name)
			}
		}
		for _, k := range infoKinds {
			if txt := m.Info[k]; txt.Title == "" || txt.What == "" || txt.Do == "" {
				t.Errorf("%s: info kind %q incomplete: %+v", lang, k, txt)
			}
		}
	}
}

func TestUnknownLangIsChinese(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	if err := r.Info(&buf, "fr", Info{Kind: InfoNotFound}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<html lang="zh-CN">`) {
		t.Errorf("unknown language did not render zh-CN")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteError(t *testing.T) {
	r := newRenderer(t)
	if err := r.Info(failWriter{}, LangZH, Info{}); err != io.ErrClosedPipe {
		t.Errorf("err = %v; want %v", err, io.ErrClosedPipe)
	}
}

func TestSizeWithLongHostileInput(t *testing.T) {
	r := newRenderer(t)
	long := strings.Repeat(`<"'&>`, 2000)
	e := resolver.Entity{Kind: resolver.KindItem, Title: long, Tpwd: "CZ3457 aBcDeFgHiJk"}
	check := func(name string, f func(w io.Writer) error) {
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			t.Fatal(err)
		}
		if buf.Len() >= 10<<10 {
			t.Errorf("%s: %d bytes with a 10 000-character title; want < 10240", name, buf.Len())
		}
	}
	check("interstitial", func(w io.Writer) error {
		return r.Interstitial(w, LangZH, Interstitial{Decision: testDecision(), Entity: e})
	})
	check("guide", func(w io.Writer) error { return r.Guide(w, LangZH, Guide{Entity: e, Link: testShort}) })
	check("preview", func(w io.Writer) error { return r.Preview(w, LangZH, Preview{Entity: e, Description: long}) })
}

func TestClip(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"夏季新款T恤", 4, "夏季新款…"},
		{"夏季", 4, "夏季"},
	}
	for _, c := range cases {
		if got := clip(c.in, c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q; want %q", c.in, c.n, got, c.want)
		}
	}
}

// TestPlainInfoPagesAsRendered: an info page without a link or text to
// copy comes from the pages New rendered once, and is byte for byte what a
// template run gives, for every language and kind, with request IDs that
// hold every printable ASCII character (X-Request-Id comes from clients).
// Pages with a link or a copy text, or no request ID, are rendered.
func TestPlainInfoPagesAsRendered(t *testing.T) {
	r := newRenderer(t)
	var all []byte
	for c := byte(0x21); c <= 0x7e; c++ {
		all = append(all, c)
	}
	ids := []string{"cbf21g75-1djyx", string(all), `"><script>alert(1)</script>`, "a+b&c'd", "x\x00y"}
	for _, lang := range []Lang{LangZH, LangEN, "fr"} {
		for _, k := range append(infoKinds[:], "no-such-kind") {
			if _, ok := r.plain[infoKey{lang.norm(), k}]; !ok && k != "no-such-kind" {
				t.Errorf("%s/%s: no pre-rendered page", lang, k)
			}
			for _, id := range ids {
				var got, want bytes.Buffer
				v := Info{Kind: k, RequestID: id}
				if err := r.Info(&got, lang, v); err != nil {
					t.Fatal(err)
				}
				if err := r.renderInfo(&want, lang, v); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Errorf("%s/%s id %q: pre-rendered page differs from a template run:\n%s\nwant\n%s", lang, k, id, got.Bytes(), want.Bytes())
				}
				if strings.Contains(got.String(), "<script>alert") || strings.Contains(got.String(), idMark) {
					t.Errorf("%s/%s id %q: the ID is not escaped, or the mark is left: %s", lang, k, id, got.Bytes())
				}
			}
		}
	}
}

// TestPlainInfoPageAllocs: an info page for an unknown code allocates
// nothing once the buffer pool is warm.
func TestPlainInfoPageAllocs(t *testing.T) {
	r := newRenderer(t)
	v := Info{Kind: InfoNotFound, RequestID: "cbf21g75-1djyx"}
	if n := testing.AllocsPerRun(100, func() { _ = r.Info(io.Discard, LangZH, v) }); n > 0 {
		t.Errorf("Info(not found) allocates %v objects per page; want 0", n)
	}
}
