package route

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hutong-dev/hutong/internal/clientinfo"
)

const exampleYAML = `# deployment rules
version: 1
prefer_web: false
strip_sharer: true
forward_params: [gdt_vid, "utm_*"]
intent_browsers: [Chrome, Samsung Browser]
pay_channel_param:
  name: payChannel
  values: {wechat: wxpay}
allowlist_add: [pages.example.com]
templates:
  item_h5: "https://h5.m.taobao.com/awp/core/detail.htm?id={id}[&skuId={sku}]"
  tmall:
    item_h5:
      - "https://detail.m.tmall.com/item.htm?id={id}[&skuId={sku}]"
routes:
  ios:
    item: redirect item_h5
  wechat:
    unknown: {action: info}
    buy_now: {action: redirect, target: item_h5}
`

const exampleJSON = `{
  "version": 1,
  "strip_sharer": true,
  "forward_params": ["gdt_vid", "utm_*"],
  "intent_browsers": ["Chrome", "Samsung Browser"],
  "pay_channel_param": {"name": "payChannel", "values": {"wechat": "wxpay"}},
  "allowlist_add": ["pages.example.com"],
  "templates": {
    "item_h5": "https://h5.m.taobao.com/awp/core/detail.htm?id={id}[&skuId={sku}]",
    "tmall": {"item_h5": ["https://detail.m.tmall.com/item.htm?id={id}[&skuId={sku}]"]}
  },
  "routes": {
    "ios": {"item": "redirect item_h5"},
    "wechat": {"unknown": {"action": "info"}, "buy_now": {"action": "redirect", "target": "item_h5"}}
  }
}
`

func TestRulesValid(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"rules.yaml", exampleYAML},
		{"rules.json", exampleJSON},
		{"rules", exampleJSON},      // JSON by content
		{"rules.conf", exampleYAML}, // YAML by content
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := mustLoad(t, tc.name, tc.src)
			if tb.Source() != tc.name {
				t.Errorf("Source() = %q; want %q", tb.Source(), tc.name)
			}
			check := func(what string, got, want any) {
				t.Helper()
				if got != want {
					t.Errorf("%s: got %v; want %v", what, got, want)
				}
			}
			item := entities[ColItem]
			item.Client = clients["ios"]
			item.Query = "gdt_vid=g1&utm_campaign=c&qz_gdt=no"
			item.Entity.Params = "tk=sharer&pid=mm_1"
			d := tb.Decide(item)
			check("ios item action", d.Action, ActionRedirect)
			check("ios item location", d.Location, "https://h5.m.taobao.com/awp/core/detail.htm?id=1001&pid=mm_1&gdt_vid=g1&utm_campaign=c")

			unk := entities[ColUnknown]
			unk.Client = clients["wechat"]
			check("wechat unknown", tb.Decide(unk).Action, ActionInfo)

			buy := entities[ColBuyNow]
			buy.Client = clients["wechat"]
			d = tb.Decide(buy)
			check("wechat buy", d.Target+" "+d.Location, "item_h5 https://h5.m.taobao.com/awp/core/detail.htm?id=1001&skuId=2002")
			buy.Client = clients["alipay"]
			check("alipay buy", tb.Decide(buy).Location, "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&skuId=2002&quantity=3&buyNow=true")
			buy.Client = clients["wecom"]
			buy.Overrides.NoCheckout = false
			// pay channel param only on checkout: wechat buy is item_h5 here, so check ios (no channel) and a wechat-family buy_h5 cell
			buy.Client = clients["wechat-miniprogram"]
			check("miniprogram buy", tb.Decide(buy).Location, "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&skuId=2002&quantity=3&buyNow=true&payChannel=wxpay")

			if !tb.ForwardsClickID("gdt_vid") || !tb.ForwardsClickID("utm_source") || tb.ForwardsClickID("qz_gdt") || mustNew(t).ForwardsClickID("gdt_vid") {
				t.Errorf("ForwardsClickID: wrong answers")
			}

			samsung := entities[ColItem]
			samsung.Client = clientinfo.Client{App: clientinfo.AppBrowser, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile, Browser: "Samsung Browser"}
			if d := tb.Decide(samsung); d.IntentURL == "" {
				t.Errorf("Samsung Browser: got no IntentURL; want one (intent_browsers)")
			}
			if d := mustNew(t).Decide(samsung); d.IntentURL != "" {
				t.Errorf("Samsung Browser with defaults: got IntentURL; want none")
			}

			desk := entities[ColItem]
			desk.Client = clients["desktop"]
			desk.Overrides.DesktopURL = "https://pages.example.com/landing"
			check("allowlist_add", tb.Decide(desk).Location, "https://pages.example.com/landing")

			tm := entities[ColItem]
			tm.Entity.Platform = "tmall"
			tm.Client = clients["wechat"]
			check("tmall item", tb.Decide(tm).Location, "https://detail.m.tmall.com/item.htm?id=1001")
		})
	}
}

