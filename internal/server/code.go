package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/shortlink"
)

// linkTimeout bounds a cold link lookup; warm taps never wait.
const linkTimeout = 500 * time.Millisecond

// handleCode answers GET/HEAD /{code}: the short link's stored entity,
// routed for this client. HEAD and bots never count against a click cap.
func (s *Server) handleCode(c *fiber.Ctx) error {
	code := c.Params("code")
	if s.deps.Links == nil || shortlink.ValidateCode(code) != nil {
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	}
	domain := s.domainOf(c)
	client := s.deps.Clients.Detect(c.Get(fiber.HeaderUserAgent))

	ctx, cancel := context.WithTimeout(context.Background(), linkTimeout)
	defer cancel()
	var (
		l   shortlink.Link
		err error
	)
	if c.Method() == fiber.MethodHead || client.Bot {
		l, err = s.deps.Links.Get(ctx, domain, code)
		if err == nil && l.MaxClicks > 0 {
			l, err = s.deps.Links.Peek(ctx, domain, code)
		}
		if err == nil {
			err = l.Check(s.now())
		}
	} else {
		l, err = s.deps.Links.Tap(ctx, domain, code)
	}
	if err != nil {
		return s.linkError(c, l, err)
	}
	t := &tap{link: &l, input: l.Target, entity: l.Entity, code: l.Code, client: client}
	return s.serveTapClient(c, t)
}

// linkError answers a link that cannot be used: 404, 410 saying what
// happened, or 503 when the store is down and the link is not cached.
func (s *Server) linkError(c *fiber.Ctx, l shortlink.Link, err error) error {
	switch shortlink.ErrorCode(err) {
	case shortlink.CodeNotFound, shortlink.CodeInvalid:
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	case shortlink.CodeGone:
		k := pages.InfoDisabled
		switch l.StatusAt(s.now()) {
		case shortlink.StatusExpired:
			k = pages.InfoExpired
		case shortlink.StatusExhausted:
			k = pages.InfoClickLimit
		}
		return s.infoPage(c, 0, k, "", nil)
	}
	s.log.Error("link lookup failed", "err", err, "request_id", requestID(c))
	return s.infoPage(c, fiber.StatusServiceUnavailable, pages.InfoInternal, "", nil)
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
