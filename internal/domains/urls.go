package domains

import "strings"

// URLs builds the public URLs of short links, the one rule the API, the
// exports and the web UI share: a link on the default domain ("") is on
// Origin, or, with pools on, on the default pool's best healthy host of the
// asked role now; a link pinned to a domain is on that host with Scheme.
// The zero value is not useful; use NewURLs. Safe for concurrent use.
type URLs struct {
	// Origin is scheme://host of links on the default domain.
	Origin string
	// Scheme is the scheme of links on other hosts.
	Scheme string
	// Pools picks pool hosts; nil or without records: pools off.
	Pools *Registry
	// entry and qr are a Fixed snapshot's picks ("": none).
	entry, qr string
	fixed     bool
}

// NewURLs returns the URLs of an install seen from one request: baseURL
// (--base-url; "" when unset) wins over the request's scheme and host.
func NewURLs(baseURL, reqScheme, reqHost string, pools *Registry) URLs {
	if baseURL == "" {
		return URLs{Origin: reqScheme + "://" + reqHost, Scheme: reqScheme, Pools: pools}
	}
	return URLs{Origin: baseURL, Scheme: Scheme(baseURL, reqScheme), Pools: pools}
}

// Scheme is the scheme of short links' public URLs: --base-url's, else the
// request's (URLs.Scheme without building the rest; no allocation for a
// lower-case scheme).
func Scheme(baseURL, reqScheme string) string {
	if baseURL == "" {
		return reqScheme
	}
	if sc, _, ok := strings.Cut(baseURL, "://"); ok {
		return strings.ToLower(sc)
	}
	return "https"
}

// Fixed returns u with the pools' picks made now, so every URL it builds
// (the rows of one export) is on the same host.
func (u URLs) Fixed() URLs {
	u.entry, _ = u.pick(Entry)
	u.qr, _ = u.pick(QR)
	u.fixed = true
	return u
}

func (u URLs) pick(role Role) (string, bool) {
	if u.fixed {
		h := u.entry
		if role == QR {
			h = u.qr
		}
		return h, h != ""
	}
	if !u.Pools.On() {
		return "", false
	}
	d, ok := u.Pools.Pick(DefaultPool, role)
	return d.Host, ok
}

// Short is the short URL of the link code stored under domain ("" = the
// default domain; with pools on, the pool's best healthy entry host).
func (u URLs) Short(domain, code string) string {
	return u.of(domain, code, Entry)
}

// QR is what a link's QR code encodes: the pool's best qr host (printed
// codes, never shared in chats) when it has one, else Short.
func (u URLs) QR(domain, code string) string {
	if domain == "" {
		if h, ok := u.pick(QR); ok {
			return u.Scheme + "://" + h + "/" + code
		}
	}
	return u.Short(domain, code)
}

// PoolURL is the URL of code on the pool's best healthy host of role, and
// false when pools are off, none is healthy, or the link is pinned to a
// domain (domain != "").
func (u URLs) PoolURL(domain, code string, role Role) (string, bool) {
	if domain != "" {
		return "", false
	}
	h, ok := u.pick(role)
	if !ok {
		return "", false
	}
	return u.Scheme + "://" + h + "/" + code, true
}

func (u URLs) of(domain, code string, role Role) string {
	if s, ok := u.PoolURL(domain, code, role); ok {
		return s
	}
	if domain == "" {
		return u.Origin + "/" + code
	}
	return u.Scheme + "://" + domain + "/" + code
}

// QRImage is the API path of a link's QR code PNG on Origin.
func (u URLs) QRImage(domain, code string) string {
	p := u.Origin + "/api/v1/links/" + code + "/qr.png"
	if domain != "" {
		p += "?domain=" + domain
	}
	return p
}
