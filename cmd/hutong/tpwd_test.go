package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/resolver/remote/toptest"
)

const (
	topKey    = "23456789"
	topSecret = "hutong-test-secret"
	promoLink = "https://s.click.taobao.com/t?e=m%3D2%26s%3DFakePromo1&pvid=10_1"
	ulandLink = "https://uland.taobao.com/coupon/edetail?e=FakeUland2&pid=mm_1_2_3"

	uaWeChatIOS17   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2b) NetType/WIFI Language/zh_CN"
	uaWeChatIOS13   = "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/7.0.10(0x17000a21) NetType/WIFI Language/zh_CN"
	uaWeChatAndroid = "Mozilla/5.0 (Linux; Android 12; V2049A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5061 MMWEBSDK/20230303 MMWEBID/1234 MicroMessenger/8.0.34.2340(0x2800225F) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)

type tpwdLink struct {
	Code      string
	ShortURL  string `json:"short_url"`
	TpwdError string `json:"tpwd_error"`
	Tpwd      *struct {
		Model, Simple, Source string
		CreatedAt             string `json:"created_at"`
	}
}

func topTweak(gw *toptest.Server, sign string) func(*config.Serve) {
	return func(c *config.Serve) {
		c.TOPAppKey, c.TOPAppSecret, c.TOPGateway, c.TOPSignMethod = topKey, topSecret, gw.RestURL(), sign
	}
}

