// Package server is hutong's HTTP face: a Fiber v2 app that resolves taps
// (GET /{code}, GET /r?u=…), answers the JSON API under /api/v1, and serves
// health, readiness and metrics. It wires the domain packages together; it
// holds no domain logic of its own.
//
// A Server is safe for concurrent use once built; Shutdown drains in-flight
// requests.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/maypok86/otter/v2"

	tapcore "github.com/hutong-dev/hutong/internal/tap"
	"github.com/hutong-dev/hutong/shortlink"
)

// Options are the HTTP-level settings of a Server.
type Options struct {
	// TrustedProxies are IPs/CIDRs whose X-Forwarded-For is believed.
	// Optional. Default: none (the TCP peer is the client).
	TrustedProxies []string
	// ReadTimeout, WriteTimeout, IdleTimeout. Optional. Defaults 5s, 10s, 60s.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// BodyLimit caps request bodies. Optional. Default 8 MiB (bulk import).
	BodyLimit int
	// MaxInput caps /r?u= and /api/v1/resolve?u= inputs, in bytes.
	// Optional. Default 4096.
	MaxInput int
	// Domains are the extra short domains this install serves; a request
	// whose Host is one of them is for that domain's links. Optional.
	Domains []string
	// WriteRateLimit is the most write API requests per key per minute.
	// Optional. Default 600; negative disables the limit.
	WriteRateLimit int
	// BaseURL is the public origin of short links (https://hut.ong).
	// Optional. Default: the request's scheme and Host.
	BaseURL string
	// RootRedirect is where GET / redirects (302), a path or an http(s)
	// URL checked by the config; RootNotFound answers GET / as an unknown
	// code. Optional. Default "": the web UI for a browser signed into it
	// (the UI's hint cookie), else the home page (pages.Renderer.Home).
	RootRedirect string
	// NotFoundURL is where a tap on an unknown code is sent (302), a path
	// or an http(s) URL checked by the config: the operator's value, never
	// anything from the request. Optional. Default "": the 404 page.
	NotFoundURL string
}

func (o *Options) defaults() {
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 5 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 60 * time.Second
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 8 << 20
	}
	if o.WriteRateLimit == 0 {
		o.WriteRateLimit = 600
	}
	if o.MaxInput <= 0 {
		o.MaxInput = 4096
	}
}

// Server is the Fiber application with its dependencies.
type Server struct {
	app  *fiber.App
	opts Options
	deps Deps
	// links is deps.Service checking link input with this install's
	// rules (linkRules): the API and the UI make links through it.
	links   *shortlink.Service
	logos   *logoCache // decoded named QR logos
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	// realClock: now is time.Now (no test clock), so a request may use
	// fasthttp's own start time instead of reading the clock again.
	realClock bool

	expandTimeout time.Duration
	// core is the tap core (internal/tap); pages caches the interstitials
	// of taps whose decision it caches.
	core    *tapcore.Core
	pages   *otter.Cache[pageKey, []byte]
	qrs     *otter.Cache[string, []byte] // rendered QR codes by ETag
	proxies []netip.Prefix

	reqSeq    atomic.Uint64
	reqPrefix string
}

// New builds the Fiber app and registers every route. deps.Logger may be nil
// (slog.Default is used).
func New(deps Deps, opts Options) (*Server, error) {
	opts.defaults()
	if err := deps.check(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, deps: deps, log: deps.Logger, logos: newLogoCache()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.metrics = deps.Metrics
	s.now = deps.Now
	if s.now == nil {
		s.now, s.realClock = time.Now, true
	}
	s.expandTimeout = deps.ExpandTimeout
	if s.expandTimeout <= 0 {
		s.expandTimeout = tapcore.DefaultExpandTimeout
	}
	s.core = tapcore.New(tapcore.Config{
		Rules: deps.Rules, Clients: deps.Clients, Links: deps.Links,
		Expander: deps.Expander, Decoder: deps.Decoder, ExpandTimeout: s.expandTimeout,
		Record: deps.Events != nil, AnonymizeIP: deps.IPPolicy.ApplyAddr,
		Pools: pools(deps.Domain.Registry),
	})
	s.pages = newPageCache()
	s.qrs = newQRCache()
	if deps.Service != nil {
		s.links = deps.Service.WithRules(s.linkRules())
	}
	for _, p := range opts.TrustedProxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return nil, fmt.Errorf("server: trusted proxy %q is neither an IP nor a CIDR", p)
			}
			pfx = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		s.proxies = append(s.proxies, pfx)
	}
	s.reqPrefix = strconv.FormatInt(time.Now().UnixNano()&0xffffffffff, 36) + "-"
	s.app = fiber.New(fiber.Config{
		AppName:                 "hutong",
		DisableStartupMessage:   true,
		ReadTimeout:             opts.ReadTimeout,
		WriteTimeout:            opts.WriteTimeout,
		IdleTimeout:             opts.IdleTimeout,
		BodyLimit:               opts.BodyLimit,
		ReadBufferSize:          16 << 10, // long share texts in u= and big WeChat UAs
		EnableTrustedProxyCheck: true,
		TrustedProxies:          opts.TrustedProxies,
		// No ProxyHeader: Fiber would take X-Forwarded-For's first entry,
		// which the client controls; clientIP reads it from the right.
		ErrorHandler: s.errorHandler,
		// Routes are case-sensitive: short codes are.
		CaseSensitive: true,
	})
	s.routes()
	return s, nil
}

// App exposes the Fiber app (for in-memory tests and benchmarks).
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
// Requests go through Handler: warm taps skip Fiber's router.
func (s *Server) Serve(ln net.Listener) error {
	s.app.Server().Handler = s.Handler()
	return s.app.Listener(ln)
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.app.ShutdownWithContext(ctx)
}

// requestID sets X-Request-ID on every response (a client's own is kept
// when it is short and printable). The id lives only in the response header
// (fasthttp copies the bytes there); requestID(c) reads it back for logs and
// pages. Built in a stack buffer, it costs no allocation.
func (s *Server) requestID(c *fiber.Ctx) error {
	s.setRequestID(c)
	return c.Next()
}

func (s *Server) setRequestID(c *fiber.Ctx) {
	id := c.Request().Header.Peek(fiber.HeaderXRequestID)
	if len(id) == 0 || len(id) > 64 || !printable(id) {
		var buf [64]byte
		b := append(buf[:0], s.reqPrefix...)
		b = strconv.AppendUint(b, s.reqSeq.Add(1), 36)
		c.Response().Header.SetCanonical(hdrXRequestID, b)
	} else {
		c.Response().Header.SetCanonical(hdrXRequestID, id)
	}
}

func printable(s []byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", "err", e, "path", c.Path(), "request_id", requestID(c))
}

// errorHandler is the one place errors become HTTP answers.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	status, d := httpError(err, apiLang(c))
	if status >= 500 {
		s.log.Error("request failed", "err", err, "path", c.Path(), "status", status, "request_id", requestID(c))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	// fasthttp reports a chunked body over the limit before Fiber has the
	// request, so the path is unknown then: answer JSON unless a browser
	// asked for HTML.
	tooLarge := status == fiber.StatusRequestEntityTooLarge && !strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
	if tooLarge || wantsJSON(c) {
		return c.Status(status).JSON(errorBody{Error: d})
	}
	return s.errorPage(c, status, d.Code, d.Message)
}

// reqNow is the time of the request being served: fasthttp's start time of
// the request (read once per request already), unless a test clock is set.
func (s *Server) reqNow(c *fiber.Ctx) time.Time {
	if s.realClock {
		return requestStart(c)
	}
	return s.now()
}
