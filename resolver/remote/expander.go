package remote

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/resolver"
)

// DefaultUserAgent is the mobile User-Agent sent to short-link hosts unless
// ExpanderConfig.UserAgent says otherwise (the short-link pages are made for
// phones).
const DefaultUserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

// Defaults of ExpanderConfig.
const (
	DefaultExpandTimeout = 1500 * time.Millisecond
	DefaultMaxBodyBytes  = 256 << 10
	DefaultMaxHops       = 2
	DefaultCacheSize     = 4096
	DefaultCacheTTL      = time.Hour
	DefaultNegativeTTL   = time.Minute
)

// ExpanderConfig configures NewExpander. The zero value is a working
// configuration: every field is optional.
type ExpanderConfig struct {
	// BaseURL, when set, receives every short-link request instead of the
	// short-link host: https://m.tb.cn/h.X is fetched as BaseURL+"/h.X"
	// with the Host header set to m.tb.cn. Meant for tests (an httptest
	// server) and for an egress gateway. It must be an absolute http(s)
	// URL without query; NewExpander panics otherwise.
	//
	// Optional. Default: "" (https://{short-link host}).
	BaseURL string

	// Transport sends the requests. Redirects are never followed by the
	// HTTP client; the Expander follows short-link hops itself.
	//
	// Optional. Default: a clone of http.DefaultTransport that ignores
	// proxy environment variables (no package reads the environment; pass
	// a Transport with Proxy set to use one).
	Transport http.RoundTripper

	// UserAgent is sent with every request.
	//
	// Optional. Default: DefaultUserAgent (iPhone Safari).
	UserAgent string

	// Timeout bounds one whole expansion, all hops included. The caller's
	// context is honoured as well: Expand returns when either ends.
	//
	// Optional. Default: DefaultExpandTimeout (1.5 s).
	Timeout time.Duration

	// MaxBodyBytes caps the bytes read from one response; a larger body
	// fails with ErrTooLarge.
	//
	// Optional. Default: DefaultMaxBodyBytes (256 KiB).
	MaxBodyBytes int64

	// MaxHops is how many further short links (m.tb.cn → s.tb.cn …) are
	// followed after the first one. Loops fail with ErrTooManyHops.
	//
	// Optional. Default: DefaultMaxHops (2). A negative value follows none.
	MaxHops int

	// AllowHost decides which hosts an answer may point to. It receives a
	// lower-case ASCII host without port or trailing dot; scheme (http,
	// https), userinfo, port and character checks happen before it is
	// called. Short-link hosts are always accepted as hops.
	//
	// Optional. Default: DefaultAllowHost.
	AllowHost func(host string) bool

	// CacheSize bounds the number of cached expansions (LRU).
	//
	// Optional. Default: DefaultCacheSize (4096). A negative value disables
	// caching.
	CacheSize int

	// CacheTTL is how long a successful expansion is cached.
	//
	// Optional. Default: DefaultCacheTTL (1 h).
	CacheTTL time.Duration

	// NegativeTTL is how long a definitive failure (ErrNotFound,
	// ErrDisallowedHost, ErrTooLarge, ErrTooManyHops) is cached. Upstream
	// failures (ErrUpstream) are never cached.
	//
	// Optional. Default: DefaultNegativeTTL (1 min).
	NegativeTTL time.Duration

	// Now is the clock of the cache.
	//
	// Optional. Default: time.Now.
	Now func() time.Time
}

// Expander expands Taobao short links (m.tb.cn, s.tb.cn, e.tb.cn, c.tb.cn,
// tb.cn) into the long URL they stand for. It implements
// resolver.Expander.
//
// It fetches only short-link hosts (never a URL given by the caller or an
// answer outside that family), reads the long URL from the page's
// `var url = '…'` or a Location header without running any script, and
// returns only URLs whose host AllowHost accepts. Results are cached by
// short-link host and code; concurrent expansions of the same code share
// one request.
//
// Build it with NewExpander; the zero value is not usable. An *Expander is
// safe for concurrent use and must not be copied.
type Expander struct {
	base    string // "" or BaseURL without trailing slash
	client  *http.Client
	ua      string
	timeout time.Duration
	maxBody int64
	maxHops int
	allow   func(string) bool
	lookup  *cachedLookup[string]
}

var _ resolver.Expander = (*Expander)(nil)