// TestTpwdLinks: a link made with "tpwd": true holds the minted 淘口令 on
// both stores; taps show the form for the tapper's OS and never call the
// platform; bad input and platform errors make no link.
func TestTpwdLinks(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		gw := toptest.New(t, topKey, topSecret)
		m, base := testMain(t, func(c *config.Serve) { tweak(c); topTweak(gw, "hmac-sha256")(c) })

		a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": promoLink, "tpwd": true, "route": map[string]any{"wechat_tpwd_guide": true}})
		var l tpwdLink
		decodeJSON(t, a.Body, &l)
		if a.Status != 201 || l.Tpwd == nil || l.Tpwd.Source != "created" || !strings.HasPrefix(l.Tpwd.Simple, "￥") ||
			!strings.Contains(l.Tpwd.Model, strings.Trim(l.Tpwd.Simple, "￥")) || l.Tpwd.CreatedAt == "" {
			t.Fatalf("create with tpwd: %d %s", a.Status, a.Body)
		}
		if n := len(gw.Calls()); n != 1 {
			t.Fatalf("platform calls after one create = %d; want 1", n)
		}
		g := api(t, "GET", base+"/api/v1/links/"+l.Code, nil)
		var got tpwdLink
		decodeJSON(t, g.Body, &got)
		if got.Tpwd == nil || *got.Tpwd != *l.Tpwd || !strings.Contains(g.Body, `"wechat_tpwd_guide":true`) {
			t.Fatalf("stored tpwd: %s", g.Body)
		}

		for _, tc := range []struct {
			name, ua, want, notWant string
		}{
			{"WeChat iOS 17: model", uaWeChatIOS17, l.Tpwd.Model, ""},
			{"WeChat iOS 13: simple", uaWeChatIOS13, l.Tpwd.Simple, l.Tpwd.Model},
			{"WeChat Android: simple", uaWeChatAndroid, l.Tpwd.Simple, l.Tpwd.Model},
			{"WeCom Android: simple", corpusUA(t, "wecom/android"), l.Tpwd.Simple, l.Tpwd.Model},
		} {
			for i := 0; i < 3; i++ { // cold, then from the decision/page caches
				p := get(t, base+"/"+l.Code, tc.ua)
				if p.Status != 200 || !strings.Contains(p.Body, `data-copy="`+tc.want+`"`) ||
					(tc.notWant != "" && strings.Contains(p.Body, tc.notWant)) ||
					!strings.Contains(p.Body, `data-beacon="/api/v1/beacon/`+l.Code+`?action=copy_tpwd"`) ||
					!strings.Contains(p.Body, `href="https://s.click.taobao.com/`) {
					t.Fatalf("%s (tap %d): %d %s", tc.name, i+1, p.Status, p.Body)
				}
			}
		}
		// Guide pages are cached per host too: the link to copy is the
		// short URL on the host that was tapped.
		if other := strings.Replace(base, "127.0.0.1", "localhost", 1); other != base {
			for i := 0; i < 2; i++ {
				for _, b := range []string{base, other, base} {
					if p := get(t, b+"/"+l.Code, uaWeChatIOS17); p.Status != 200 || !strings.Contains(p.Body, b+"/"+l.Code) {
						t.Fatalf("guide page tapped on %s (round %d): %d, want the link %s/%s to copy: %.600s", b, i+1, p.Status, b, l.Code, p.Body)
					}
				}
			}
		}
		// The interstitial of a mobile browser copies the token too.
		p := get(t, base+"/"+l.Code, "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1")
		if p.Status != 200 || !strings.Contains(p.Body, `data-copy="`+l.Tpwd.Model+`"`) || !strings.Contains(p.Body, `id="open"`) {
			t.Fatalf("iOS Safari interstitial: %d %s", p.Status, p.Body)
		}
		// The mini program gets JSON with the token.
		mp := get(t, base+"/"+l.Code, corpusUA(t, "wechat-miniprogram/android"))
		if mp.Status != 200 || !strings.Contains(mp.Body, `"copy":"`+l.Tpwd.Simple+`"`) || !strings.Contains(mp.Body, `"source":"created"`) {
			t.Fatalf("mini program: %d %s", mp.Status, mp.Body)
		}
		if n := len(gw.Calls()); n != 1 {
			t.Fatalf("platform calls after taps = %d; want still 1 (a tap never calls the platform)", n)
		}

		// Without route.wechat_tpwd_guide a WeChat tap on a link with a
		// 淘口令 is ROUTING.md's default 302 to the web page; PATCH turns
		// the guide on and off, the next tap follows at once.
		a = api(t, "POST", base+"/api/v1/links", map[string]any{"target": ulandLink + "&plain=1", "tpwd": true})
		var plain tpwdLink
		decodeJSON(t, a.Body, &plain)
		if a.Status != 201 || plain.Tpwd == nil || strings.Contains(a.Body, "wechat_tpwd_guide") {
			t.Fatalf("create without the switch: %d %s", a.Status, a.Body)
		}
		wechatTaps := func(wantGuide bool, when string) {
			t.Helper()
			for _, ua := range []string{uaWeChatIOS17, uaWeChatAndroid, corpusUA(t, "wecom/android")} {
				for i := 0; i < 3; i++ { // cold, then from the decision cache
					p := get(t, base+"/"+plain.Code, ua)
					if wantGuide {
						if p.Status != 200 || !strings.Contains(p.Body, "data-copy=") || !strings.Contains(p.Body, "copy_tpwd") {
							t.Fatalf("%s: WeChat tap %d (%.40s…): %d %.300s; want the 淘口令 page", when, i+1, ua, p.Status, p.Body)
						}
					} else if p.Status != 302 || !strings.HasPrefix(p.Header.Get("Location"), "https://uland.taobao.com/") {
						t.Fatalf("%s: WeChat tap %d (%.40s…): %d Location %q; want 302 to the uland page", when, i+1, ua, p.Status, p.Header.Get("Location"))
					}
				}
			}
		}
		wechatTaps(false, "default")
		if r := api(t, "PATCH", base+"/api/v1/links/"+plain.Code, map[string]any{"route": map[string]any{"wechat_tpwd_guide": true}}); r.Status != 200 {
			t.Fatalf("PATCH wechat_tpwd_guide: %d %s", r.Status, r.Body)
		}
		wechatTaps(true, "after PATCH on")
		if r := api(t, "PATCH", base+"/api/v1/links/"+plain.Code, map[string]any{"route": map[string]any{}}); r.Status != 200 {
			t.Fatalf("PATCH route {}: %d %s", r.Status, r.Body)
		}
		wechatTaps(false, "after PATCH off")
		// The switch does nothing on a link without a 淘口令.
		a = api(t, "POST", base+"/api/v1/links", map[string]any{"target": "https://item.taobao.com/item.htm?id=812345678902", "route": map[string]any{"wechat_tpwd_guide": true}})
		var bare tpwdLink
		decodeJSON(t, a.Body, &bare)
		if p := get(t, base+"/"+bare.Code, uaWeChatIOS17); a.Status != 201 || p.Status != 302 {
			t.Fatalf("switch without a 淘口令: create %d %s, tap %d; want 302", a.Status, a.Body, p.Status)
		}
		const taps = 4*3 + 1 + 1 + 3*3*3 + 1 // opted-in link, Safari, mini program, plain link, bare link

		// The beacon is counted as action copy_tpwd.
		if b := do(t, http.MethodPost, base+"/api/v1/beacon/"+l.Code+"?action=copy_tpwd", map[string]string{"User-Agent": uaWeChatIOS17}, nil); b.Status != 204 {
			t.Fatalf("beacon: %d %s", b.Status, b.Body)
		}
		if b := do(t, http.MethodPost, base+"/api/v1/beacon/nosuchcode?action=copy_tpwd", nil, nil); b.Status != 404 {
			t.Errorf("beacon for an unknown code: %d", b.Status)
		}
		if b := do(t, http.MethodPost, base+"/api/v1/beacon/"+l.Code+"?action=other", nil, nil); b.Status != 400 {
			t.Errorf("beacon with another action: %d", b.Status)
		}
		evs := waitEvents(t, m, taps+1)
		copies := 0
		for _, e := range evs {
			if e.Action == "copy_tpwd" {
				copies++
			}
		}
		if copies != 1 {
			t.Fatalf("copy_tpwd events = %d; want 1", copies)
		}
		st := api(t, "GET", base+"/api/v1/links/"+l.Code+"/stats", nil)
		if st.Status != 200 || !strings.Contains(st.Body, `"copy_tpwd":1`) {
			t.Fatalf("stats lack action copy_tpwd: %d %s", st.Status, st.Body)
		}

		// Errors: nothing is stored.
		before := api(t, "GET", base+"/api/v1/links?limit=100", nil).Body
		for _, tc := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
			msg    string
		}{
			{"not a promotion link", map[string]any{"target": "https://item.taobao.com/item.htm?id=812345678901", "tpwd": true}, 422, "not_promotion_link", "s.click.taobao.com"},
			{"no permission", map[string]any{"target": promoLink + "&noperm=1", "tpwd": true}, 403, "tpwd_forbidden", "Insufficient isv permissions"},
			{"call limit", map[string]any{"target": promoLink + "&limited=1", "tpwd": true}, 429, "tpwd_rate_limited", "App Call Limited"},
			{"bad value", map[string]any{"target": promoLink, "tpwd": 3}, 400, "invalid", "tpwd"},
			{"pasted text without a token", map[string]any{"target": promoLink, "tpwd": "hello"}, 422, "invalid_tpwd", "no 淘口令"},
		} {
			r := api(t, "POST", base+"/api/v1/links", tc.body)
			if r.Status != tc.status || !strings.Contains(r.Body, `"code":"`+tc.code+`"`) || !strings.Contains(r.Body, tc.msg) {
				t.Errorf("%s: %d %s; want %d %s mentioning %q", tc.name, r.Status, r.Body, tc.status, tc.code, tc.msg)
			}
		}
		if after := api(t, "GET", base+"/api/v1/links?limit=100", nil).Body; after != before {
			t.Errorf("failed creates stored links:\nbefore %s\nafter  %s", before, after)
		}

		// Pasted and optional.
		r := api(t, "POST", base+"/api/v1/links", map[string]any{"target": "https://item.taobao.com/item.htm?id=812345678901",
			"tpwd": "【淘宝】限时特惠 https://m.tb.cn/h.5abc ￥Zx9Kp2mQw4R￥ CZ0001"})
		decodeJSON(t, r.Body, &got)
		if r.Status != 201 || got.Tpwd == nil || got.Tpwd.Source != "pasted" || got.Tpwd.Simple != "￥Zx9Kp2mQw4R￥" {
			t.Fatalf("pasted: %d %s", r.Status, r.Body)
		}
		gw.SetFailing(true)
		r = api(t, "POST", base+"/api/v1/links", map[string]any{"target": ulandLink, "tpwd": "optional"})
		var opt tpwdLink
		decodeJSON(t, r.Body, &opt)
		if r.Status != 201 || opt.Tpwd != nil || !strings.Contains(opt.TpwdError, "Taobao Open Platform") {
			t.Fatalf("optional with a failing platform: %d %s", r.Status, r.Body)
		}
		r = api(t, "POST", base+"/api/v1/links", map[string]any{"target": ulandLink, "tpwd": true})
		if r.Status != 502 || !strings.Contains(r.Body, "tpwd_upstream") {
			t.Fatalf("tpwd true with a failing platform: %d %s; want 502 tpwd_upstream", r.Status, r.Body)
		}
		gw.SetFailing(false)

		// Bulk: the tpwd column.
		csv := "target,tpwd,wechat_tpwd_guide\n" + ulandLink + ",true,1\n" + "https://item.taobao.com/item.htm?id=1,1,\n" + "https://item.taobao.com/item.htm?id=2,,\n"
		b := do(t, "POST", base+"/api/v1/links/bulk", map[string]string{"Authorization": "Bearer " + adminKey, "Content-Type": "text/csv"}, strings.NewReader(csv))
		if b.Status != 200 || !strings.Contains(b.Body, `"created":2`) || !strings.Contains(b.Body, "not_promotion_link") {
			t.Fatalf("bulk with tpwd: %d %s", b.Status, b.Body)
		}
		var bulk struct{ Rows []struct{ Code string } }
		decodeJSON(t, b.Body, &bulk)
		for i, want := range []bool{true, false, false} {
			if i == 1 {
				continue // the row refused (not a promotion link)
			}
			g := api(t, "GET", base+"/api/v1/links/"+bulk.Rows[i].Code, nil)
			if strings.Contains(g.Body, `"wechat_tpwd_guide":true`) != want {
				t.Errorf("bulk row %d: wechat_tpwd_guide want %v: %s", i+1, want, g.Body)
			}
		}

		// CLI: hutong link create --tpwd.
		code, out, errOut := runCLI(t, "", "link", "create", "--server", base, "--api-key", adminKey, "--tpwd", promoLink+"&cli=1")
		if code != 0 || !strings.Contains(out, `"source": "created"`) || strings.Contains(out, "wechat_tpwd_guide") {
			t.Fatalf("hutong link create --tpwd: exit %d\n%s\n%s", code, out, errOut)
		}
		code, out, errOut = runCLI(t, "", "link", "create", "--server", base, "--api-key", adminKey, "--tpwd", "--wechat-tpwd-guide", promoLink+"&cli=2")
		if code != 0 || !strings.Contains(out, `"source": "created"`) || !strings.Contains(out, `"wechat_tpwd_guide": true`) {
			t.Fatalf("hutong link create --tpwd --wechat-tpwd-guide: exit %d\n%s\n%s", code, out, errOut)
		}
		code, _, errOut = runCLI(t, "", "link", "create", "--server", base, "--api-key", adminKey, "--tpwd", "https://item.taobao.com/item.htm?id=3")
		if code == 0 || !strings.Contains(errOut, "promotion link") {
			t.Fatalf("hutong link create --tpwd on an item URL: exit %d, %s", code, errOut)
		}
	})
}

