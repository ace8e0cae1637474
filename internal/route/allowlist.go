package route

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultAllowedHosts are the registrable domains hutong redirects to by
// default: the Taobao, Tmall and Alipay families and their short-link and
// CDN domains. Read-only: copy it before appending (the embedded
// defaults.yaml carries the same list).
var DefaultAllowedHosts = []string{"taobao.com", "tmall.com", "tmall.hk", "tb.cn", "alipay.com", "alicdn.com"}

// ErrNotAllowed is wrapped by every error Allowlist.Check returns.
var ErrNotAllowed = errors.New("url not allowed")

// maxURLLen bounds the URLs Check accepts.
const maxURLLen = 8192

// Allowlist is a set of hosts hutong may redirect to: a URL's host matches
// an entry when it equals it or ends with "." + entry (case-insensitive, one
// trailing dot ignored). So "taobao.com" allows item.taobao.com but not
// taobao.com.evil.example or evil-taobao.com.
//
// An Allowlist is immutable and safe for concurrent use. A nil or empty
// Allowlist allows nothing.
type Allowlist struct {
	hosts []string // lower case, no trailing dot
}

// NewAllowlist returns an Allowlist of hosts. Each must be a DNS name of at
// least two labels (letters, digits, hyphens; no IP address, no port, no
// scheme); case and one trailing dot are normalised and duplicates dropped.
func NewAllowlist(hosts ...string) (*Allowlist, error) {
	a := &Allowlist{}
	for _, h := range hosts {
		n, err := normalizeAllowHost(h)
		if err != nil {
			return nil, err
		}
		dup := false
		for _, e := range a.hosts {
			if e == n {
				dup = true
				break
			}
		}
		if !dup {
			a.hosts = append(a.hosts, n)
		}
	}
	return a, nil
}

// DefaultAllowlist returns a new Allowlist of DefaultAllowedHosts.
func DefaultAllowlist() *Allowlist {
	a, err := NewAllowlist(DefaultAllowedHosts...)
	if err != nil {
		panic(err) // the default hosts are valid; covered by tests
	}
	return a
}

func normalizeAllowHost(h string) (string, error) {
	n := strings.ToLower(strings.TrimSuffix(h, "."))
	if err := checkHostSyntax(n); err != nil {
		return "", fmt.Errorf("allowlist host %q: %v", h, err)
	}
	if !strings.Contains(n, ".") {
		return "", fmt.Errorf("allowlist host %q: need a registrable domain such as taobao.com, not a single label", h)
	}
	return n, nil
}

// Hosts returns a copy of the allowed hosts, normalised.
func (a *Allowlist) Hosts() []string {
	if a == nil {
		return nil
	}
	return append([]string(nil), a.hosts...)
}

// Allowed reports whether host (no port, any case, optional trailing dot)
// is on the list.
func (a *Allowlist) Allowed(host string) bool {
	if a == nil {
		return false
	}
	host = strings.TrimSuffix(host, ".")
	if checkHostSyntax(host) != nil {
		return false
	}
	return a.match(host)
}

func (a *Allowlist) match(host string) bool {
	for _, e := range a.hosts {
		switch {
		case len(host) == len(e):
			if strings.EqualFold(host, e) {
				return true
			}
		case len(host) > len(e):
			if host[len(host)-len(e)-1] == '.' && strings.EqualFold(host[len(host)-len(e):], e) {
				return true
			}
		}
	}
	return false
}

// checkHostSyntax accepts ASCII DNS names only: labels of letters, digits
// and hyphens, no empty label, and a last label that is not all digits (so
// no IPv4 literal in any of the forms browsers accept). IPv6 literals and
// percent-encoded or non-ASCII (IDN) hosts are refused by the character set.
func checkHostSyntax(h string) error {
	if h == "" {
		return errors.New("empty host")
	}
	if len(h) > 253 {
		return errors.New("host too long")
	}
	labelStart := 0
	for i := 0; i <= len(h); i++ {
		if i == len(h) || h[i] == '.' {
			label := h[labelStart:i]
			if label == "" {
				return errors.New("empty label in host")
			}
			if len(label) > 63 {
				return errors.New("host label too long")
			}
			if label[0] == '-' || label[len(label)-1] == '-' {
				return errors.New("host label starts or ends with a hyphen")
			}
			labelStart = i + 1
			continue
		}
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			if c >= 0x80 {
				return errors.New("non-ASCII host (use the xn-- form)")
			}
			return fmt.Errorf("character %q not allowed in host", c)
		}
	}
	last := h[strings.LastIndexByte(h, '.')+1:]
	allDigits := true
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			allDigits = false
			break
		}
	}
	if allDigits || strings.HasPrefix(strings.ToLower(last), "0x") {
		return errors.New("IP address literal not allowed")
	}
	return nil
}

func notAllowed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotAllowed}, args...)...)
}

// Check returns nil when rawURL is safe to send as a redirect Location: an
// absolute http or https URL, printable ASCII only (no spaces, control
// characters or backslashes, and no percent-encoded control characters
// such as %0d%0a), no userinfo, an optional numeric port, and a host on the
// list. The accepted form is deliberately narrow so that Go's net/url and
// a browser's URL parser both see the same, allowed host. Errors wrap
// ErrNotAllowed and say why. Check does not allocate when it succeeds.
func (a *Allowlist) Check(rawURL string) error {
	if rawURL == "" {
		return notAllowed("empty URL")
	}
	if len(rawURL) > maxURLLen {
		return notAllowed("URL longer than %d bytes", maxURLLen)
	}
	for i := 0; i < len(rawURL); i++ {
		c := rawURL[i]
		switch {
		case c <= ' ' || c == 0x7f:
			return notAllowed("control character or space at byte %d", i)
		case c >= 0x80:
			return notAllowed("non-ASCII byte at %d (percent-encode it)", i)
		case c == '\\':
			return notAllowed("backslash at byte %d", i)
		case c == '%':
			if i+2 >= len(rawURL) || !isHex(rawURL[i+1]) || !isHex(rawURL[i+2]) {
				return notAllowed("malformed percent-escape at byte %d", i)
			}
			if v := unhex(rawURL[i+1])<<4 | unhex(rawURL[i+2]); v < 0x20 || v == 0x7f {
				return notAllowed("encoded control character at byte %d", i)
			}
		}
	}
	var rest string
	switch {
	case len(rawURL) >= 8 && strings.EqualFold(rawURL[:8], "https://"):
		rest = rawURL[8:]
	case len(rawURL) >= 7 && strings.EqualFold(rawURL[:7], "http://"):
		rest = rawURL[7:]
	default:
		return notAllowed("only absolute http:// and https:// URLs")
	}
	end := len(rest)
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c == '/' || c == '?' || c == '#' {
			end = i
			break
		}
	}
	authority := rest[:end]
	if strings.IndexByte(authority, '@') >= 0 {
		return notAllowed("userinfo (@) in URL")
	}
	host := authority
	if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host = authority[:i]
		port := authority[i+1:]
		if port == "" || len(port) > 5 {
			return notAllowed("bad port")
		}
		for j := 0; j < len(port); j++ {
			if port[j] < '0' || port[j] > '9' {
				return notAllowed("bad port")
			}
		}
	}
	if strings.HasSuffix(host, ".") {
		host = host[:len(host)-1]
	}
	if err := checkHostSyntax(host); err != nil {
		return notAllowed("%v", err)
	}
	if a == nil || !a.match(host) {
		return notAllowed("host %q is not on the allowlist", host)
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
