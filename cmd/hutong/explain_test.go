package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUAExplain: --explain keeps the contract fields and adds the rule.
func TestUAExplain(t *testing.T) {
	// Real desktop mini-program UA (testdata/ua-dev.jsonl, source there).
	const ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/98.0.4758.102 Safari/537.36 MicroMessenger/6.8.0(0x16080000) NetType/WIFI MiniProgramEnv/Mac MacWechat/WMPF XWEB/30817"
	code, out, _ := runCLI(t, "", "ua", "--explain", ua)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var r struct {
		UA, App, OS, Device string
		Explain             map[string]string
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.UA != ua || r.App != "wechat-miniprogram" || r.OS != "macos" || r.Device != "desktop" {
		t.Errorf("got %+v; want wechat-miniprogram/macos/desktop", r)
	}
	if !strings.Contains(r.Explain["app"], "MiniProgramEnv/") || r.Explain["os"] == "" || r.Explain["device"] == "" {
		t.Errorf("explain = %v; want the app, os and device rules", r.Explain)
	}
	// Without the flag there is no explain field.
	if _, out, _ := runCLI(t, "", "ua", ua); strings.Contains(out, `"explain"`) {
		t.Errorf("ua without --explain printed an explanation: %s", out)
	}
}

// TestResolveExplain: --explain names the rule, the unknown-host policy
// included.
func TestResolveExplain(t *testing.T) {
	for _, c := range []struct{ in, kind, rule string }{
		{"http://hws.m.taobao.com/cache/wdetail/5.0/?id=548240491053", "item", "query names the entity"},
		{"https://shop105912646.taobao.com", "shop", "shop sub-domain"},
		{"https://pages.tmall.com/wow/jinkou/act/zhiying", "unknown", "not an entity"},
		{"https://nottaobao.com/x", "unknown", "no Taobao-family"},
	} {
		code, out, _ := runCLI(t, "", "resolve", "--explain", c.in)
		if code != 0 {
			t.Fatalf("%s: exit %d", c.in, code)
		}
		var r struct{ Kind, Explain string }
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if r.Kind != c.kind || !strings.Contains(r.Explain, c.rule) {
			t.Errorf("resolve --explain %s: kind %q explain %q; want %q and a rule mentioning %q", c.in, r.Kind, r.Explain, c.kind, c.rule)
		}
	}
}
