package resolver

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// FuzzParse checks that Parse never panics and never calls anything Taobao
// that is not: a Taobao or Tmall result must come from a 淘口令 token, an app
// scheme, or a URL whose host an independent parser (net/url, browser
// backslash rule) places inside a Taobao-family domain. For inputs built as
// https://<host>/item.htm?id=123 the result must be unknown unless host is
// genuinely Taobao-family.
func FuzzParse(f *testing.F) {
	for _, c := range loadCorpus(f) {
		f.Add(c.Input, "item.taobao.com")
	}
	for _, c := range parseCases {
		f.Add(c.input, "detail.tmall.com")
	}
	for _, h := range []string{
		"taobao.com.evil.example", "evil-taobao.com", "nottaobao.com", "taobao.com@evil.example",
		`evil.example\@item.taobao.com`, `item.taobao.com\@evil.example`, "item%2Etaobao.com",
		"item.tаobao.com", "ｉtem.taobao.com", "a@b@item.taobao.com", "item.taobao.com:443",
		"ITEM.TAOBAO.COM.", "m.tb.cn", "xn--tobao-8ta.com", "item.taobao.com中.evil.example", "%0X0@tmAll.Com", "tAoBAo.Com!\xae",
	} {
		f.Add("https://"+h+"/", h)
	}
	f.Fuzz(func(t *testing.T, input, host string) {
		checkFuzz(t, input, Parse(input))

		in := "https://" + host + "/item.htm?id=123"
		e := Parse(in)
		checkFuzz(t, in, e)
		if strings.IndexFunc(host, func(r rune) bool { return unicode.IsSpace(r) || r < 0x20 || r == 0x7f }) >= 0 ||
			strings.ContainsAny(host, "\"'<>`()[]{}|^") || strings.Contains(strings.ToLower(host), "http") {
			return // text or wrapper semantics legitimately apply
		}
		if e.Platform != PlatformUnknown && !genuineURL(in) {
			t.Errorf("Parse(%q) = %s/%s %q; host %q is not Taobao-family", in, e.Platform, e.Kind, e.ID, host)
		}
	})
}

func checkFuzz(t *testing.T, input string, e Entity) {
	t.Helper()
	checkInvariants(t, input, e)
	if e.Platform == PlatformUnknown || e.Kind == KindPassword {
		return
	}
	if !genuineURL(e.URL) {
		t.Errorf("Parse(%q) = %s/%s %q from URL %q, which is not Taobao-family", input, e.Platform, e.Kind, e.ID, e.URL)
	}
}

// genuineURL parses the scheme and authority of s with net/url, after the
// WHATWG rule that '\' ends the authority, and checks the host.
func genuineURL(s string) bool {
	i := strings.Index(s, "://")
	if i < 0 {
		return false
	}
	scheme := strings.ToLower(s[:i])
	rest := s[i+3:]
	if j := strings.IndexAny(rest, `/\?#`); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.LastIndexByte(rest, '@'); j >= 0 {
		rest = rest[j+1:] // browsers drop userinfo, even with bad escapes
	}
	u, err := url.Parse(scheme + "://" + rest)
	if err != nil {
		return false
	}
	switch scheme {
	case "taobao", "tmall", "tbopen":
		if strings.EqualFold(u.Hostname(), "page.tm") {
			return true
		}
	case "http", "https":
	default:
		return false
	}
	return genuineFamily(u.Hostname())
}
