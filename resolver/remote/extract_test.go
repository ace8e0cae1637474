package remote

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
)

// fixtureItemURL is the long URL held by testdata/m_tb_cn_item.html.
const fixtureItemURL = "https://item.taobao.com/item.htm?ut_sk=1.ZnRzaXp1AAAAAB_21380790_1726106400000.Copy.1&id=812345678901&sourceType=item&price=59&suid=8F2D1C3B-1A2B-4C5D-9E8F-0A1B2C3D4E5F&shareUniqueId=27512345678&un=6ff32ef5b60682b88bd7bab98ffeb263&share_crt_v=1&un_site=0&spm=a2159r.13376460.0.0&sp_tk=QWJDZEVmMTIzNDU%3D&cpp=1&shareurl=true&short_name=h.gFz8Rk2&bxsign=scdAbCdEf012&tk=AbCdEf12345&app=chrome"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// page wraps a script statement in a small HTML page of the short-link
// shape.
func page(stmt string) string {
	return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>淘宝</title></head><body>\n" +
		"<div class=\"loading\">正在打开淘宝…</div>\n<script>\n(function(){\n  " + stmt +
		"\n  location.replace(url);\n})();\n</script>\n</body></html>\n"
}

func TestExtractTargetFixture(t *testing.T) {
	got, err := extractTarget(readFixture(t, "m_tb_cn_item.html"), DefaultAllowHost)
	if err != nil || got != fixtureItemURL {
		t.Fatalf("extractTarget(fixture) = %q, %v; want %q, nil", got, err, fixtureItemURL)
	}
}

