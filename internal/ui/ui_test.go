package ui_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()

	// Signed out: pages send you to the sign-in form, keeping where you were.
	r := b.get("/ui/links?tag=x")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/ui/login?next="+url.QueryEscape("/ui/links?tag=x") {
		t.Fatalf("signed-out list: got %d %q", r.Status, r.Header.Get("Location"))
	}
	login := b.get("/ui/login?next=/ui/links")
	login.must(t, http.StatusOK, `name="key"`, `type="password"`, "Sign in")
	tok := login.csrf(t)

	t.Run("wrong key", func(t *testing.T) {
		r := b.post("/ui/login", url.Values{"csrf": {tok}, "key": {"htk_not_a_real_key_at_all_123"}})
		r.must(t, http.StatusUnauthorized, `id="key-err"`, "unknown or revoked", `aria-invalid="true"`)
	})
	t.Run("empty key", func(t *testing.T) {
		r := b.post("/ui/login", url.Values{"csrf": {tok}, "key": {" "}})
		r.must(t, http.StatusUnprocessableEntity, "Enter an API key")
	})
	t.Run("no login csrf", func(t *testing.T) {
		r := b.post("/ui/login", url.Values{"key": {adminKey}})
		r.must(t, http.StatusForbidden, "expired or came from another site")
	})
	t.Run("foreign next is dropped", func(t *testing.T) {
		b2 := e.browser()
		p := b2.get("/ui/login")
		r := b2.post("/ui/login", url.Values{"csrf": {p.csrf(t)}, "key": {adminKey}, "next": {"//evil.example/ui/"}})
		if r.Header.Get("Location") != "/ui/links" {
			t.Fatalf("next=//evil: Location %q; want /ui/links", r.Header.Get("Location"))
		}
	})

	r = b.post("/ui/login", url.Values{"csrf": {tok}, "key": {adminKey}, "next": {"/ui/links"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/ui/links" {
		t.Fatalf("sign in: %d %q", r.Status, r.Header.Get("Location"))
	}
	sc := r.Header.Values("Set-Cookie")
	var cookie string
	for _, c := range sc {
		if strings.HasPrefix(c, "hutong_ui=") {
			cookie = c
		}
	}
	for _, want := range []string{"httponly", "samesite=strict", "path=/ui"} {
		if !strings.Contains(strings.ToLower(cookie), want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, adminKey) {
		t.Error("the session cookie holds the API key")
	}
	list := b.get("/ui/links")
	list.must(t, http.StatusOK, "No links yet", "Sign out")

	// A tampered cookie is no session.
	good := b.cookies["hutong_ui"]
	b.cookies["hutong_ui"] = good[:len(good)-2] + "AA"
	if r := b.get("/ui/links"); r.Status != http.StatusSeeOther {
		t.Fatalf("tampered cookie: %d; want 303 to sign-in", r.Status)
	}
	b.cookies["hutong_ui"] = good

	// Sign out needs the token, ends the session, and the old cookie stays dead.
	r = b.post("/ui/logout", url.Values{"csrf": {"nope"}})
	r.must(t, http.StatusForbidden)
	r = b.post("/ui/logout", url.Values{"csrf": {list.csrf(t)}})
	if r.Status != http.StatusSeeOther || b.cookies["hutong_ui"] != "" {
		t.Fatalf("logout: %d, cookie %q", r.Status, b.cookies["hutong_ui"])
	}
	b.cookies["hutong_ui"] = good
	if r := b.get("/ui/links"); r.Status != http.StatusSeeOther {
		t.Fatalf("cookie after sign-out: %d; want 303", r.Status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.get("/ui/login")
	for k, want := range map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "private, no-store",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s: got %q; want %q", k, got, want)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") {
		t.Error("inline script or style on the page")
	}
	js := b.get("/ui/static/app.js")
	if js.Status != 200 || !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") || js.Header.Get("ETag") == "" {
		t.Fatalf("app.js: %d %q", js.Status, js.Header.Get("Content-Type"))
	}
	if r := b.get("/ui/static/app.js", "If-None-Match", js.Header.Get("ETag")); r.Status != http.StatusNotModified {
		t.Errorf("app.js revalidation: %d; want 304", r.Status)
	}
	if r := b.get("/ui/static/nope.js"); r.Status != http.StatusNotFound {
		t.Errorf("unknown asset: %d", r.Status)
	}
	// Cross-site POSTs are refused whatever they carry.
	r = b.post("/ui/login", url.Values{"key": {adminKey}}, "Sec-Fetch-Site", "cross-site")
	r.must(t, http.StatusForbidden)
	// The language switch only redirects to local UI paths.
	for next, want := range map[string]string{
		"/ui/new":                "/ui/new",
		"https://evil.example/":  "/ui/links",
		"//evil.example/ui/":     "/ui/links",
		"/ui/\\evil":             "/ui/links",
		"/uix":                   "/ui/links",
		"/ui/../api/v1/links":    "/ui/../api/v1/links", // stays same-origin
		"javascript:alert(1)//x": "/ui/links",
	} {
		r := b.get("/ui/lang?to=en&next=" + url.QueryEscape(next))
		if got := r.Header.Get("Location"); got != want && !(next == "/ui/../api/v1/links" && strings.HasPrefix(got, "/")) {
			t.Errorf("next=%q: Location %q; want %q", next, got, want)
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	other := e.browser()
	otherTok := other.signIn(adminKey)
	if tok == otherTok {
		t.Fatal("two sessions share a CSRF token")
	}
	form := url.Values{"target": {shareText}, "action": {"create"}}
	for name, f := range map[string]url.Values{
		"missing": form,
		"wrong":   merge(form, "csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
		"other":   merge(form, "csrf", otherTok),
	} {
		t.Run(name, func(t *testing.T) {
			r := b.post("/ui/new", f)
			r.must(t, http.StatusForbidden, "expired or came from another site")
		})
	}
	p, err := e.service.List(t.Context(), shortlink.Filter{})
	if err != nil || len(p.Links) != 0 {
		t.Fatalf("links after refused posts: %v %v", p.Links, err)
	}
	// Every POST route checks it.
	r := b.post("/ui/new", merge(form, "csrf", tok))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%.2000s", r.Status, r.Body)
	}
	code := codeOf(t, r.Header.Get("Location"))
	for _, path := range []string{"/ui/links/" + code + "/toggle", "/ui/links/" + code + "/delete", "/ui/links/" + code + "/edit", "/ui/import", "/ui/import/links.csv", "/ui/logout"} {
		if r := b.post(path, url.Values{"csrf": {"x"}, "target": {shareText}}); r.Status != http.StatusForbidden {
			t.Errorf("POST %s with a wrong token: %d; want 403", path, r.Status)
		}
	}
	if _, err := e.service.Get(t.Context(), "", code); err != nil {
		t.Fatalf("link gone after refused posts: %v", err)
	}
}

func merge(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

var codeRE = regexp.MustCompile(`^/ui/links/([A-Za-z0-9_-]+)`)

func codeOf(t *testing.T, loc string) string {
	t.Helper()
	m := codeRE.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("Location %q is not a link page", loc)
	}
	return m[1]
}

func TestCreateFromShareText(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)

	// The no-JavaScript check step shows what hutong understood, saves nothing.
	r := b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "action": {"check"}})
	r.must(t, http.StatusOK, "What hutong understood", "639750024278", "https://item.taobao.com/item.htm?id=639750024278",
		"aBcDeFgHiJk", "夏季新款纯棉短袖T恤", "id=639750024278", shareText[:10])
	if p, _ := e.service.List(t.Context(), shortlink.Filter{}); len(p.Links) != 0 {
		t.Fatal("check saved a link")
	}
	// The live preview's JSON says the same.
	j := b.get("/ui/parse?u=" + url.QueryEscape(shareText))
	var ans struct {
		Known  bool
		Entity struct{ Kind, ID, Canonical string }
		HTML   string
	}
	if err := json.Unmarshal([]byte(j.Body), &ans); err != nil || !ans.Known || ans.Entity.ID != "639750024278" || !strings.Contains(ans.HTML, "Canonical URL") {
		t.Fatalf("parse JSON: %v %+v", err, ans)
	}
	if r := e.browser().get("/ui/parse?u=x"); r.Status != http.StatusUnauthorized {
		t.Errorf("parse signed out: %d; want 401", r.Status)
	}

	r = b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {"tee-sale"}, "tags": {"summer, tees"},
		"campaign": {"618"}, "utm_source": {"wechat"}, "max_clicks": {"100"}, "buy_now": {"1"}, "sku": {"5123"}, "quantity": {"2"},
		"wechat_tpwd_guide": {"1"}, "expires": {time.Now().Add(48 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04")}, "action": {"create"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/ui/links/tee-sale?created=1" {
		t.Fatalf("create: %d %q\n%.3000s", r.Status, r.Header.Get("Location"), r.Body)
	}
	l, err := e.service.Get(t.Context(), "", "tee-sale")
	if err != nil {
		t.Fatal(err)
	}
	if l.Entity.ID != "639750024278" || l.Campaign != "618" || len(l.Tags) != 2 || l.UTM["utm_source"] != "wechat" ||
		!l.Route.BuyNow || l.Route.SKU != "5123" || l.Route.Quantity != 2 || l.MaxClicks != 100 || l.ExpiresAt == nil || l.Title != "夏季新款纯棉短袖T恤" ||
		!l.Route.WeChatTpwdGuide || l.Tpwd != nil {
		t.Fatalf("stored link: %+v", l)
	}
	d := b.get("/ui/links/tee-sale?created=1")
	d.must(t, http.StatusOK, "Link created.", "In WeChat, show the 淘口令 first", "On, but the link has no 淘口令", "http://hutong.test/tee-sale", "/api/v1/links/tee-sale/qr.png?", "/api/v1/links/tee-sale/qr.svg?",
		`download="hutong-tee-sale.png"`, "WeChat on iPhone", "iPhone Safari", "Desktop browser", "WeChat Pay", "Clicks")
	// The WeChat persona lands where the routing table sends a WeChat tap:
	// buy-now checkout, paid with WeChat Pay, with the link's UTM.
	wechat := between(d.Body, `data-who="land.wechat"`, "</li>")
	if !strings.Contains(wechat, `data-action="redirect"`) || !strings.Contains(wechat, "utm_source=wechat") || !strings.Contains(wechat, "639750024278") {
		t.Errorf("WeChat landing:\n%s", wechat)
	}
	tap := b.get("/tee-sale", "User-Agent", wechatUA)
	if tap.Status != http.StatusFound || !strings.Contains(wechat, htmlEsc(tap.Header.Get("Location"))) {
		t.Errorf("tap goes to %q; the page said:\n%s", tap.Header.Get("Location"), wechat)
	}
	// QR endpoints the page links to answer.
	qr := regexp.MustCompile(`src="(/api/v1/links/tee-sale/qr\.png\?[^"]+)"`).FindStringSubmatch(d.Body)
	if qr == nil {
		t.Fatal("no QR image")
	}
	if r := b.get(strings.ReplaceAll(qr[1], "&amp;", "&")); r.Status != 200 || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR %s: %d %s", qr[1], r.Status, r.Header.Get("Content-Type"))
	}
	// Taken alias: error next to the alias field, the form kept.
	r = b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {"tee-sale"}, "action": {"create"}})
	r.must(t, http.StatusConflict, `id="f-alias-err"`, shareText[:20])
}

