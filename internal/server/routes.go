package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// routes registers the middleware, outermost first (request id, metrics,
// panic recovery: a panic is counted as the 500 it becomes), and every
// route. Handler's fast path does the same three inline for taps.
func (s *Server) routes() {
	s.app.Use(s.requestID)
	if s.metrics != nil {
		s.app.Use(s.metrics.middleware)
	}
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	s.app.Get("/healthz", s.handleHealthz)
	s.app.Get("/readyz", s.handleReadyz)
	if s.deps.Gatherer != nil {
		h := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.deps.Gatherer, promhttp.HandlerOpts{}))
		s.app.Get("/metrics", func(c *fiber.Ctx) error { h(c.Context()); return nil })
	}
	s.app.Get("/r", s.handleR) // Fiber's Get also answers HEAD
	api := s.app.Group("/api/v1")
	api.Get("/resolve", s.handleResolveAPI)
	s.apiRoutes(api)
	s.mountUI()
	s.app.Get("/", s.handleRootPath) // root.go
	s.app.Get("/:code", s.handleCode)
}

func (s *Server) handleHealthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok\n")
}

// handleReadyz runs every readiness check with a short deadline and answers
// 503 naming the ones that failed.
func (s *Server) handleReadyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	type result struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error,omitempty"`
	}
	out := struct {
		Ready  bool     `json:"ready"`
		Checks []result `json:"checks"`
	}{Ready: true}
	for _, ch := range s.deps.Ready {
		r := result{Name: ch.Name, OK: true}
		if err := ch.Func(ctx); err != nil {
			r.OK, r.Error, out.Ready = false, err.Error(), false
		}
		out.Checks = append(out.Checks, r)
	}
	status := http.StatusOK
	if !out.Ready {
		status = http.StatusServiceUnavailable
	}
	return c.Status(status).JSON(out)
}

// resolveResponse is the answer of GET /api/v1/resolve and of a tap from a
// mini-program web-view.
type resolveResponse struct {
	Input    string            `json:"input"`
	Entity   resolver.Entity   `json:"entity"`
	Client   clientinfo.Client `json:"client"`
	Decision route.Decision    `json:"decision"`
	// PayChannel repeats Decision.PayChannel at the top level for callers
	// that only want the channel.
	PayChannel string `json:"pay_channel,omitempty"`
	// Copy is what to offer for copying when the app cannot be opened:
	// the 淘口令 (as ￥token￥) or the link.
	Copy string `json:"copy,omitempty"`
	// ShortURL is the hutong link that was tapped (for /{code}).
	ShortURL string `json:"short_url,omitempty"`
	// LookupError says why a short link could not be expanded or a 淘口令
	// not decoded (for instance: decoding is not configured).
	LookupError string `json:"lookup_error,omitempty"`
	// Tpwd is the link's 淘口令 (both forms; Copy holds the one for this
	// client: the model form on iOS 14 and later).
	Tpwd *shortlink.Tpwd `json:"tpwd,omitempty"`
}

func (s *Server) resolveBody(c *fiber.Ctx, t *tap) resolveResponse {
	r := resolveResponse{
		Input: t.Input, Entity: t.Entity, Client: t.Client, Decision: t.Decision,
		PayChannel: t.Decision.PayChannel, Copy: t.CopyText(),
	}
	if t.Entity.Tpwd != "" {
		r.Copy = "￥" + t.Entity.Tpwd + "￥"
	}
	if tp := t.LinkTpwd(); tp != "" {
		r.Copy, r.Tpwd = tp, t.Link.Tpwd
	}
	if t.Link != nil {
		r.ShortURL = s.shortURL(c, t.Link.Domain, t.Link.Code)
	}
	if t.LookupErr != nil {
		r.LookupError = t.LookupErr.Error()
	}
	return r
}

// handleResolveAPI answers GET /api/v1/resolve?u=… with what a tap from this
// client would get, as JSON, without redirecting and without counting a tap.
func (s *Server) handleResolveAPI(c *fiber.Ctx) error {
	raw := c.Query("u")
	if strings.TrimSpace(raw) == "" {
		return errField("u", shortlink.ReasonRequired, "missing u: pass the Taobao/Tmall link or share text as ?u=")
	}
	if len(raw) > s.opts.MaxInput {
		return &shortlink.Error{Code: shortlink.CodeTooLarge, Field: "u", Reason: shortlink.ReasonTooLong,
			Message: "u is longer than the limit of " + itoa(s.opts.MaxInput) + " bytes"}
	}
	t := s.core.Acquire()
	defer s.core.Release(t)
	s.readTap(c, &t.Req)
	s.core.Resolve(t, strings.Clone(raw))
	s.observeLookup(c, t)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(s.resolveBody(c, t))
}
