package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/track"
)

const (
	itemTaobao = "https://item.taobao.com/item.htm?spm=a230r.1.14.103.3afd7408nYsLtv&id=541989840451&ns=1&abbucket=17#detail"
	itemTmall  = "https://detail.tmall.com/item.htm?id=66608981238&skuId=4000001"
	shopURL    = "https://shop.m.taobao.com/shop/shop_index.htm?shop_id=111126855"
	liveURL    = "https://h5.m.taobao.com/taolive/video.html?id=200000001"
	shareText  = "【淘宝】https://m.tb.cn/h.5zxz3j69cN5go4k?tk=XUymWKIqxIz MF6563 「优衣库女装网眼V领短针织开衫」\n点击链接直接打开"
	bareToken  = "￥XUymWKIqxIz￥"
)

// androidChrome is corpus line "AQQ100" (browser/android), Chrome proper.
const androidChrome = "Mozilla/5.0 (Linux; Android 13; AQQ100) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36"

// TestRoutingTable drives every row of ROUTING.md's default table over a
// real listening server, with User-Agents from the corpus.
func TestRoutingTable(t *testing.T) {
	_, base := testMain(t, nil)
	type want struct {
		status   int
		location string // prefix of Location, "" for none
		body     string // substring of the body
	}
	cases := []struct {
		name, family, input string
		want                want
	}{
		{"wechat ios item", "wechat/ios", itemTaobao, want{302, "https://main.m.taobao.com/security-h5-detail/home?id=541989840451", ""}},
		{"wechat android tmall item keeps sku", "wechat/android", itemTmall, want{302, "https://detail.m.tmall.com/item.htm?id=66608981238&skuId=4000001", ""}},
		{"wechat shop", "wechat/android", shopURL, want{302, "https://shop.m.taobao.com/shop/shop_index.htm?shop_id=111126855", ""}},
		{"wechat live", "wechat/ios", liveURL, want{302, "https://h5.m.taobao.com/taolive/video.html?id=200000001", ""}},
		{"wecom item", "wecom/android", itemTaobao, want{302, "https://main.m.taobao.com/security-h5-detail/home?id=541989840451", ""}},
		{"wechat bare token gets the guide", "wechat/ios", bareToken, want{200, "", "XUymWKIqxIz"}},
		{"mini program gets JSON", "wechat-miniprogram/android", itemTaobao, want{200, "", `"action":"json"`}},
		{"wechat desktop gets PC", "wechat-desktop/windows", itemTaobao, want{302, "https://item.taobao.com/item.htm?id=541989840451", ""}},
		{"taobao app", "taobao/ios", itemTaobao, want{302, "https://main.m.taobao.com/security-h5-detail/home?id=541989840451", ""}},
		{"tmall app tmall item", "tmall/ios", itemTmall, want{302, "https://detail.m.tmall.com/item.htm?id=66608981238", ""}},
		{"alipay", "alipay/android", itemTaobao, want{302, "https://main.m.taobao.com/security-h5-detail/home?id=541989840451", ""}},
		{"qq in-app interstitial", "qq/android", itemTaobao, want{200, "", "tbopen://"}},
		{"weibo in-app interstitial", "weibo/ios", shopURL, want{200, "", "tbopen://"}},
		{"douyin in-app interstitial", "douyin/android", liveURL, want{200, "", "tbopen://"}},
		{"ios safari interstitial", "browser/ios", itemTaobao, want{200, "", "tbopen://"}},
		{"android huawei browser interstitial with tbopen", "browser/android", itemTaobao, want{200, "", "tbopen://"}},
		{"android chrome interstitial with intent", "", itemTaobao, want{200, "", "intent://"}},
		{"desktop windows PC", "browser/windows", itemTaobao, want{302, "https://item.taobao.com/item.htm?id=541989840451", ""}},
		{"desktop mac tmall PC", "browser/macos", itemTmall, want{302, "https://detail.tmall.com/item.htm?id=66608981238&skuId=4000001", ""}},
		{"preview bot gets a card", "bot/other", itemTaobao, want{200, "", `property="og:title"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ua := androidChrome
			if tc.family != "" {
				ua = corpusUA(t, tc.family)
			}
			a := get(t, rURL(base, tc.input), ua)
			if a.Status != tc.want.status {
				t.Fatalf("status: got %d; want %d (Location %q, body %.200s)", a.Status, tc.want.status, a.Location, a.Body)
			}
			if tc.want.location == "" && a.Location != "" {
				t.Errorf("Location: got %q; want none", a.Location)
			}
			if !strings.HasPrefix(a.Location, tc.want.location) {
				t.Errorf("Location: got %q; want prefix %q", a.Location, tc.want.location)
			}
			if !strings.Contains(a.Body, tc.want.body) {
				t.Errorf("body lacks %q: %.300s", tc.want.body, a.Body)
			}
			if cc := a.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control: got %q; want no-store (a cached tap loses edits and clicks)", cc)
			}
			if strings.HasPrefix(a.Location, "tbopen:") || strings.HasPrefix(a.Location, "intent:") {
				t.Errorf("custom scheme as Location: %q", a.Location)
			}
		})
	}
}

// TestParameterPolicy: identity and affiliate parameters reach the
// destination verbatim; WeChat's from/isappinstalled and noise do not; ad
// click IDs are not forwarded by default.
func TestParameterPolicy(t *testing.T) {
	_, base := testMain(t, nil)
	in := "https://detail.tmall.com/item.htm?spm=a1z10.3-b.w4011.2&id=600000000001&ali_trackid=2:mm_123_456_789:1700000000_1_2&union_lens=lensId%3AOPT%401700000000%40abc&scm=1007.123&pvid=xyz"
	a := get(t, rURL(base, in, "from", "groupmessage", "isappinstalled", "0", "gdt_vid", "wx0abc"), corpusUA(t, "wechat/ios"))
	if a.Status != 302 {
		t.Fatalf("status %d, body %.200s", a.Status, a.Body)
	}
	loc := a.Location
	for _, keep := range []string{"id=600000000001", "ali_trackid=2:mm_123_456_789:1700000000_1_2", "union_lens=lensId%3AOPT%401700000000%40abc"} {
		if !strings.Contains(loc, keep) {
			t.Errorf("Location %q lacks %q (kept verbatim)", loc, keep)
		}
	}
	for _, drop := range []string{"spm=", "scm=", "pvid=", "from=", "isappinstalled=", "gdt_vid="} {
		if strings.Contains(loc, drop) {
			t.Errorf("Location %q carries %q (must be stripped)", loc, drop)
		}
	}
}

// TestOpenRedirectAttempts: nothing that is not a Taobao-family page ever
// becomes a Location.
func TestOpenRedirectAttempts(t *testing.T) {
	_, base := testMain(t, nil)
	ua := corpusUA(t, "wechat/ios")
	for _, in := range []string{
		"https://taobao.com.evil.example/item.htm?id=1",
		"https://evil-taobao.com/item.htm?id=1",
		"https://taobao.com@evil.example/item.htm?id=1",
		"https://evil.example\\@item.taobao.com/item.htm?id=1",
		"https://evil.example%2f@item.taobao.com/item.htm?id=1",
		"javascript:alert(1)//item.taobao.com/item.htm?id=1",
		"//evil.example/item.htm?id=1",
		"https://item.taobao.com%0d%0aLocation:%20https://evil.example/",
		"https://item.taobao.com/item.htm?id=1%0d%0aSet-Cookie:x=1",
		"data:text/html,<script>alert(1)</script>",
		"https://evil.example/?u=https%3A%2F%2Fevil2.example%2F",
	} {
		t.Run(in, func(t *testing.T) {
			a := get(t, rURL(base, in), ua)
			if a.Location != "" {
				if u, err := url.Parse(a.Location); err != nil || !(strings.HasSuffix(u.Hostname(), ".taobao.com") || strings.HasSuffix(u.Hostname(), ".tmall.com")) {
					t.Fatalf("Location %q for %q: an open redirect", a.Location, in)
				}
			}
			if a.Status == 302 && a.Location == "" {
				t.Fatalf("302 without Location")
			}
			if h := a.Header.Get("Set-Cookie"); h != "" {
				t.Fatalf("header injection: Set-Cookie %q", h)
			}
		})
	}
	// A plainly foreign link is a clear 4xx page.
	a := get(t, rURL(base, "https://evil.example/x"), ua)
	if a.Status != 400 || a.Location != "" || !strings.Contains(a.Body, "<html") {
		t.Fatalf("foreign link: got %d %q %.100s; want a 400 page", a.Status, a.Location, a.Body)
	}
}

func TestBadInputIsClear(t *testing.T) {
	_, base := testMain(t, nil)
	ua := corpusUA(t, "browser/ios")
	if a := get(t, base+"/r", ua); a.Status != 400 {
		t.Errorf("/r without u: got %d; want 400", a.Status)
	}
	if a := get(t, rURL(base, "https://item.taobao.com/item.htm?id=1&x="+strings.Repeat("a", 5000)), ua); a.Status != 413 {
		t.Errorf("oversize u: got %d; want 413", a.Status)
	}
	a := do(t, http.MethodGet, base+"/api/v1/resolve", nil, nil)
	var e struct {
		Error struct{ Code, Message string }
	}
	decodeJSON(t, a.Body, &e)
	if a.Status != 400 || e.Error.Message == "" {
		t.Errorf("API without u: got %d %q; want 400 with a message", a.Status, a.Body)
	}
	if a := get(t, base+"/no-such-code-zz", ua); a.Status != 404 || !strings.Contains(a.Body, "<html") {
		t.Errorf("unknown code: got %d; want a 404 page", a.Status)
	}
}

// TestHeadHasNoSideEffects: HEAD answers like GET and records nothing.
func TestHeadHasNoSideEffects(t *testing.T) {
	m, base := testMain(t, nil)
	ua := corpusUA(t, "wechat/ios")
	h := do(t, http.MethodHead, rURL(base, itemTaobao), map[string]string{"User-Agent": ua}, nil)
	g := get(t, rURL(base, itemTaobao), ua)
	if h.Status != g.Status || h.Location != g.Location {
		t.Fatalf("HEAD %d %q; GET %d %q", h.Status, h.Location, g.Status, g.Location)
	}
	if n := len(waitEvents(t, m, 1)); n != 1 {
		t.Fatalf("events: got %d; want 1 (the GET only)", n)
	}
}

// TestScenes: WeChat's from= becomes the event's share scene.
func TestScenes(t *testing.T) {
	m, base := testMain(t, nil)
	ua := corpusUA(t, "wechat/android")
	for _, from := range []string{"singlemessage", "groupmessage", "timeline"} {
		if a := get(t, rURL(base, itemTaobao, "from", from, "isappinstalled", "0"), ua); a.Status != 302 || strings.Contains(a.Location, "from=") {
			t.Fatalf("from=%s: %d %q", from, a.Status, a.Location)
		}
	}
	scenes := map[string]int{}
	for _, ev := range waitEvents(t, m, 3) {
		scenes[ev.Scene]++
	}
	for _, s := range []string{"chat", "group", "moments"} {
		if scenes[s] != 1 {
			t.Errorf("scene %s: got %d events; want 1 (all: %v)", s, scenes[s], scenes)
		}
	}
}

// TestResolveAPI: what a mini program calls.
func TestResolveAPI(t *testing.T) {
	_, base := testMain(t, nil)
	a := do(t, http.MethodGet, base+"/api/v1/resolve?"+url.Values{"u": {shareText}}.Encode(),
		map[string]string{"User-Agent": corpusUA(t, "wechat-miniprogram/ios")}, nil)
	var r struct {
		Entity   struct{ Kind, ID, Tpwd string }
		Client   struct{ App string }
		Decision struct{ Action string }
		Copy     string
	}
	decodeJSON(t, a.Body, &r)
	if a.Status != 200 || r.Entity.Tpwd != "XUymWKIqxIz" || r.Client.App != "wechat-miniprogram" || r.Decision.Action != "json" {
		t.Fatalf("got %d %+v", a.Status, r)
	}
	if !strings.Contains(r.Copy, "XUymWKIqxIz") {
		t.Errorf("copy: got %q; want the 淘口令", r.Copy)
	}
}

// waitEvents waits until the service has stored at least n events (the
// recorder writes in the background), then a little longer to catch any
// extra event that should not be there, and returns them all.
func waitEvents(t *testing.T, m *Main, n int) []track.Event {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		evs := events(t, m)
		if len(evs) >= n {
			time.Sleep(200 * time.Millisecond) // a stray event would be in the same or the next batch
			return events(t, m)
		}
		if time.Now().After(deadline) {
			t.Fatalf("events: got %d within 15s; want %d", len(evs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTrustedProxies: X-Forwarded-For is believed only from a configured
// proxy; the recorded IP is truncated either way, never in clear.
func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		want    string
	}{
		{"untrusted peer: XFF ignored", nil, "127.0.0.0"},
		{"trusted loopback proxy: XFF used", []string{"127.0.0.1"}, "203.0.113.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, base := testMain(t, func(c *config.Serve) { c.TrustedProxies = tc.trusted })
			do(t, http.MethodGet, rURL(base, itemTaobao), map[string]string{"User-Agent": corpusUA(t, "wechat/ios"), "X-Forwarded-For": "203.0.113.77"}, nil)
			evs := waitEvents(t, m, 1)
			if len(evs) != 1 || evs[0].IP != tc.want {
				t.Fatalf("recorded IP: got %+v; want %q", evs, tc.want)
			}
		})
	}
}

// TestMetricsAndHealth: /healthz, /readyz and /metrics answer.
func TestMetricsAndHealth(t *testing.T) {
	_, base := testMain(t, nil)
	get(t, rURL(base, itemTaobao), corpusUA(t, "wechat/ios"))
	if a := get(t, base+"/healthz", ""); a.Status != 200 {
		t.Errorf("healthz: %d", a.Status)
	}
	if a := get(t, base+"/readyz", ""); a.Status != 200 || !strings.Contains(a.Body, `"ready":true`) {
		t.Errorf("readyz: %d %s", a.Status, a.Body)
	}
	a := get(t, base+"/metrics", "")
	for _, m := range []string{"hutong_http_requests_total", "hutong_http_request_duration_seconds", "hutong_tap_actions_total", "hutong_track_buffer_depth", "hutong_track_events_written_total", "hutong_link_cache_hits_total", "hutong_link_store_errors_total"} {
		if !strings.Contains(a.Body, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

// TestShortLinkExpansion: an m.tb.cn link in /r is expanded server-side
// (against a local server that answers as m.tb.cn does: an HTML page with
// var url = '…'); when expansion fails the person gets the guide with the
// link and 淘口令 to copy, never a dead end.
func TestShortLinkExpansion(t *testing.T) {
	var hits atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/h.5zxz3j69cN5go4k":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<html><head><script>var url = 'https://item.taobao.com/item.htm?id=639750024278\x26ali_trackid=2:mm_1_2_3:1700000000_1_2\x26spm=a.b';</script></head><body></body></html>`)
		default:
			http.Error(w, "gone", http.StatusInternalServerError)
		}
	}))
	defer fake.Close()
	_, base := testMain(t, func(c *config.Serve) { c.ExpandBaseURL = fake.URL })
	wx := corpusUA(t, "wechat/ios")

	a := get(t, rURL(base, shareText), wx)
	if a.Status != 302 || !strings.HasPrefix(a.Location, "https://main.m.taobao.com/security-h5-detail/home?id=639750024278") ||
		!strings.Contains(a.Location, "ali_trackid=2:mm_1_2_3:1700000000_1_2") || strings.Contains(a.Location, "spm=") {
		t.Fatalf("expanded tap: got %d %q", a.Status, a.Location)
	}
	get(t, rURL(base, shareText), wx)
	if n := hits.Load(); n != 1 {
		t.Errorf("upstream requests: got %d; want 1 (expansions are cached)", n)
	}

	a = get(t, rURL(base, "【淘宝】https://m.tb.cn/h.NOPE123 ￥AbCdEfGh123￥ 「x」"), wx)
	if a.Status != 200 || a.Location != "" || !strings.Contains(a.Body, "AbCdEfGh123") || !strings.Contains(a.Body, "m.tb.cn/h.NOPE123") {
		t.Fatalf("failed expansion: got %d %q; want the guide with the link and token to copy:\n%.400s", a.Status, a.Location, a.Body)
	}
}