func htmlEsc(s string) string { return strings.ReplaceAll(s, "&", "&amp;") }

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

func TestFieldErrors(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	for _, tc := range []struct {
		name, field, value, want string
	}{
		{"empty target", "target", "", "Paste a link or a share text"},
		{"not taobao", "target", "https://example.com/item?id=1", "hutong does not understand this"},
		{"alias", "alias", "a b", "may contain only letters"},
		{"reserved alias", "alias", "api", "reserved"},
		{"max clicks", "max_clicks", "-3", "whole number of 0 or more"},
		{"expiry format", "expires", "tomorrow", "Use a date and time"},
		{"expiry past", "expires", "2020-01-01T00:00", "must be in the future"},
		{"quantity", "quantity", "0", "Quantity is a whole number"},
		{"sku", "sku", "abc", "A SKU is digits only"},
		{"image", "image", "javascript:alert(1)", "Enter an image URL"},
		{"domain", "domain", "evil.example", "not served here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{"csrf": {tok}, "target": {shareText}, "action": {"create"}}
			f.Set(tc.field, tc.value)
			r := b.post("/ui/new", f)
			id := map[string]string{"target": "target", "alias": "alias", "max_clicks": "max_clicks", "expires": "expires",
				"quantity": "quantity", "sku": "sku", "image": "image", "domain": "domain"}[tc.field]
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("status %d\n%.2000s", r.Status, r.Body)
			}
			errP := between(r.Body, `id="f-`+id+`-err"`, "</p>")
			if !strings.Contains(errP, tc.want) && !(tc.field == "domain" && strings.Contains(r.Body, tc.want)) {
				t.Fatalf("error next to %s: %q; want %q\n%.3000s", id, errP, tc.want, r.Body)
			}
		})
	}
	// Escaping: what was typed comes back escaped.
	r := b.post("/ui/new", url.Values{"csrf": {tok}, "target": {`<script>alert(1)</script>`}, "action": {"create"}})
	if strings.Contains(r.Body, "<script>alert") || !strings.Contains(r.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("typed input is not escaped")
	}
	// A read-only key cannot create.
	ro := e.browser()
	rt := ro.signIn(readKey)
	ro.post("/ui/new", url.Values{"csrf": {rt}, "target": {shareText}, "action": {"create"}}).must(t, http.StatusForbidden, "read-only")
}