func TestExtractTarget(t *testing.T) {
	const item = "https://item.taobao.com/item.htm?id=1&sku=2"
	tests := []struct {
		name    string
		page    string
		want    string
		wantErr error
	}{
		{"single quotes", page(`var url = 'https://item.taobao.com/item.htm?id=1&sku=2';`), item, nil},
		{"double quotes", page(`var url = "https://item.taobao.com/item.htm?id=1&sku=2";`), item, nil},
		{"no spaces", page(`var url='https://item.taobao.com/item.htm?id=1&sku=2';`), item, nil},
		{"tabs and newline", page("var\turl\n =\t'https://item.taobao.com/item.htm?id=1&sku=2';"), item, nil},
		{"js hex escape", page(`var url = 'https://item.taobao.com/item.htm?id=1\x26sku=2';`), item, nil},
		{"js slash escape", page(`var url = 'https:\/\/item.taobao.com\/item.htm?id=1&sku=2';`), item, nil},
		{"js unicode escape", page(`var url = 'https://item.taobao.com/item.htm?id=1\u0026sku=2';`), item, nil},
		{"js code point escape", page(`var url = 'https://item.taobao.com/item.htm?id=1\u{26}sku=2';`), item, nil},
		{"html amp", page(`var url = 'https://item.taobao.com/item.htm?id=1&amp;sku=2';`), item, nil},
		{"html numeric", page(`var url = 'https://item.taobao.com/item.htm?id=1&#38;sku=2';`), item, nil},
		{"html hex numeric", page(`var url = 'https://item.taobao.com/item.htm?id=1&#x26;sku=2';`), item, nil},
		{"js then html", page(`var url = 'https://item.taobao.com/item.htm?id=1\x26amp;sku=2';`), item, nil},
		{"escaped quote inside", page(`var url = 'https://item.taobao.com/item.htm?id=1&sku=2&t=a\'b';`), "https://item.taobao.com/item.htm?id=1&sku=2&t=a'b", nil},
		{"legacy entity names kept", page(`var url = 'https://item.taobao.com/item.htm?id=1&region=cn&not=1&copy=2&para=3';`),
			"https://item.taobao.com/item.htm?id=1&region=cn&not=1&copy=2&para=3", nil},
		{"protocol relative", page(`var url = '//detail.tmall.com/item.htm?id=1';`), "https://detail.tmall.com/item.htm?id=1", nil},
		{"upper-case scheme and host", page(`var url = 'HTTPS://Detail.Tmall.COM/item.htm?id=1';`), "HTTPS://Detail.Tmall.COM/item.htm?id=1", nil},
		{"surrounding spaces trimmed", page(`var url = '  https://item.taobao.com/item.htm?id=1&sku=2 ';`), item, nil},
		{"utf-8 in query kept", page(`var url = 'https://s.taobao.com/search?q=连衣裙';`), "https://s.taobao.com/search?q=连衣裙", nil},
		{"surrogate pair", page(`var url = 'https://s.taobao.com/search?q=\uD83D\uDE00';`), "https://s.taobao.com/search?q=😀", nil},
		{"short link hop is a target here", page(`var url = 'https://s.tb.cn/h.abc';`), "https://s.tb.cn/h.abc", nil},
		{"empty first, real second", page(`var url = ''; var url = 'https://item.taobao.com/item.htm?id=1&sku=2';`), item, nil},
		{"bad first, good second", page(`var url = 'https://evil.example/'; var url = 'https://item.taobao.com/item.htm?id=1&sku=2';`), item, nil},
		{"unterminated then good", page("var url = 'https://evil.example/\nvar url = 'https://item.taobao.com/item.htm?id=1&sku=2';"), item, nil},

		{"no variable", page(`var target = 'https://item.taobao.com/item.htm?id=1';`), "", ErrNotFound},
		{"empty page", "", "", ErrNotFound},
		{"empty value", page(`var url = '';`), "", ErrNotFound},
		{"longer identifier", page(`var urlx = 'https://item.taobao.com/item.htm?id=1';`), "", ErrNotFound},
		{"identifier suffix", page(`var myurl = 'https://item.taobao.com/item.htm?id=1'; myvar url = 'x';`), "", ErrNotFound},
		{"keyword suffix", page(`xvar url = 'https://item.taobao.com/item.htm?id=1';`), "", ErrNotFound},
		{"comparison", page(`var url == 'https://item.taobao.com/item.htm?id=1';`), "", ErrNotFound},
		{"not a literal", page(`var url = base + '/item.htm';`), "", ErrNotFound},
		{"template literal", page("var url = `https://item.taobao.com/item.htm?id=1`;"), "", ErrNotFound},
		{"unterminated", page(`var url = 'https://item.taobao.com/item.htm?id=1`), "", ErrNotFound},
		{"bad hex escape", page(`var url = 'https://item.taobao.com/item.htm?id=1\xZZ';`), "", ErrNotFound},

		{"look-alike suffix", page(`var url = 'https://item.taobao.com.evil.example/item.htm?id=1';`), "", ErrDisallowedHost},
		{"look-alike prefix", page(`var url = 'https://eviltaobao.com/item.htm?id=1';`), "", ErrDisallowedHost},
		{"userinfo", page(`var url = 'https://item.taobao.com@evil.example/item.htm?id=1';`), "", ErrDisallowedHost},
		{"escaped userinfo", page(`var url = 'https://item.taobao.com\x40evil.example/';`), "", ErrDisallowedHost},
		{"backslash authority", page(`var url = 'https://evil.example\\@item.taobao.com/';`), "", ErrDisallowedHost},
		{"javascript scheme", page(`var url = 'javascript:alert(1)//taobao.com';`), "", ErrDisallowedHost},
		{"data scheme", page(`var url = 'data:text/html,<script>alert(1)</script>';`), "", ErrDisallowedHost},
		{"app scheme", page(`var url = 'tbopen://m.taobao.com/tbopen/index.html';`), "", ErrDisallowedHost},
		{"other host", page(`var url = 'https://evil.example/?u=https://item.taobao.com/';`), "", ErrDisallowedHost},
		{"odd port", page(`var url = 'https://item.taobao.com:8443/item.htm?id=1';`), "", ErrDisallowedHost},
		{"percent host", page(`var url = 'https://item%2Etaobao.com/item.htm?id=1';`), "", ErrDisallowedHost},
		{"unicode look-alike", page(`var url = 'https://item.tаobao.com/item.htm?id=1';`), "", ErrDisallowedHost},
		{"ip address", page(`var url = 'http://127.0.0.1/item.htm?id=1';`), "", ErrDisallowedHost},
		{"newline smuggled by escape", page(`var url = 'https://item.taobao.com/\nhttps://evil.example/';`), "", ErrDisallowedHost},
		{"tab in host", page(`var url = 'https://item.tao\tbao.com/';`), "", ErrDisallowedHost},
		{"relative", page(`var url = '/item.htm?id=1';`), "", ErrDisallowedHost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extractTarget([]byte(tt.page), DefaultAllowHost)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("extractTarget() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCheckTarget(t *testing.T) {
	ok := []string{
		"https://item.taobao.com/item.htm?id=1",
		"http://item.taobao.com/item.htm?id=1",
		"https://taobao.com/",
		"https://detail.tmall.com/item.htm?id=1",
		"https://detail.tmall.hk/hk/item.htm?id=1",
		"https://m.tb.cn/h.abc",
		"https://item.taobao.com:443/item.htm?id=1",
		"https://item.taobao.com./item.htm?id=1",
		"//uland.taobao.com/coupon/edetail?e=abc",
	}
	for _, s := range ok {
		if _, err := checkTarget(s, DefaultAllowHost); err != nil {
			t.Errorf("checkTarget(%q) = %v; want nil", s, err)
		}
	}
	bad := []string{
		"",
		"item.taobao.com/item.htm",
		"https://taobao.com.evil.example/",
		"https://xtaobao.com/",
		"https://taobao.co/",
		"https://user:pass@item.taobao.com/",
		"https://@item.taobao.com/",
		"https://item.taobao.com%40evil.example/",
		"https:item.taobao.com/",
		"https:/item.taobao.com/",
		"https:\\\\item.taobao.com/",
		"https://evil.example\\.taobao.com/",
		"ftp://item.taobao.com/",
		"HTTPS://evil.example/",
		"https://[::1]/",
		"https://item.taobao.com:0/",
		"https://item.taobao.com:80x/",
		"https://-x.taobao.com/",
		"https://item..taobao.com/",
		"https://item.taobao.com/\x00",
		"https://item.taobao.com/ x",
		"https://xn--80ak6aa92e.com/",
		"https://" + strings.Repeat("a", maxURLLen) + ".taobao.com/",
	}
	for _, s := range bad {
		if got, err := checkTarget(s, DefaultAllowHost); !errors.Is(err, ErrDisallowedHost) {
			t.Errorf("checkTarget(%q) = %q, %v; want ErrDisallowedHost", s, got, err)
		}
	}
}

func TestDefaultAllowHost(t *testing.T) {
	for host, want := range map[string]bool{
		"taobao.com": true, "item.taobao.com": true, "a.b.taobao.com": true,
		"tmall.com": true, "detail.m.tmall.com": true, "tmall.hk": true, "m.tb.cn": true, "tb.cn": true,
		"taobao.com.evil.example": false, "eviltaobao.com": false, "aobao.com": false, "com": false,
		"": false, "taobao.comm": false, "tb.cn.example": false, "alipay.com": false,
	} {
		if got := DefaultAllowHost(host); got != want {
			t.Errorf("DefaultAllowHost(%q) = %v; want %v", host, got, want)
		}
	}
}

func TestParseShortLink(t *testing.T) {
	tests := []struct {
		in, want string // want is host+path, "" when refused
	}{
		{"https://m.tb.cn/h.5Tq1xYz", "m.tb.cn/h.5Tq1xYz"},
		{"https://m.tb.cn/h.5Tq1xYz?tk=AbC&sm=1#x", "m.tb.cn/h.5Tq1xYz"},
		{"http://M.TB.CN/h.5Tq1xYz", "m.tb.cn/h.5Tq1xYz"},
		{"m.tb.cn/h.5Tq1xYz", "m.tb.cn/h.5Tq1xYz"},
		{"//s.tb.cn/h.abc", "s.tb.cn/h.abc"},
		{"  https://e.tb.cn/h.abc  ", "e.tb.cn/h.abc"},
		{"https://c.tb.cn/h.abc", "c.tb.cn/h.abc"},
		{"https://tb.cn/x/AbC_d-e", "tb.cn/x/AbC_d-e"},
		{"https://m.tb.cn./h.abc", "m.tb.cn/h.abc"},
		{"https://m.tb.cn:443/h.abc", "m.tb.cn/h.abc"},

		{"", ""},
		{"https://m.tb.cn/", ""},
		{"https://m.tb.cn", ""},
		{"https://m.tb.cn/../etc/passwd", ""},
		{"https://m.tb.cn/h.abc/./x", ""},
		{"https://m.tb.cn/h.a%2Fb", ""},
		{"https://m.tb.cn/h.a b", ""},
		{"https://m.tb.cn/a/b/c/d", ""},
		{"https://m.tb.cn:8080/h.abc", ""},
		{"https://user@m.tb.cn/h.abc", ""},
		{"https://m.tb.cn@evil.example/h.abc", ""},
		{"https://m.tb.cn.evil.example/h.abc", ""},
		{"https://evil.example/h.abc", ""},
		{"https://x.m.tb.cn/h.abc", ""},
		{"https://item.taobao.com/item.htm?id=1", ""},
		{"ftp://m.tb.cn/h.abc", ""},
		{"javascript://m.tb.cn/h.abc", ""},
		{"https://m.tb.cn\\@evil.example/h.abc", ""},
		{"https://127.0.0.1/h.abc", ""},
	}
	for _, tt := range tests {
		l, err := parseShortLink(tt.in)
		got := ""
		if err == nil {
			got = l.key()
		} else if !errors.Is(err, ErrNotShortLink) {
			t.Errorf("parseShortLink(%q) error %v does not wrap ErrNotShortLink", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("parseShortLink(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestUnescapeEntities(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"a&amp;b":           "a&b",
		"a&amp;amp;b":       "a&amp;b",
		"&lt;&gt;&quot;":    `<>"`,
		"&#39;&apos;":       "''",
		"&#x26;&#X26;&#38;": "&&&",
		"&#0;":              "\uFFFD",
		"&#xD800;":          "\uFFFD",
		"&#x110000;":        "\uFFFD",
		"&amp":              "&amp",
		"&region=1&not=2":   "&region=1&not=2",
		"&copy;":            "&copy;",
		"&;&#;&#x;&#xZZ;":   "&;&#;&#x;&#xZZ;",
		"&&amp;":            "&&",
	} {
		if got := unescapeEntities(in); got != want {
			t.Errorf("unescapeEntities(%q) = %q; want %q", in, got, want)
		}
	}
}

// FuzzExtractTarget checks that extraction never panics and never returns
// a URL that is not an absolute http(s) URL on an allowed host, checked
// here independently of checkURL.
func FuzzExtractTarget(f *testing.F) {
	f.Add(readFixture(f, "m_tb_cn_item.html"))
	for _, s := range []string{
		page(`var url = 'https:\/\/item.taobao.com\/item.htm?id=1\x26sku=2';`),
		page(`var url = "https://detail.tmall.com/item.htm?id=1&amp;skuId=2";`),
		page(`var url = 'https://item.taobao.com.evil.example/';`),
		page(`var url = 'https://evil.example\\@item.taobao.com/';`),
		page(`var url = 'https://item.taobao.com\x40evil.example/';`),
		page(`var url = '\uD83D\uDE00\u{1F600}\u{110000}\0\x';`),
		"var url = '", "var url", "var url = '&#x26;&amp", "var\x00url='//m.tb.cn/h.a'",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := extractTarget(b, DefaultAllowHost)
		if err != nil {
			if got != "" {
				t.Fatalf("extractTarget returned %q with error %v", got, err)
			}
			if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDisallowedHost) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if strings.ContainsAny(got, "\\ \t\r\n\x00@") {
			t.Fatalf("returned URL %q holds a forbidden character", got)
		}
		u, perr := url.Parse(got)
		if perr != nil {
			t.Fatalf("returned URL %q does not parse: %v", got, perr)
		}
		if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
			t.Fatalf("returned URL %q has scheme %q", got, u.Scheme)
		}
		if u.User != nil || u.Opaque != "" {
			t.Fatalf("returned URL %q has userinfo or is opaque", got)
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		okHost := false
		for _, d := range []string{"taobao.com", "tmall.com", "tmall.hk", "tb.cn"} {
			if host == d || strings.HasSuffix(host, "."+d) {
				okHost = true
			}
		}
		if !okHost {
			t.Fatalf("returned URL %q has host %q outside the allowlist", got, host)
		}
	})
}

func BenchmarkExtractTarget(b *testing.B) {
	cases := []struct {
		name string
		page []byte
	}{
		{"fixture", readFixture(b, "m_tb_cn_item.html")},
		{"escaped", []byte(page(`var url = 'https:\/\/item.taobao.com\/item.htm?id=812345678901\x26sourceType=item\x26price=59\x26spm=a2159r.13376460.0.0\x26tk=AbCdEf12345';`))},
		{"entities", []byte(page(`var url = 'https://item.taobao.com/item.htm?id=812345678901&amp;sourceType=item&amp;price=59&amp;spm=a2159r.13376460.0.0&amp;tk=AbCdEf12345';`))},
		{"no-url-64KiB", []byte(strings.Repeat("<p>var x = 'y'; nothing to see here</p>\n", 64<<10/40))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.page)))
			for b.Loop() {
				_, _ = extractTarget(c.page, DefaultAllowHost)
			}
		})
	}
}