func TestRulesEmptyAndDefaultsExample(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "{}", "---\n"} {
		if _, err := Load(strings.NewReader(src), "empty.yaml"); err != nil {
			t.Errorf("Load(%q) = %v; want nil", src, err)
		}
	}
	// The defaults are themselves a valid rules file.
	if _, err := Load(strings.NewReader(string(DefaultRules())), "defaults-copy.yaml"); err != nil {
		t.Errorf("defaults as a rules file: %v", err)
	}
}

func TestRulesInvalid(t *testing.T) {
	tests := []struct {
		name string
		file string
		src  string
		want string // must appear in the error, with file:line
	}{
		{"yaml syntax", "r.yaml", "prefer_web: true\nroutes:\n  wechat: [\n", "r.yaml:3: invalid YAML"},
		{"yaml bad indent", "r.yaml", "a: b\n c: d\n", "r.yaml:2: invalid YAML"},
		{"unknown top key", "r.yaml", "version: 1\nprefer_webb: true\n", `r.yaml:2: unknown key "prefer_webb" (valid: version, prefer_web,`},
		{"bad version", "r.yaml", "version: 2\n", "r.yaml:1: version: got the number 2; want 1"},
		{"not a bool", "r.yaml", "\n\nno_checkout: yes\n", `r.yaml:3: no_checkout: got "yes"; want true or false`},
		{"duplicate key", "r.yaml", "prefer_web: true\nprefer_web: false\n", "r.yaml:2: prefer_web: duplicate key (first at line 1)"},
		{"unknown class", "r.yaml", "routes:\n  wechat:\n    item: redirect item_h5\n  weixin:\n    item: redirect item_h5\n", `r.yaml:4: routes: unknown key "weixin" (valid: bot, wechat-miniprogram, wechat-desktop, wechat, taobao, alipay, desktop, inapp, ios, android, other)`},
		{"unknown column", "r.yaml", "routes:\n  wechat:\n    items: redirect item_h5\n", `r.yaml:3: routes.wechat: unknown key "items" (valid: item, buy_now, shop, live, search, coupon, short, password, unknown)`},
		{"unknown action", "r.yaml", "routes:\n  ios:\n    item: redirct item_h5\n", `r.yaml:3: routes.ios.item: unknown action "redirct" (valid: redirect, interstitial, guide, json, preview, info)`},
		{"unknown action in mapping", "r.yaml", "routes:\n  ios:\n    item:\n      action: jump\n      target: item_h5\n", `r.yaml:4: routes.ios.item: unknown action "jump"`},
		{"unknown target", "r.yaml", "routes:\n  ios:\n    item:\n      action: redirect\n      target: item_mobile\n", `r.yaml:5: routes.ios.item: unknown target "item_mobile" for column item (valid: item_h5, item_pc)`},
		{"target of another column", "r.yaml", "routes:\n  ios:\n    shop: redirect item_h5\n", `r.yaml:3: routes.ios.shop: unknown target "item_h5" for column shop (valid: shop_h5, shop_pc)`},
		{"redirect without target", "r.yaml", "routes:\n  ios:\n    item: redirect\n", "r.yaml:3: routes.ios.item: action redirect needs a target (valid: item_h5, item_pc)"},
		{"redirect of unknown", "r.yaml", "routes:\n  ios:\n    unknown: redirect\n", "r.yaml:3: routes.ios.unknown: action redirect needs a target, and column unknown has none"},
		{"three words", "r.yaml", "routes:\n  ios:\n    item: redirect item_h5 now\n", `r.yaml:3: routes.ios.item: got "redirect item_h5 now"; want "ACTION" or "ACTION TARGET"`},
		{"unknown template", "r.yaml", "templates:\n  taobao:\n    item_mobile: \"https://m.taobao.com/{id}\"\n", `r.yaml:3: templates.taobao: unknown key "item_mobile" (valid: item_h5, item_pc, buy_h5,`},
		{"unknown platform", "r.yaml", "templates:\n  jd:\n    item_h5: x\n", `r.yaml:2: templates: unknown key "jd" (valid: taobao, tmall, item_h5,`},
		{"template unknown placeholder", "r.yaml", "templates:\n  item_h5: \"https://m.taobao.com/i?id={item}\"\n", `r.yaml:2: templates.item_h5: "https://m.taobao.com/i?id={item}": unknown placeholder {item} (valid: {id}`},
		{"template unclosed", "r.yaml", "templates:\n  item_h5: \"https://m.taobao.com/i?id={id\"\n", "r.yaml:2: templates.item_h5: \"https://m.taobao.com/i?id={id\": unclosed {"},
		{"template nested optional", "r.yaml", "templates:\n  item_h5: \"https://m.taobao.com/i?id={id}[&a=[{sku}]]\"\n", "r.yaml:2: templates.item_h5:"},
		{"template optional without placeholder", "r.yaml", "templates:\n  item_h5: \"https://m.taobao.com/i?id={id}[&a=1]\"\n", "has no placeholder"},
		{"template off the allowlist", "r.yaml", "\ntemplates:\n  tmall:\n    item_pc: \"https://detail.tmall.com.evil.example/item.htm?id={id}\"\n", `r.yaml:4: templates.tmall.item_pc: "https://detail.tmall.com.evil.example/item.htm?id={id}": url not allowed: host "detail.tmall.com.evil.example" is not on the allowlist`},
		{"template host placeholder off the list", "r.yaml", "templates:\n  shop_pc: \"https://{domain}.evil.example/\"\n", `r.yaml:2: templates.taobao.shop_pc: "https://{domain}.evil.example/": url not allowed`},
		{"template relative", "r.yaml", "templates:\n  item_pc: \"/item.htm?id={id}\"\n", "must start with https:// or http://"},
		{"template javascript", "r.yaml", "templates:\n  item_pc: \"javascript:alert({id})\"\n", "must start with https:// or http://"},
		{"template with space", "r.yaml", "templates:\n  item_pc: \"https://item.taobao.com/item.htm?id={id} x\"\n", "r.yaml:2: templates.item_pc:"},
		{"url in web template", "r.yaml", "templates:\n  item_pc: \"https://item.taobao.com/?u={url}\"\n", "{url} is only for the tbopen and intent templates"},
		{"canonical in the middle", "r.yaml", "templates:\n  coupon: \"https://uland.taobao.com/?u={canonical}\"\n", "{canonical} may only start a web template"},
		{"tbopen without url", "r.yaml", "templates:\n  tbopen: \"tbopen://m.taobao.com/tbopen/index.html\"\n", "must use {url}"},
		{"tbopen as https", "r.yaml", "templates:\n  tbopen: \"https://m.taobao.com/?u={url}\"\n", "custom scheme"},
		{"template not a string", "r.yaml", "templates:\n  item_pc: {a: b}\n", "r.yaml:2: templates.item_pc: got a mapping; want a template string or a list of alternatives"},
		{"empty alternatives", "r.yaml", "templates:\n  item_pc: []\n", "r.yaml:2: templates.item_pc: empty list of alternatives"},
		{"allowlist single label", "r.yaml", "allowlist: [taobao.com, com]\n", `r.yaml:1: allowlist: allowlist host "com": need a registrable domain`},
		{"allowlist ip", "r.yaml", "allowlist_add:\n  - 10.0.0.1\n", `r.yaml:2: allowlist_add: allowlist host "10.0.0.1": IP address literal not allowed`},
		{"allowlist breaks defaults", "r.yaml", "\nallowlist: [tmall.com]\n", "r.yaml:2: allowlist: the default template taobao.item_h5 needs host main.m.taobao.com"},
		{"empty allowlist", "r.yaml", "\nallowlist: []\n", "r.yaml:2: allowlist is empty"},
		{"forward bad name", "r.yaml", "forward_params:\n  - gdt_vid\n  - \"a b\"\n", `r.yaml:3: forward_params: bad parameter name "a b"`},
		{"strip wildcard", "r.yaml", "strip_params: [\"utm_*\"]\n", `r.yaml:1: strip_params: bad parameter name "utm_*"`},
		{"pay param no name", "r.yaml", "pay_channel_param:\n  values: {wechat: wxpay}\n", "r.yaml:2: pay_channel_param: needs a name"},
		{"pay param bad channel", "r.yaml", "pay_channel_param:\n  name: pc\n  values:\n    weixin: wxpay\n", `r.yaml:4: pay_channel_param.values: unknown key "weixin" (valid: wechat, alipay)`},
		{"list not string", "r.yaml", "intent_browsers: Chrome\n", `r.yaml:1: intent_browsers: got "Chrome"; want a list of strings`},
		{"top is a list", "r.yaml", "- a\n- b\n", "r.yaml:1: got a list; want a mapping"},
		{"json syntax", "r.json", "{\n  \"prefer_web\": true,\n  \"routes\": {\n    \"ios\": {\"item\": \"redirect item_h5\",}\n  }\n}\n", "r.json:4: invalid JSON"},
		{"json truncated", "r.json", "{\n  \"prefer_web\": true,\n", "r.json:3: invalid JSON: unexpected end of JSON input"},
		{"json trailing data", "r.json", "{\"prefer_web\": true}\n\n{}\n", "r.json:3: invalid JSON: data after the top-level object"},
		{"json type", "r.json", "{\n\n  \"strip_sharer\": \"true\"\n}", `r.json:3: strip_sharer: got "true"; want true or false`},
		{"json unknown key", "r.json", "{\n  \"routes\": {\n    \"ios\": {\n      \"item\": \"redirect item_h5\",\n      \"itme\": \"info\"\n    }\n  }\n}", `r.json:5: routes.ios: unknown key "itme"`},
		{"json unknown action", "r.json", "{\"routes\": {\n\"ios\": {\n\"item\": {\"action\": \"go\",\n \"target\": \"item_h5\"}}}}", `r.json:3: routes.ios.item: unknown action "go"`},
		{"json bad target line", "r.json", "{\"routes\": {\n\"ios\": {\n\"item\": {\"action\": \"redirect\",\n \"target\": \"x\"}}}}", `r.json:4: routes.ios.item: unknown target "x"`},
		{"json by content", "rules", "{\n\"nope\": 1}", `rules:2: unknown key "nope"`},
		{"json duplicate", "r.json", "{\"prefer_web\": true,\n\"prefer_web\": true}", "r.json:2: prefer_web: duplicate key (first at line 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.src), tt.file)
			if err == nil {
				t.Fatalf("got nil error; want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q; want it to contain %q", err, tt.want)
			}
			var re *RulesError
			if !errors.As(err, &re) || re.File != tt.file {
				t.Errorf("got %T %v; want a *RulesError for %s", err, err, tt.file)
			}
		})
	}
}