func TestListFiltersToggleDelete(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	mk := func(alias, tags, campaign, target string) {
		t.Helper()
		r := b.post("/ui/new", url.Values{"csrf": {tok}, "target": {target}, "alias": {alias}, "tags": {tags}, "campaign": {campaign}, "action": {"create"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create %s: %d\n%.2000s", alias, r.Status, r.Body)
		}
	}
	mk("aaa-shirt", "summer", "618", shareText)
	mk("bbb-shop", "summer, shops", "double11", "https://shop123456.taobao.com/")
	mk("ccc-live", "live", "618", "https://tbzb.taobao.com/live?liveId=987654321")

	all := b.get("/ui/links")
	all.must(t, http.StatusOK, "aaa-shirt", "bbb-shop", "ccc-live")
	for q, want := range map[string][]string{
		"tag=summer":        {"aaa-shirt", "bbb-shop"},
		"campaign=618":      {"aaa-shirt", "ccc-live"},
		"q=shop":            {"bbb-shop"},
		"tag=summer&q=aaa":  {"aaa-shirt"},
		"campaign=none-yet": {},
	} {
		r := b.get("/ui/links?" + q)
		r.must(t, http.StatusOK)
		for _, code := range []string{"aaa-shirt", "bbb-shop", "ccc-live"} {
			has := strings.Contains(r.Body, `<strong>`+code+`</strong>`)
			if has != contains(want, code) {
				t.Errorf("?%s: %s listed=%v; want %v", q, code, has, !has)
			}
		}
	}
	b.get("/ui/links?campaign=none-yet").must(t, http.StatusOK, "No link matches")
	// Sorted across all links (newest first is the default), numbered
	// pages, a clicks column, a total and a CSV export of the same links.
	for _, q := range []string{"", "sort=-created", "sort=created"} {
		r := b.get("/ui/links?" + q)
		if strings.Index(r.Body, "<strong>ccc-live") > strings.Index(r.Body, "<strong>aaa-shirt") {
			t.Errorf("?%s: newest is not first", q)
		}
	}
	r := b.get("/ui/links?sort=code")
	if strings.Index(r.Body, "<strong>ccc-live") < strings.Index(r.Body, "<strong>aaa-shirt") {
		t.Error("sort=code: aaa-shirt is not first")
	}
	if !strings.Contains(r.Body, `class="num clicks"`) || !strings.Contains(r.Body, "3 links") {
		t.Errorf("list: no clicks column or total:\n%s", r.Body)
	}
	b.get("/ui/links?page=zero").must(t, http.StatusBadRequest, "first page")
	b.get("/ui/links?page=2").must(t, http.StatusOK, "No links yet")
	ex := b.get("/ui/links/export.csv?sort=code&campaign=")
	ex.must(t, http.StatusOK)
	if recs, err := csv.NewReader(strings.NewReader(ex.Body)).ReadAll(); err != nil || len(recs) != 4 || recs[0][0] != "code" || recs[1][0] != "aaa-shirt" {
		t.Errorf("export.csv: %v %q", err, ex.Body)
	}

	// Disable from the list, back to the list.
	r = b.post("/ui/links/bbb-shop/toggle", url.Values{"csrf": {tok}, "disabled": {"1"}, "next": {"/ui/links?tag=summer"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/ui/links?tag=summer" {
		t.Fatalf("toggle: %d %q", r.Status, r.Header.Get("Location"))
	}
	if l, _ := e.service.Get(t.Context(), "", "bbb-shop"); !l.Disabled {
		t.Fatal("not disabled")
	}
	b.get("/ui/links?tag=summer").must(t, http.StatusOK, "Disabled", "Enable")
	if r := b.get("/bbb-shop", "User-Agent", wechatUA); r.Status != http.StatusGone {
		t.Errorf("disabled link tap: %d; want 410", r.Status)
	}
	// next= must be local.
	r = b.post("/ui/links/bbb-shop/toggle", url.Values{"csrf": {tok}, "disabled": {"0"}, "next": {"https://evil.example/"}})
	if r.Header.Get("Location") != "/ui/links/bbb-shop" {
		t.Fatalf("toggle next=evil: %q", r.Header.Get("Location"))
	}
	// Delete asks first, then deletes.
	b.get("/ui/links/ccc-live/delete").must(t, http.StatusOK, "Delete link", "cannot be undone", `action="/ui/links/ccc-live/delete"`)
	r = b.post("/ui/links/ccc-live/delete", url.Values{"csrf": {tok}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.Status)
	}
	if _, err := e.service.Get(t.Context(), "", "ccc-live"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
		t.Fatalf("after delete: %v", err)
	}
	b.get("/ui/links?deleted=1").must(t, http.StatusOK, "Link deleted.")
	b.get("/ui/links/ccc-live").must(t, http.StatusNotFound, "no such page")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDetailStatsAndEdit(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {"stats-me"}, "action": {"create"}})
	for i := 0; i < 3; i++ {
		b.get("/stats-me?from=singlemessage", "User-Agent", wechatUA)
	}
	b.get("/stats-me", "User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
	var d page
	deadline := time.Now().Add(5 * time.Second)
	for {
		d = b.get("/ui/links/stats-me")
		// The four taps may be written in two batches: wait for all of them.
		if (strings.Contains(d.Body, `<strong id="stat-human">3</strong>`) && strings.Contains(d.Body, `<strong id="stat-bot">1</strong>`)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.must(t, http.StatusOK, `<strong id="stat-human">3</strong>`, `<strong id="stat-bot">1</strong>`, `<svg class="chart"`,
		"wechat", "ios", "chat", "App", "WeChat scene", "Pay channel", "<meter")
	b.get("/ui/links/stats-me?range=48h").must(t, http.StatusOK, `<svg class="chart"`, "h: 3 people")

	// Edit: the form is filled in; changes are saved; errors stay by the field.
	ed := b.get("/ui/links/stats-me/edit")
	ed.must(t, http.StatusOK, "Edit link", `name="version"`, "639750024278", `id="f-wechat_tpwd_guide" name="wechat_tpwd_guide" value="1" aria-describedby`)
	r := b.post("/ui/links/stats-me/edit", url.Values{"csrf": {tok}, "target": {shareText}, "campaign": {"autumn"}, "tags": {"a,b"},
		"wechat_tpwd_guide": {"1"}, "version": {"1"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/ui/links/stats-me?saved=1" {
		t.Fatalf("edit: %d %q\n%.2000s", r.Status, r.Header.Get("Location"), r.Body)
	}
	l, _ := e.service.Get(t.Context(), "", "stats-me")
	if l.Campaign != "autumn" || len(l.Tags) != 2 || !l.Route.WeChatTpwdGuide {
		t.Fatalf("after edit: %+v", l)
	}
	b.get("/ui/links/stats-me/edit").must(t, http.StatusOK, `id="f-wechat_tpwd_guide" name="wechat_tpwd_guide" value="1" checked`)

	// The campaign's pages: its list, its stats with the link's charts
	// (uPlot data, SVG fallback, values named in the page's language) and
	// its links by clicks.
	// Taps count for the campaign the link has when tapped.
	b.get("/stats-me?from=singlemessage", "User-Agent", wechatUA)
	b.get("/stats-me?from=singlemessage", "User-Agent", wechatUA)
	b.get("/ui/campaigns").must(t, http.StatusOK, `href="/ui/campaigns/autumn"`, ">1</td>")
	var cp page
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if cp = b.get("/ui/campaigns/autumn"); strings.Contains(cp.Body, `<strong id="stat-human">2</strong>`) || time.Now().After(deadline) {
			break
		}
	}
	cp.must(t, http.StatusOK, `<strong id="stat-human">2</strong>`, `class="tschart" data-series="{&#34;labels&#34;:`, `<svg class="chart"`,
		`title="chat">Chat</th>`, `title="wechat">WeChat</th>`, `<strong>stats-me</strong>`, `<td class="num clicks" data-label="Clicks">5</td>`,
		`/ui/links/export.csv?campaign=autumn`)
	b.lang = "zh-CN"
	b.get("/ui/campaigns/autumn").must(t, http.StatusOK, `title="chat">单聊</th>`, `title="wechat">微信</th>`, `title="ios">iOS</th>`, "点击最多的短链")
	b.get("/ui/links/stats-me").must(t, http.StatusOK, `title="chat">单聊</th>`, `class="tschart"`)
	b.lang = "en"
	// The overview sums every link: 5 people and a bot today, the top link.
	b.get("/ui/overview").must(t, http.StatusOK, `<strong id="ov-today">5</strong>`, `<strong id="ov-7d">5</strong>`, `<strong id="ov-30d">5</strong>`,
		`+1 bot<`, `<strong>stats-me</strong>`, `title="chat">Chat</th>`, `class="tschart"`)
	st := b.get("/ui/static/uplot-1.6.32.min.js")
	st.must(t, http.StatusOK, "uPlot")
	// A stale version is a conflict, told at the top of the form.
	r = b.post("/ui/links/stats-me/edit", url.Values{"csrf": {tok}, "target": {shareText}, "version": {"1"}})
	r.must(t, http.StatusConflict, "Someone else changed this link")
	r = b.post("/ui/links/stats-me/edit", url.Values{"csrf": {tok}, "target": {shareText}, "max_clicks": {"x"}, "version": {"2"}})
	r.must(t, http.StatusUnprocessableEntity, `id="f-max_clicks-err"`)
	// Unticking the WeChat 淘口令 box turns the switch off.
	r = b.post("/ui/links/stats-me/edit", url.Values{"csrf": {tok}, "target": {shareText}, "campaign": {"autumn"}, "version": {"2"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("edit unticking wechat_tpwd_guide: %d\n%.2000s", r.Status, r.Body)
	}
	if l, _ = e.service.Get(t.Context(), "", "stats-me"); l.Route.WeChatTpwdGuide {
		t.Fatalf("after unticking: route %+v", l.Route)
	}
}

func TestBulkImport(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	b.get("/ui/import").must(t, http.StatusOK, `enctype="multipart/form-data"`, "Bulk import")
	csvFile := "target,alias,tags,campaign\n" +
		shareText + ",bulk-one,a;b,618\n" +
		"https://example.com/not-taobao,bulk-two,,\n" +
		"https://shop123456.taobao.com/,bulk-three,,618\n" +
		"https://item.taobao.com/item.htm?id=1,bulk-one,,\n"
	r := b.postMultipart("/ui/import", map[string]string{"csrf": tok, "format": "auto"}, "links.csv", []byte(csvFile))
	r.must(t, http.StatusOK, "2 created, 2 failed", "http://hutong.test/bulk-one", "http://hutong.test/bulk-three",
		"hutong does not understand this", "taken", `name="l" value="|bulk-one"`)
	csv := b.post("/ui/import/links.csv", url.Values{"csrf": {tok}, "l": {"|bulk-one", "|bulk-three", "|nope-nope", "evil.example|x"}})
	if csv.Status != 200 || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") || !strings.Contains(csv.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV: %d %v", csv.Status, csv.Header)
	}
	lines := strings.Split(strings.TrimSpace(csv.Body), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "http://hutong.test/bulk-one") || !strings.Contains(lines[2], "bulk-three") {
		t.Fatalf("CSV body:\n%s", csv.Body)
	}
	// JSONL pasted, with a bad line.
	jsonl := `{"target": "https://item.taobao.com/item.htm?id=42", "alias": "bulk-json"}` + "\n" + `{"target": 5}` + "\n"
	r = b.postMultipart("/ui/import", map[string]string{"csrf": tok, "text": jsonl}, "", nil)
	r.must(t, http.StatusOK, "1 created, 1 failed", "bulk-json")
	// A file refused as a whole says why.
	r = b.postMultipart("/ui/import", map[string]string{"csrf": tok}, "x.csv", []byte("alias,nope\nx,y\n"))
	r.must(t, http.StatusUnprocessableEntity, "unknown column")
	r = b.postMultipart("/ui/import", map[string]string{"csrf": tok}, "", nil)
	r.must(t, http.StatusUnprocessableEntity, "Choose a file")
}

func TestLanguage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.lang = "zh-CN,zh;q=0.9,en;q=0.5"
	b.get("/ui/login").must(t, http.StatusOK, `<html lang="zh-CN">`, "用 API 密钥登录", `href="/ui/lang?to=en&amp;next=%2fui%2flogin"`)
	b.lang = "en-US,en;q=0.9"
	b.get("/ui/login").must(t, http.StatusOK, `<html lang="en">`, "Sign in with an API key")
	// The switch wins over Accept-Language and comes back where you were.
	r := b.get("/ui/lang?to=zh-CN&next=/ui/login")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/ui/login" {
		t.Fatalf("switch: %d %q", r.Status, r.Header.Get("Location"))
	}
	b.get("/ui/login").must(t, http.StatusOK, `<html lang="zh-CN">`, "API 密钥", "English")
	tok := b.signIn(adminKey)
	b.post("/ui/new", url.Values{"csrf": {tok}, "target": {"hello"}, "action": {"create"}}).must(t, http.StatusUnprocessableEntity, "hutong 看不懂这段内容")
}

// TestEveryPageRenders renders each page in both languages and fails on a
// missing message (‹key›).
func TestEveryPageRenders(t *testing.T) {
	e := newEnv(t)
	for _, lang := range []string{"en", "zh-CN"} {
		b := e.browser()
		b.lang = lang
		b.get("/ui/login").must(t, http.StatusOK)
		tok := b.signIn(adminKey)
		alias := "every-" + strings.ToLower(lang[:2])
		b.post("/ui/new", url.Values{"csrf": {tok}, "target": {"https://m.tb.cn/h.5zxz3j69cN5go4k"}, "alias": {alias}, "action": {"create"}})
		for _, p := range []string{"/ui/new", "/ui/new?target=" + url.QueryEscape(shareText), "/ui/links", "/ui/links/" + alias,
			"/ui/links/" + alias + "/edit", "/ui/links/" + alias + "/delete", "/ui/import", "/ui/domains"} {
			b.get(p).must(t, http.StatusOK)
		}
		b.get("/ui/nope").must(t, http.StatusNotFound)
	}
}

// TestLandingTpwdGuide: the link page's WeChat landing says what a WeChat
// tap gets: the 302 by default, and the page leading with the 淘口令 once
// the link holds one and has "In WeChat, show the 淘口令 first" ticked.
func TestLandingTpwdGuide(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	r := b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {"tp-guide"}, "wechat_tpwd_guide": {"1"}, "action": {"create"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%.2000s", r.Status, r.Body)
	}
	landing := func(who string) string {
		return between(b.get("/ui/links/tp-guide").Body, `data-who="`+who+`"`, "</li>")
	}
	if w := landing("land.wechat"); !strings.Contains(w, `data-action="redirect"`) {
		t.Fatalf("WeChat landing without a 淘口令:\n%s", w)
	}
	if tap := b.get("/tp-guide", "User-Agent", wechatUA); tap.Status != http.StatusFound {
		t.Fatalf("WeChat tap without a 淘口令: %d; want 302", tap.Status)
	}

	l, err := e.service.Get(t.Context(), "", "tp-guide")
	if err != nil {
		t.Fatal(err)
	}
	l.Tpwd = &shortlink.Tpwd{Model: "￥Zx9Kp2mQw4R￥", Simple: "￥Zx9Kp2mQw4R￥", CreatedAt: time.Now().UTC(), Source: shortlink.TpwdPasted}
	if _, err := e.service.Update(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	if w := landing("land.wechat"); !strings.Contains(w, `data-action="tpwd_guide"`) || !strings.Contains(w, "淘口令 page (copy, then open the Taobao app)") {
		t.Fatalf("WeChat landing with a 淘口令 and the switch:\n%s", w)
	}
	if w := landing("land.safari"); !strings.Contains(w, `data-action="interstitial"`) {
		t.Errorf("Safari landing:\n%s", w)
	}
	if tap := b.get("/tp-guide", "User-Agent", wechatUA); tap.Status != http.StatusOK || !strings.Contains(tap.Body, `data-copy="￥Zx9Kp2mQw4R￥"`) {
		t.Fatalf("WeChat tap with a 淘口令 and the switch: %d; want the 淘口令 page\n%.1500s", tap.Status, tap.Body)
	}
}
