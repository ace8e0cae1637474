package route

import (
	"strings"
	"testing"
)

func TestTemplateExpand(t *testing.T) {
	tests := []struct {
		name string
		srcs []string
		vals map[varID]string
		want string // "" = no alternative fits
	}{
		{"required only", []string{"https://a.taobao.com/i?id={id}"}, map[varID]string{varEntityID: "1"}, "https://a.taobao.com/i?id=1"},
		{"optional present", []string{"https://a.taobao.com/i?id={id}[&skuId={sku}]"}, map[varID]string{varEntityID: "1", varSKU: "2"}, "https://a.taobao.com/i?id=1&skuId=2"},
		{"optional absent", []string{"https://a.taobao.com/i?id={id}[&skuId={sku}]"}, map[varID]string{varEntityID: "1"}, "https://a.taobao.com/i?id=1"},
		{"optional needs all", []string{"https://a.taobao.com/i?id={id}[&s={sku}&q={qty}]"}, map[varID]string{varEntityID: "1", varSKU: "2"}, "https://a.taobao.com/i?id=1"},
		{"missing required", []string{"https://a.taobao.com/i?id={id}"}, nil, ""},
		{"first fitting alternative", []string{"https://shop{shop_id}.taobao.com/", "https://{domain}.tmall.com/"}, map[varID]string{varDomain: "nike"}, "https://nike.tmall.com/"},
		{"escaping", []string{"https://s.taobao.com/search?q={q}"}, map[varID]string{varQ: "a b&c=d#e/f?g%h+i中"}, "https://s.taobao.com/search?q=a%20b%26c%3Dd%23e%2Ff%3Fg%25h%2Bi%E4%B8%AD"},
		{"canonical verbatim", []string{"{canonical}"}, map[varID]string{varCanonical: "https://uland.taobao.com/x?e=a%3D"}, "https://uland.taobao.com/x?e=a%3D"},
		{"unreserved kept", []string{"https://a.taobao.com/{id}"}, map[varID]string{varEntityID: "Az09-._~"}, "https://a.taobao.com/Az09-._~"},
	}
	for _, tt := range tests {
		tpl, err := compileTemplate("t", tt.srcs, true)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var vs values
		for k, v := range tt.vals {
			vs.set(k, v)
		}
		got, ok := tpl.expand(nil, &vs)
		if !ok {
			got = nil
		}
		if string(got) != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestTemplateCompileErrors(t *testing.T) {
	tests := []struct {
		src  string
		web  bool
		want string
	}{
		{"", true, "empty"},
		{"https://a.taobao.com/{id", true, "unclosed {"},
		{"https://a.taobao.com/id}", true, "} without {"},
		{"https://a.taobao.com/[{id}", true, "unclosed ["},
		{"https://a.taobao.com/{id}]", true, "] without ["},
		{"https://a.taobao.com/[[{id}]]", true, "nested ["},
		{"https://a.taobao.com/[x]", true, "has no placeholder"},
		{"https://a.taobao.com/{nope}", true, "unknown placeholder {nope}"},
		{"https://a.taobao.com/{url}", true, "{url} is only"},
		{"https://a.taobao.com/{canonical}", true, "{canonical} may only start"},
		{"{canonical}", false, "{canonical} may only start"},
		{"https://a.taobao.com/ x", true, "not allowed"},
		{"https://a.taobao.com/\\x", true, "not allowed"},
		{"https://a.taobao.com/中", true, "not allowed"},
		{"ftp://a.taobao.com/{id}", true, "must start with https://"},
		{"tbopen://x?u=[{url}]", false, "must use {url} outside [ ]"},
		{"javascript://x?u={url}", false, "custom scheme"},
	}
	for _, tt := range tests {
		_, err := compileTemplate("t", []string{tt.src}, tt.web)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("compile %q: got %v; want an error containing %q", tt.src, err, tt.want)
		}
	}
	if _, err := compileTemplate("t", nil, true); err == nil {
		t.Errorf("no alternatives: got nil error")
	}
}

func TestDefaultTemplatesCompile(t *testing.T) {
	tb := mustNew(t)
	for p := 0; p < numPlatforms; p++ {
		for tg := target(1); tg < numTargets; tg++ {
			if tb.tpl[p][tg] == nil {
				t.Errorf("no template %s.%s", platformNames[p], targetNames[tg])
			}
		}
	}
}