func TestRulesSeveralErrors(t *testing.T) {
	_, err := Load(strings.NewReader("prefer_web: 1\nno_checkout: 2\n"), "r.yaml")
	if err == nil || !strings.Contains(err.Error(), "r.yaml:1:") || !strings.Contains(err.Error(), "r.yaml:2:") {
		t.Errorf("got %v; want errors at lines 1 and 2", err)
	}
}

func TestRulesLimits(t *testing.T) {
	big := strings.Repeat("#", maxRulesSize+1)
	if _, err := Load(strings.NewReader(big), "big.yaml"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge file: got %v; want a size error", err)
	}
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if _, err := Load(strings.NewReader(deep), "deep.json"); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("deep JSON: got %v; want a depth error", err)
	}
	// An alias bomb must stop at the node budget, not expand.
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	if _, err := Load(strings.NewReader(b.String()), "bomb.yaml"); err == nil {
		t.Errorf("alias bomb: got nil error")
	}
}

func TestWithAllowlist(t *testing.T) {
	a, err := NewAllowlist("taobao.com", "tmall.com", "example.com")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := New(WithAllowlist(a))
	if err != nil {
		t.Fatal(err)
	}
	r := entities[ColItem]
	r.Client = clients["desktop"]
	r.Overrides.DesktopURL = "https://www.example.com/"
	if d := tb.Decide(r); d.Location != "https://www.example.com/" {
		t.Errorf("got %s %q; want the example.com desktop URL", d.Action, d.Location)
	}
	r.Overrides.DesktopURL = "https://www.alipay.com/"
	if d := tb.Decide(r); d.Action != ActionInfo {
		t.Errorf("alipay.com not on the option's list: got %s; want info", d.Action)
	}
	// WithExtraHosts adds to the rules file's list instead of replacing it.
	tb2, err := Load(strings.NewReader("allowlist_add: [example.org]\n"), "r.yaml", WithExtraHosts("example.net"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"www.example.org", "www.example.net", "item.taobao.com"} {
		if !tb2.Allowlist().Allowed(h) {
			t.Errorf("WithExtraHosts: %s not allowed; hosts %v", h, tb2.Allowlist().Hosts())
		}
	}
	if _, err := New(WithExtraHosts("127.0.0.1")); err == nil {
		t.Errorf("WithExtraHosts(IP): got nil error")
	}
	narrow, _ := NewAllowlist("tmall.com")
	if _, err := New(WithAllowlist(narrow)); err == nil {
		t.Errorf("allowlist without taobao.com: got nil error; want the default templates refused")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestHolderReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	writeFile(t, path, "routes:\n  ios:\n    item: redirect item_h5\n")
	tb, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHolder(tb)
	r := entities[ColItem]
	r.Client = clients["ios"]
	if got := h.Load().Decide(r).Action; got != ActionRedirect {
		t.Fatalf("first rules: got %s; want redirect", got)
	}

	writeFile(t, path, "routes:\n  ios:\n    item: interstitial item_h5\n")
	if err := h.Reload(path); err != nil {
		t.Fatal(err)
	}
	if got := h.Load().Decide(r).Action; got != ActionInterstitial {
		t.Fatalf("after reload: got %s; want interstitial", got)
	}

	writeFile(t, path, "routes:\n  ios:\n    item: teleport item_h5\n")
	err = h.Reload(path)
	if err == nil || !strings.Contains(err.Error(), path+":3:") {
		t.Fatalf("bad reload: got %v; want an error at %s:3", err, path)
	}
	if got := h.Load().Decide(r).Action; got != ActionInterstitial {
		t.Errorf("after a bad reload: got %s; want the old table (interstitial)", got)
	}
	if err := h.Reload(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Errorf("missing file: got nil error")
	}
	if h.Load() == nil {
		t.Errorf("missing file replaced the table")
	}

	var zero Holder
	if zero.Load() != nil {
		t.Errorf("zero Holder: Load() != nil")
	}
	zero.Store(tb)
	if zero.Load() != tb {
		t.Errorf("Store then Load: got another table")
	}
}

// TestHolderConcurrentReload runs Decide while rules are reloaded; run
// with -race.
func TestHolderConcurrentReload(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	good2 := filepath.Join(dir, "good2.json")
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, good, "routes:\n  ios:\n    item: redirect item_h5\n")
	writeFile(t, good2, `{"routes": {"ios": {"item": "interstitial item_h5"}}}`)
	writeFile(t, bad, "routes:\n  ios:\n    item: nope\n")
	h := NewHolder(mustNew(t))
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := entities[ColItem]
			r.Client = clients["ios"]
			for !stop.Load() {
				d := h.Load().Decide(r)
				if d.Location != pageURLs["item_h5"] {
					t.Errorf("got Location %q during reloads", d.Location)
					return
				}
			}
		}()
	}
	for i := 0; i < 30; i++ {
		if err := h.Reload([]string{good, good2}[i%2]); err != nil {
			t.Error(err)
		}
		if err := h.Reload(bad); err == nil {
			t.Error("bad rules reloaded")
		}
	}
	stop.Store(true)
	wg.Wait()
}

