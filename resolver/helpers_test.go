package resolver

import (
	"net/url"
	"strings"
)

// splitCanonical returns the host of an https URL, parsed independently of
// the resolver with net/url.
func splitCanonical(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" {
		return "", false
	}
	return u.Hostname(), true
}

// genuineFamily is an independent oracle: is host (from net/url) inside a
// Taobao-family domain? Written without the resolver's helpers on purpose.
func genuineFamily(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range []string{"taobao.com", "tmall.com", "tmall.hk", "tb.cn", "liangxinyao.com", "yao.95095.com", "yukhj.com", "diantao.cn"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			for _, c := range host {
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
					return false
				}
			}
			return true
		}
	}
	return false
}