// TestEventsOwnTheirMemory: fasthttp reuses a connection's request buffer,
// so anything an event or a metric keeps must be copied. Alternate two
// Referers and methods over one keep-alive connection and check that what
// was recorded is what was sent.
func TestEventsOwnTheirMemory(t *testing.T) {
	m, base := testMain(t, nil)
	ua := corpusUA(t, "wechat/ios")
	const n = 40
	for i := 0; i < n; i++ {
		ref := "https://aaaaaaaaaa.example/x"
		if i%2 == 1 {
			ref = "https://bbbbbbbbbb.example/y"
		}
		do(t, http.MethodGet, rURL(base, itemTaobao), map[string]string{"User-Agent": ua, "Referer": ref}, nil)
		do(t, http.MethodHead, rURL(base, itemTaobao), map[string]string{"User-Agent": ua}, nil)
	}
	evs := waitEvents(t, m, n)
	refs := map[string]int{}
	for _, e := range evs {
		refs[e.Referrer]++
	}
	if refs["aaaaaaaaaa.example"] != n/2 || refs["bbbbbbbbbb.example"] != n/2 {
		t.Fatalf("recorded referrers: %v; want %d of each", refs, n/2)
	}
	metrics := get(t, base+"/metrics", "").Body
	for _, line := range strings.Split(metrics, "\n") {
		if i := strings.Index(line, `method="`); i >= 0 && strings.HasPrefix(line, "hutong_http_requests_total") {
			meth := line[i+8:]
			meth = meth[:strings.IndexByte(meth, '"')]
			if meth != "GET" && meth != "HEAD" {
				t.Errorf("metric with method %q: %s", meth, line)
			}
		}
	}
}