func FuzzLoad(f *testing.F) {
	f.Add("r.yaml", exampleYAML)
	f.Add("r.json", exampleJSON)
	f.Add("r.yaml", "routes: {ios: {item: redirect item_h5}}")
	f.Add("r.yaml", "templates: {item_h5: \"https://a.taobao.com/{id}[&s={sku}]\"}")
	f.Add("r.json", `{"templates": {"tmall": {"shop_pc": ["https://{domain}.tmall.com/"]}}}`)
	f.Add("r.yaml", "a: &a [*a]")
	f.Fuzz(func(t *testing.T, name, src string) {
		tb, err := Load(strings.NewReader(src), name)
		if err != nil {
			var re *RulesError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v is not a *RulesError", err, err)
			}
			return
		}
		// Whatever loaded must still route safely.
		for _, c := range []string{"wechat", "ios", "android", "desktop"} {
			for _, col := range []Column{ColItem, ColShop, ColCoupon} {
				r := entities[col]
				r.Client = clients[c]
				d := tb.Decide(r)
				if d.Location != "" && tb.Allowlist().Check(d.Location) != nil {
					t.Fatalf("Location %q off the allowlist", d.Location)
				}
			}
		}
	})
}

// TestREADMEExamples loads the rules examples of README.md.
func TestREADMEExamples(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"yaml", "json"} {
		parts := strings.SplitN(string(doc), "```"+lang+"\n", 2)
		if len(parts) != 2 {
			t.Fatalf("README.md has no %s example", lang)
		}
		src, _, _ := strings.Cut(parts[1], "```")
		if _, err := Load(strings.NewReader(src), "README."+lang); err != nil {
			t.Errorf("README %s example: %v", lang, err)
		}
	}
}
