package remote

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/hutong-dev/hutong/resolver"
)

// maxURLLen bounds every URL this package accepts or returns.
const maxURLLen = 8 << 10

// DefaultAllowHost reports whether host (lower-case ASCII, no port, no
// trailing dot) is a Taobao-family host: resolver.IsTaobaoHost, the same
// exact-domain check the resolver uses, so an answer is accepted here exactly
// when the resolver would treat its host as Taobao's. Callers may replace it
// through the AllowHost config fields.
func DefaultAllowHost(host string) bool {
	_, ok := resolver.IsTaobaoHost(host)
	return ok
}

// isShortHost reports whether host (lower-case, no port) is a short-link
// host whose pages hold a long URL.
func isShortHost(host string) bool {
	switch host {
	case "m.tb.cn", "s.tb.cn", "e.tb.cn", "c.tb.cn", "tb.cn":
		return true
	}
	return false
}

// shortLink is a parsed short link: host is one of isShortHost, path is
// the code path starting with '/'.
type shortLink struct {
	host string
	path string
}

// key is the cache and loop-detection key of the link.
func (s shortLink) key() string { return s.host + s.path }

// String returns the link as an https URL.
func (s shortLink) String() string { return "https://" + s.host + s.path }

// parseShortLink accepts "https://m.tb.cn/h.CODE?…", "http://…",
// "//m.tb.cn/…" and "m.tb.cn/…" and returns the host and code path. The
// query and fragment are dropped. Anything else (other hosts, ports,
// userinfo, odd characters in the code) returns ErrNotShortLink.
func parseShortLink(raw string) (shortLink, error) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > maxURLLen {
		return shortLink{}, ErrNotShortLink
	}
	switch {
	case strings.HasPrefix(s, "//"):
		s = "https:" + s
	case !strings.Contains(s, "://"):
		s = "https://" + s
	}
	h, err := checkURL(s, isShortHost)
	if err != nil {
		return shortLink{}, fmt.Errorf("%w: %q", ErrNotShortLink, raw)
	}
	u, _ := url.Parse(s) // checkURL parsed it already
	p := u.EscapedPath()
	if !validCodePath(p) {
		return shortLink{}, fmt.Errorf("%w: bad code in %q", ErrNotShortLink, raw)
	}
	return shortLink{host: h, path: p}, nil
}

// validCodePath reports whether p looks like a short-link code path:
// "/" followed by 1–128 characters of [A-Za-z0-9._~-] in at most three
// segments, none of them "." or "..".
func validCodePath(p string) bool {
	if len(p) < 2 || len(p) > 129 || p[0] != '/' {
		return false
	}
	segs := strings.Split(p[1:], "/")
	if len(segs) > 3 {
		return false
	}
	for _, seg := range segs {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '.' || c == '_' || c == '~' || c == '-') {
				return false
			}
		}
	}
	return true
}

// checkTarget validates a URL found in an upstream answer and returns it in
// the form to hand out (protocol-relative URLs get "https:"). It returns
// ErrDisallowedHost (wrapped, with the reason) for anything not safe to
// redirect to.
func checkTarget(raw string, allow func(string) bool) (string, error) {
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "//") {
		s = "https:" + s
	}
	// A page's target never needs an "@": anywhere in it, it is refused,
	// not only as userinfo (a browser and net/url must not be left to
	// disagree on where the authority ends).
	if strings.Contains(s, "@") {
		return "", fmt.Errorf("%w: an @ in the target URL", ErrDisallowedHost)
	}
	if _, err := checkURL(s, allow); err != nil {
		return "", fmt.Errorf("%w: %v", ErrDisallowedHost, err)
	}
	return s, nil
}

// checkURL parses s strictly and returns its lower-cased host when s is an
// absolute http(s) URL with no userinfo, no port other than 80/443, an
// ASCII host name accepted by allow, and no character a browser would read
// differently from net/url (backslashes, control characters, whitespace,
// percent-escapes in the authority).
func checkURL(s string, allow func(string) bool) (string, error) {
	if len(s) > maxURLLen {
		return "", fmt.Errorf("URL longer than %d bytes", maxURLLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '\\' {
			return "", fmt.Errorf("unsafe character %q in URL", c)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("unparsable URL: %v", err)
	}
	if sch := strings.ToLower(u.Scheme); sch != "https" && sch != "http" {
		return "", fmt.Errorf("scheme %q not allowed", u.Scheme)
	}
	if u.Opaque != "" || u.User != nil {
		return "", fmt.Errorf("URL has no plain authority or carries userinfo")
	}
	// The raw authority, as written: between "//" and the first "/", "?" or "#".
	rest := s[len(u.Scheme)+1:]
	if !strings.HasPrefix(rest, "//") {
		return "", fmt.Errorf("URL has no authority")
	}
	auth := rest[2:]
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth = auth[:i]
	}
	if strings.ContainsAny(auth, "%@") {
		return "", fmt.Errorf("escaped or userinfo characters in host")
	}
	switch u.Port() {
	case "", "80", "443":
	default:
		return "", fmt.Errorf("port %q not allowed", u.Port())
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if !validHostName(host) {
		return "", fmt.Errorf("host %q is not a plain DNS name", u.Hostname())
	}
	if !allow(host) {
		return "", fmt.Errorf("host %q not allowed", host)
	}
	return host, nil
}

// validHostName reports whether h is a lower-case ASCII DNS name of at
// least two labels, each 1–63 letters, digits or hyphens, not starting or
// ending with a hyphen.
func validHostName(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	labels := 0
	for _, l := range strings.Split(h, ".") {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
		labels++
	}
	return labels >= 2
}
