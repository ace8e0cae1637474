package server

import (
	"errors"
	"github.com/hutong-dev/hutong/internal/domains"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/hutong-dev/hutong/internal/pages"
	tapcore "github.com/hutong-dev/hutong/internal/tap"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// tap is one tap being answered (internal/tap): the request in plain
// values, the decision, the answer and the event.
type tap = tapcore.Tap

// handleCode answers GET/HEAD /{code} through Fiber's router: the paths
// the fast path (fast.go) leaves to Fiber, such as a code with a trailing
// slash or one that is not a valid code (its 404 page).
func (s *Server) handleCode(c *fiber.Ctx) error {
	code := c.Params("code")
	if !shortlink.IsCode(code) {
		return s.notFound(c) // root.go: --not-found-url
	}
	return s.tapCode(c, code)
}

// tapCode answers a tap on a short link: request in (the request as plain
// values), the tap core (tapcore.Core.Code: link, client, scene, lookup,
// decision, event), response out (respond). code is a valid code
// (shortlink.IsCode; both callers check) and may alias the request's
// memory.
func (s *Server) tapCode(c *fiber.Ctx, code string) error {
	t := s.core.Acquire()
	defer s.core.Release(t)
	r := &t.Req
	r.Code = code
	var ok bool
	if r.Domains, r.Host, ok = s.tapKeys(c, &r.DomainBuf); !ok { // domain pools: a host that is not configured, or retired
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	}
	if r.Host != "" {
		r.Scheme = domains.Scheme(s.opts.BaseURL, c.Protocol()) // of the landing hop, should the core send the tap there
	}
	s.readTap(c, r)
	s.core.Code(t)
	return s.answer(c, t)
}

// handleR answers GET/HEAD /r?u=<any Taobao link or share text>.
func (s *Server) handleR(c *fiber.Ctx) error {
	raw := c.Query("u")
	if raw == "" {
		return s.infoPage(c, fiber.StatusBadRequest, pageBadInput, "", nil)
	}
	if len(raw) > s.opts.MaxInput {
		return s.infoPage(c, fiber.StatusRequestEntityTooLarge, pageTooLarge, "", nil)
	}
	in := strings.Clone(raw)
	e := resolver.Parse(in)
	if !e.Known() && e.Kind != resolver.KindShort && e.Kind != resolver.KindPassword {
		return s.infoPage(c, fiber.StatusBadRequest, pageNotTaobao, in, nil)
	}
	t := s.core.Acquire()
	defer s.core.Release(t)
	s.readTap(c, &t.Req)
	s.core.Input(t, in, e)
	return s.answer(c, t)
}

// readTap is request in: what the tap core reads of a request, as plain
// values (aliasing the request's memory; the core copies what it keeps).
func (s *Server) readTap(c *fiber.Ctx, r *tapcore.Request) {
	rc := c.Context()
	r.UA = utils.UnsafeString(rc.Request.Header.UserAgent())
	r.Head = rc.IsHead()
	r.Now = s.reqNow(c)
	if args := rc.QueryArgs(); args.Len() > 0 {
		args.VisitAll(func(k, v []byte) {
			r.Query = append(r.Query, tapcore.Param{Key: utils.UnsafeString(k), Value: utils.UnsafeString(v)})
		})
		r.RawQuery = utils.UnsafeString(args.QueryString())
	}
	if s.deps.Events != nil && !r.Head {
		r.Referer = utils.UnsafeString(rc.Request.Header.Referer())
		r.IP = s.clientIP(c)
	}
}

// answer is response out: metrics, the lookup's log line, the click event
// handed to the recorder, and the page the core chose.
func (s *Server) answer(c *fiber.Ctx, t *tap) error {
	if t.Err != nil {
		s.log.Error("link lookup failed", "err", t.Err, "request_id", requestID(c))
	}
	s.observeLookup(c, t)
	if t.Answer.Page == tapcore.PageUnusable {
		if t.Answer.Info == pages.InfoNotFound && t.Answer.Status == 0 && t.Link == nil {
			return s.notFound(c) // an unknown code: --not-found-url
		}
		return s.infoPage(c, t.Answer.Status, t.Answer.Info, "", nil)
	}
	s.metrics.action(string(t.Decision.Action), t.Decision.PayChannel)
	s.metrics.unknownClient(t.Client)
	if t.Record {
		s.deps.Events.Record(&t.Event)
	}
	return s.respond(c, t)
}

// observeLookup counts a short link's expansion and logs a failed lookup
// (a 淘口令 decoder that is not configured is expected, not logged).
func (s *Server) observeLookup(c *fiber.Ctx, t *tap) {
	if t.Expansion != 0 {
		s.metrics.expansion(t.Expansion > 0)
	}
	if t.LookupErr != nil && !errors.Is(t.LookupErr, resolver.ErrDecodeNotConfigured) {
		s.log.Warn("short link or 淘口令 lookup failed", "kind", t.Entity.Kind, "url", t.Entity.URL, "err", t.LookupErr, "request_id", requestID(c))
	}
}

// domainOf is the short domain a request is for: its Host when that is one
// of the configured extra domains, else the default domain "".
func (s *Server) domainOf(c *fiber.Ctx) string {
	if len(s.opts.Domains) == 0 {
		return ""
	}
	h := c.Hostname()
	for _, d := range s.opts.Domains {
		if h == d {
			return d
		}
	}
	return ""
}
