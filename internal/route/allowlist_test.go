package route

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestAllowlistCheck(t *testing.T) {
	a := DefaultAllowlist()
	good := []string{
		"https://item.taobao.com/item.htm?id=1",
		"https://taobao.com",
		"http://taobao.com/",
		"HTTPS://Item.TaoBao.COM/item.htm",
		"https://item.taobao.com./item.htm",
		"https://detail.tmall.com:443/item.htm?id=1#frag",
		"https://m.tb.cn/h.abc",
		"https://shop.m.tmall.hk/",
		"https://render.alipay.com/p/s/i?x=%E4%B8%AD",
		"https://img.alicdn.com/a.jpg",
		"https://item.taobao.com?x=https://evil.example/",
		"https://item.taobao.com#@evil.example",
	}
	for _, u := range good {
		if err := a.Check(u); err != nil {
			t.Errorf("Check(%q) = %v; want nil", u, err)
		}
	}
	bad := []struct{ name, url string }{
		{"empty", ""},
		{"relative", "/item.htm"},
		{"protocol-relative", "//evil.example/"},
		{"protocol-relative to allowed", "//item.taobao.com/"},
		{"javascript", "javascript:alert(1)"},
		{"javascript with allowed text", "javascript://item.taobao.com/%0aalert(1)"},
		{"data", "data:text/html,<script>"},
		{"custom scheme", "tbopen://m.taobao.com/tbopen/index.html"},
		{"ftp", "ftp://taobao.com/"},
		{"suffix look-alike", "https://taobao.com.evil.example/"},
		{"prefix look-alike", "https://evil-taobao.com/"},
		{"glued look-alike", "https://eviltaobao.com/"},
		{"tld look-alike", "https://taobao.co/"},
		{"userinfo", "https://taobao.com@evil.example/"},
		{"userinfo with allowed host", "https://evil.example@taobao.com/"},
		{"backslash userinfo", `https://evil.example\@taobao.com/`},
		{"backslash path", `https://taobao.com\@evil.example/`},
		{"backslash host", `https:\\evil.example`},
		{"missing slashes", "https:evil.example"},
		{"one slash", "https:/evil.example"},
		{"three slashes", "https:///evil.example"},
		{"crlf raw", "https://taobao.com/\r\nSet-Cookie: a=1"},
		{"crlf encoded", "https://taobao.com/%0d%0aSet-Cookie:a=1"},
		{"crlf encoded upper", "https://taobao.com/?a=%0D%0A"},
		{"nul encoded", "https://taobao.com/%00"},
		{"tab in host", "https://taobao.com\t.evil.example/"},
		{"newline in host", "https://evil.example\n.taobao.com/"},
		{"space", "https://taobao.com /"},
		{"leading space", " https://taobao.com/"},
		{"malformed escape", "https://taobao.com/%zz"},
		{"encoded dot in host", "https://evil.example%2etaobao.com/"},
		{"encoded host", "https://%74aobao.com/"},
		{"ipv4", "https://127.0.0.1/"},
		{"ipv4 decimal", "https://2130706433/"},
		{"ipv4 hex", "https://0x7f.1/"},
		{"ipv6", "https://[::1]/"},
		{"idn", "https://taobao.中国/"},
		{"idn look-alike", "https://tаobao.com/"},
		{"fullwidth dot", "https://evil.example．taobao.com/"},
		{"bad port", "https://taobao.com:80x/"},
		{"empty port", "https://taobao.com:/"},
		{"port look-alike", "https://taobao.com:443@evil.example/"},
		{"double dot", "https://item..taobao.com/"},
		{"two trailing dots", "https://taobao.com../"},
		{"bare tld", "https://com/"},
		{"del", "https://taobao.com/\x7f"},
		{"too long", "https://taobao.com/" + strings.Repeat("a", maxURLLen)},
	}
	for _, tt := range bad {
		err := a.Check(tt.url)
		if err == nil {
			t.Errorf("%s: Check(%q) = nil; want an error", tt.name, tt.url)
			continue
		}
		if !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s: error %v does not wrap ErrNotAllowed", tt.name, err)
		}
	}
}