// TestPasswordDecoding: with Taobao Open Platform credentials a bare 淘口令
// is decoded (against a local gateway answering as
// taobao.wireless.share.tpwd.query does) and routed; without them the
// answer says decoding is not configured and offers the token to copy.
func TestPasswordDecoding(t *testing.T) {
	var calls atomic.Int32
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		r.ParseForm()
		if r.Form.Get("method") != "taobao.wireless.share.tpwd.query" || r.Form.Get("sign") == "" || r.Form.Get("app_key") != "test-app" {
			http.Error(w, "bad request", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"wireless_share_tpwd_query_response":{"content":"优衣库女装","url":"https://item.taobao.com/item.htm?id=639750024278","suc":true,"request_id":"x"}}`)
	}))
	defer gw.Close()
	wx := corpusUA(t, "wechat/android")

	_, base := testMain(t, func(c *config.Serve) {
		c.TOPAppKey, c.TOPAppSecret, c.TOPGateway = "test-app", "test-secret", gw.URL+"/router/rest"
	})
	a := get(t, rURL(base, bareToken), wx)
	if a.Status != 302 || !strings.HasPrefix(a.Location, "https://main.m.taobao.com/security-h5-detail/home?id=639750024278") || calls.Load() != 1 {
		t.Fatalf("decoded token: got %d %q after %d gateway calls", a.Status, a.Location, calls.Load())
	}

	_, plain := testMain(t, nil)
	r := do(t, http.MethodGet, plain+"/api/v1/resolve?"+url.Values{"u": {bareToken}}.Encode(), map[string]string{"User-Agent": wx}, nil)
	if r.Status != 200 || !strings.Contains(r.Body, "not configured") || !strings.Contains(r.Body, `"action":"guide"`) {
		t.Fatalf("without credentials: %d %s", r.Status, r.Body)
	}
}

// TestForgedForwardedFor: behind a trusted proxy the client is the rightmost
// untrusted X-Forwarded-For entry; what the client put to its left is not
// believed.
func TestForgedForwardedFor(t *testing.T) {
	m, base := testMain(t, func(c *config.Serve) { c.TrustedProxies = []string{"127.0.0.1", "10.0.0.0/8"} })
	do(t, http.MethodGet, rURL(base, itemTaobao), map[string]string{"User-Agent": corpusUA(t, "wechat/ios"),
		"X-Forwarded-For": "1.2.3.4, 198.51.100.9, 10.1.2.3"}, nil)
	if evs := waitEvents(t, m, 1); evs[0].IP != "198.51.100.0" {
		t.Fatalf("recorded IP: got %q; want 198.51.100.0 (the forged 1.2.3.4 is ignored)", evs[0].IP)
	}
}
