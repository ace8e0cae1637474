package resolver

// Host recognition: the only place that decides whether a host belongs to
// the Taobao family. Every check is an exact registrable-domain match on a
// validated, lower-cased ASCII host: "taobao.com.evil.example",
// "evil-taobao.com" and "nottaobao.com" are not Taobao; hosts with
// percent-escapes, non-ASCII characters (IDN homographs), empty labels or
// characters outside [A-Za-z0-9._-] are rejected before any comparison.

// familyDomain is one registrable domain (or a fixed sub-tree of one) of
// the Taobao family.
type familyDomain struct {
	domain   string
	platform Platform
}

// familyDomains are the domains IsTaobaoHost accepts, with the platform
// their pages belong to. Order matters only for speed (most common first).
var familyDomains = [...]familyDomain{
	{"taobao.com", PlatformTaobao},
	{"tmall.com", PlatformTmall},
	{"tb.cn", PlatformTaobao},
	{"tmall.hk", PlatformTmall},
	{"liangxinyao.com", PlatformTmall}, // Tmall pharmacy (阿里健康大药房)
	{"yao.95095.com", PlatformTmall},   // Tmall pharmacy, only this sub-tree
}

// legacyShortHost is the 2016–2017 Tmall 喵口令 short-link domain. It is
// recognised as a Tmall short link but is NOT part of IsTaobaoHost: it lies
// outside Alibaba's main registrable domains and its current ownership cannot
// be verified, so it must never be on a redirect allowlist.
const legacyShortHost = "yukhj.com"

// diantaoHost is 点淘 (Diantao), Taobao's live-shopping app, whose live-room
// shares land on diantao.cn/live-room-share/…?id=. Like legacyShortHost it is
// recognised by Parse (the canonical URL is on taobao.com) but is NOT part of
// IsTaobaoHost: hutong never redirects to it.
const diantaoHost = "diantao.cn"

// IsTaobaoHost reports whether host is a Taobao-family host and, if so, the
// platform of its pages (PlatformTaobao or PlatformTmall).
//
// host is a host name as in url.URL.Hostname: no scheme, userinfo or port.
// Case is ignored and one trailing dot is allowed. The family is taobao.com,
// tmall.com, tmall.hk, tb.cn (m.tb.cn, s.tb.cn, e.tb.cn, c.tb.cn …),
// liangxinyao.com and yao.95095.com (Tmall pharmacy), each with any
// sub-domain. alipay.com is not included (see IsAlipayHost); alicdn.com is
// deliberately not included (a CDN serving user-uploaded content has no place
// on a redirect allowlist); the legacy 喵口令 domain yukhj.com is recognised
// by Parse but not here.
//
// Hosts with percent-escapes, non-ASCII characters (IDN homographs: compare
// the xn-- form), empty labels or any character outside [A-Za-z0-9._-] are
// rejected. It returns (PlatformUnknown, false) for everything else. It does
// not allocate for lower-case input and is safe for concurrent use.
func IsTaobaoHost(host string) (Platform, bool) {
	h, ok := normalizeHost(host)
	if !ok {
		return PlatformUnknown, false
	}
	for _, d := range familyDomains {
		if hasDomainSuffix(h, d.domain) {
			return d.platform, true
		}
	}
	return PlatformUnknown, false
}

// IsAlipayHost reports whether host is alipay.com or one of its sub-domains,
// with the same validation as IsTaobaoHost. The router may add it to its
// redirect allowlist (payment pages); Parse never resolves Alipay entities.
func IsAlipayHost(host string) bool {
	h, ok := normalizeHost(host)
	return ok && hasDomainSuffix(h, "alipay.com")
}

// normalizeHost validates host and returns it lower-cased without a trailing
// dot. It allocates only when host contains upper-case letters.
func normalizeHost(host string) (string, bool) {
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	if host == "" || len(host) > 253 {
		return "", false
	}
	upper := false
	prevDot := true // no leading dot, no empty labels
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			prevDot = false
		case c >= 'A' && c <= 'Z':
			upper = true
			prevDot = false
		case c == '.':
			if prevDot {
				return "", false
			}
			prevDot = true
		default:
			return "", false
		}
	}
	if prevDot {
		return "", false
	}
	if upper {
		host = asciiLower(host)
	}
	return host, true
}

// hasDomainSuffix reports whether host is domain or a sub-domain of it.
// Both must be lower case.
func hasDomainSuffix(host, domain string) bool {
	if len(host) == len(domain) {
		return host == domain
	}
	return len(host) > len(domain) &&
		host[len(host)-len(domain)-1] == '.' &&
		host[len(host)-len(domain):] == domain
}

// familyOf splits a normalized host into the family domain it belongs to and
// the labels before it ("item" for item.taobao.com, "" for tmall.com).
func familyOf(host string) (sub string, fd familyDomain, ok bool) {
	for _, d := range familyDomains {
		if hasDomainSuffix(host, d.domain) {
			if len(host) > len(d.domain) {
				sub = host[:len(host)-len(d.domain)-1]
			}
			return sub, d, true
		}
	}
	if hasDomainSuffix(host, legacyShortHost) {
		if len(host) > len(legacyShortHost) {
			sub = host[:len(host)-len(legacyShortHost)-1]
		}
		return sub, familyDomain{legacyShortHost, PlatformTmall}, true
	}
	if hasDomainSuffix(host, diantaoHost) {
		if len(host) > len(diantaoHost) {
			sub = host[:len(host)-len(diantaoHost)-1]
		}
		return sub, familyDomain{diantaoHost, PlatformTaobao}, true
	}
	return "", familyDomain{}, false
}

func asciiLower(s string) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}