// NewExpander returns an Expander configured by cfg, with defaults for
// zero fields. It panics if cfg.BaseURL is set but is not an absolute
// http(s) URL without query or fragment.
func NewExpander(cfg ExpanderConfig) *Expander {
	e := &Expander{
		ua:      cfg.UserAgent,
		timeout: cfg.Timeout,
		maxBody: cfg.MaxBodyBytes,
		maxHops: cfg.MaxHops,
		allow:   cfg.AllowHost,
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			panic(fmt.Sprintf("remote: ExpanderConfig.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL))
		}
		e.base = strings.TrimSuffix(cfg.BaseURL, "/")
	}
	if e.ua == "" {
		e.ua = DefaultUserAgent
	}
	if e.timeout <= 0 {
		e.timeout = DefaultExpandTimeout
	}
	if e.maxBody <= 0 {
		e.maxBody = DefaultMaxBodyBytes
	}
	switch {
	case e.maxHops == 0:
		e.maxHops = DefaultMaxHops
	case e.maxHops < 0:
		e.maxHops = 0
	}
	if e.allow == nil {
		e.allow = DefaultAllowHost
	}
	e.client = newHTTPClient(cfg.Transport)
	e.lookup = newCachedLookup[string](cfg.CacheSize, cfg.CacheTTL, cfg.NegativeTTL, cfg.Now)
	return e
}

// newHTTPClient returns a client that never follows redirects and keeps no
// cookies. Deadlines come from the request contexts.
func newHTTPClient(rt http.RoundTripper) *http.Client {
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil
		rt = t
	}
	return &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Expand returns the long URL behind shortURL ("https://m.tb.cn/h.CODE",
// with or without scheme; query and fragment are ignored).
//
// Errors: ErrNotShortLink for input that is not a short link (nothing is
// fetched); ErrNotFound when the link leads nowhere; ErrDisallowedHost when
// it leads outside the allowed hosts; ErrTooLarge; ErrTooManyHops; and
// ErrUpstream wrapping the cause (network, timeout, unexpected status).
// When ctx ends first, Expand returns ctx.Err(); the shared lookup goes on,
// bounded by ExpanderConfig.Timeout, and fills the cache for the next call.
func (e *Expander) Expand(ctx context.Context, shortURL string) (string, error) {
	link, err := parseShortLink(shortURL)
	if err != nil {
		return "", err
	}
	return e.lookup.do(ctx, link.key(), func(ctx context.Context) (string, error) {
		return e.expand(ctx, link)
	})
}

// expand follows link through at most maxHops further short links.
func (e *Expander) expand(ctx context.Context, link shortLink) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	seen := make(map[string]bool, e.maxHops+1)
	for hop := 0; ; hop++ {
		if seen[link.key()] {
			return "", fmt.Errorf("%w: loop back to %s", ErrTooManyHops, link)
		}
		if hop > e.maxHops {
			return "", fmt.Errorf("%w: more than %d hops at %s", ErrTooManyHops, e.maxHops, link)
		}
		seen[link.key()] = true
		target, err := e.fetch(ctx, link)
		if err != nil {
			return "", err
		}
		next, isShort, err := e.classify(target)
		if err != nil {
			return "", err
		}
		if !isShort {
			return target, nil
		}
		link = next
	}
}

// allowOrShort accepts the configured hosts and the short-link family (as
// hops).
func (e *Expander) allowOrShort(host string) bool { return isShortHost(host) || e.allow(host) }

// classify tells a validated answer that is another short link (a hop)
// from a final target.
func (e *Expander) classify(target string) (shortLink, bool, error) {
	u, err := url.Parse(target)
	if err != nil { // cannot happen: target passed checkTarget
		return shortLink{}, false, fmt.Errorf("%w: %v", ErrDisallowedHost, err)
	}
	if !isShortHost(strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")) {
		return shortLink{}, false, nil
	}
	next, err := parseShortLink(target)
	if err != nil {
		return shortLink{}, false, fmt.Errorf("%w: short-link answer without a code: %s", ErrNotFound, target)
	}
	return next, true, nil
}

// fetch performs one GET of link and returns the validated URL it points
// to (a final target or another short link).
func (e *Expander) fetch(ctx context.Context, link shortLink) (string, error) {
	reqURL := link.String()
	if e.base != "" {
		reqURL = e.base + link.path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reqURL, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUpstream, err)
	}
	if e.base != "" {
		req.Host = link.host
	}
	req.Header.Set("User-Agent", e.ua)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	resp, err := e.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: GET %s: %w", ErrUpstream, link, err)
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10) // let the connection be reused
		_ = resp.Body.Close()
	}()
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		loc := resp.Header.Get("Location")
		if loc == "" {
			return "", fmt.Errorf("%w: GET %s: %d without Location", ErrUpstream, link, resp.StatusCode)
		}
		return e.resolveLocation(link, loc)
	case http.StatusOK:
		body, err := readCapped(resp, e.maxBody)
		if err != nil {
			return "", fmt.Errorf("GET %s: %w", link, err)
		}
		t, err := extractTarget(body, e.allowOrShort)
		if err != nil {
			return "", fmt.Errorf("GET %s: %w", link, err)
		}
		return t, nil
	case http.StatusNotFound, http.StatusGone:
		return "", fmt.Errorf("%w: GET %s: status %d", ErrNotFound, link, resp.StatusCode)
	default:
		return "", fmt.Errorf("%w: GET %s: status %d", ErrUpstream, link, resp.StatusCode)
	}
}

// resolveLocation validates a Location header of a response to link. A
// relative reference is resolved against the short link itself (never
// against BaseURL).
func (e *Expander) resolveLocation(link shortLink, loc string) (string, error) {
	loc = strings.TrimSpace(loc)
	s := loc
	if !hasHTTPScheme(loc) && !strings.HasPrefix(loc, "//") {
		// Relative reference: refuse anything a browser could read
		// differently, then resolve.
		if strings.ContainsAny(loc, "\\\t\n\r") || strings.Contains(loc, ":") && !strings.HasPrefix(loc, "/") {
			return "", fmt.Errorf("%w: Location %q", ErrDisallowedHost, loc)
		}
		ref, err := url.Parse(loc)
		if err != nil {
			return "", fmt.Errorf("%w: Location %q: %v", ErrDisallowedHost, loc, err)
		}
		base := &url.URL{Scheme: "https", Host: link.host, Path: link.path}
		s = base.ResolveReference(ref).String()
	}
	t, err := checkTarget(s, e.allowOrShort)
	if err != nil {
		return "", fmt.Errorf("Location of %s: %w", link, err)
	}
	return t, nil
}

func hasHTTPScheme(s string) bool {
	return len(s) >= 7 && strings.EqualFold(s[:7], "http://") ||
		len(s) >= 8 && strings.EqualFold(s[:8], "https://")
}

// readCapped reads resp.Body up to max bytes; ErrTooLarge beyond.
func readCapped(resp *http.Response, max int64) ([]byte, error) {
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: Content-Length %d > %d", ErrTooLarge, resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %w", ErrUpstream, err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: body over %d bytes", ErrTooLarge, max)
	}
	return body, nil
}