// TestTpwdCircuitAndTimeout: a slow platform times out with a 502; after
// repeated failures the circuit opens (503, no further calls), and
// "optional" still makes links.
func TestTpwdCircuitAndTimeout(t *testing.T) {
	gw := toptest.New(t, topKey, topSecret)
	_, base := testMain(t, func(c *config.Serve) {
		c.InitialAPIKey = adminKey
		topTweak(gw, "md5")(c)
		c.TOPTimeout = 100e6 // 100ms
	})
	gw.SetDelay(400e6)
	r := api(t, "POST", base+"/api/v1/links", map[string]any{"target": promoLink, "tpwd": true})
	if r.Status != 502 || !strings.Contains(r.Body, "did not answer in time") {
		t.Fatalf("slow platform: %d %s", r.Status, r.Body)
	}
	gw.SetDelay(0)
	gw.SetFailing(true)
	for i := 0; i < 4; i++ {
		api(t, "POST", base+"/api/v1/links", map[string]any{"target": promoLink + "&i=" + string(rune('a'+i)), "tpwd": true})
	}
	hits := gw.Hits()
	r = api(t, "POST", base+"/api/v1/links", map[string]any{"target": promoLink + "&z=1", "tpwd": true})
	if r.Status != 503 || !strings.Contains(r.Body, "tpwd_unavailable") || gw.Hits() != hits {
		t.Fatalf("open circuit: %d %s (gateway hits %d → %d)", r.Status, r.Body, hits, gw.Hits())
	}
	r = api(t, "POST", base+"/api/v1/links", map[string]any{"target": promoLink + "&z=2", "tpwd": "optional"})
	if r.Status != 201 || !strings.Contains(r.Body, "tpwd_error") {
		t.Fatalf("optional with the circuit open: %d %s", r.Status, r.Body)
	}
}