func TestNewAllowlist(t *testing.T) {
	a, err := NewAllowlist("Example.COM.", "example.com", "pages.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Hosts(), ","); got != "example.com,pages.example.org" {
		t.Errorf("Hosts() = %q; want example.com,pages.example.org", got)
	}
	if !a.Allowed("WWW.example.com.") || a.Allowed("example.org") || !a.Allowed("pages.example.org") || a.Allowed("x.example.org") {
		t.Errorf("Allowed: wrong answers for %v", a.Hosts())
	}
	for _, h := range []string{"", "com", "127.0.0.1", "taobao.com/x", "https://taobao.com", "taobao.com:80", "*.taobao.com", "淘宝.com", "-a.com"} {
		if _, err := NewAllowlist(h); err == nil {
			t.Errorf("NewAllowlist(%q): got nil error; want one", h)
		}
	}
	var nilList *Allowlist
	if nilList.Check("https://taobao.com/") == nil || nilList.Allowed("taobao.com") {
		t.Errorf("nil Allowlist allowed something")
	}
}

// hostAllowed is an independent reimplementation of the matching rule.
func hostAllowed(hosts []string, h string) bool {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	for _, e := range hosts {
		if h == e || strings.HasSuffix(h, "."+e) {
			return true
		}
	}
	return false
}

// browserHost parses raw roughly as the WHATWG URL standard does for http(s)
// URLs, the way a browser following a Location header would, and returns
// the scheme and host (percent-decoded, lower-cased).
func browserHost(raw string) (scheme, host string) {
	raw = strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
	raw = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(raw)
	i := strings.IndexByte(raw, ':')
	if i <= 0 {
		return "", ""
	}
	scheme = strings.ToLower(raw[:i])
	if scheme != "http" && scheme != "https" {
		return scheme, ""
	}
	rest := strings.TrimLeft(raw[i+1:], `/\`)
	if j := strings.IndexAny(rest, `/\?#`); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.LastIndexByte(rest, '@'); j >= 0 {
		rest = rest[j+1:]
	}
	if !strings.HasPrefix(rest, "[") {
		if j := strings.LastIndexByte(rest, ':'); j >= 0 {
			rest = rest[:j]
		}
	}
	if dec, err := url.PathUnescape(rest); err == nil {
		rest = dec
	}
	return scheme, strings.ToLower(rest)
}

func FuzzAllowlistCheck(f *testing.F) {
	for _, s := range []string{
		"https://item.taobao.com/item.htm?id=1", "https://taobao.com@evil.example/", `https://evil.example\@taobao.com/`,
		"https://taobao.com.evil.example/", "//evil.example", "javascript:alert(1)", "https://taobao.com/%0d%0a",
		"https://127.0.0.1/", "https://tаobao.com/", "HTTP://TMALL.COM.:80/#x", "https:\\\\taobao.com", "https://a.tb.cn?x#y",
	} {
		f.Add(s)
	}
	a := DefaultAllowlist()
	hosts := a.Hosts()
	f.Fuzz(func(t *testing.T, raw string) {
		if a.Check(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("Check accepted %q, which net/url rejects: %v", raw, err)
		}
		if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
			t.Fatalf("Check accepted %q: net/url scheme %q", raw, u.Scheme)
		}
		if u.User != nil || u.Opaque != "" {
			t.Fatalf("Check accepted %q: net/url user %v opaque %q", raw, u.User, u.Opaque)
		}
		if !hostAllowed(hosts, u.Hostname()) {
			t.Fatalf("Check accepted %q: net/url host %q not on the list", raw, u.Hostname())
		}
		scheme, bh := browserHost(raw)
		if scheme != "http" && scheme != "https" {
			t.Fatalf("Check accepted %q: browser scheme %q", raw, scheme)
		}
		if bh != strings.ToLower(u.Hostname()) || !hostAllowed(hosts, bh) {
			t.Fatalf("Check accepted %q: browser host %q, net/url host %q", raw, bh, u.Hostname())
		}
	})
}
