package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// apiTimeout bounds every store call an API request makes.
const apiTimeout = 5 * time.Second

func (s *Server) apiRoutes(api fiber.Router) {
	api.Use(requireJSON)
	api.Get("/openapi.json", s.handleOpenAPI)
	read := s.auth(shortlink.ScopeRead)
	write := []fiber.Handler{s.auth(shortlink.ScopeWrite), s.writeLimiter()}

	api.Get("/links", read, s.handleListLinks)
	api.Post("/links", append(write, s.handleCreateLink)...)
	api.Post("/links/bulk", append(write, s.handleBulk)...)
	api.Get("/links/:code", read, s.handleGetLink)
	api.Patch("/links/:code", append(write, s.handlePatchLink)...)
	api.Delete("/links/:code", append(write, s.handleDeleteLink)...)
	api.Get("/links/:code/qr.png", s.handleQR)
	api.Get("/links/:code/qr.svg", s.handleQR)
	api.Get("/links/:code/stats", read, s.handleLinkStats)
	api.Get("/campaigns/:campaign/stats", read, s.handleCampaignStats)
	api.Get("/events", read, s.handleEvents)
	api.Post("/beacon/:code", s.handleBeacon)
	api.Get("/beacon/:code", s.handleBeacon)
	api.Get("/keys", s.auth(shortlink.ScopeAdmin), s.handleListKeys)
	api.Post("/keys", s.auth(shortlink.ScopeAdmin), s.handleCreateKey)
	api.Delete("/keys/:id", s.auth(shortlink.ScopeAdmin), s.handleRevokeKey)
	s.domainRoutes(api)
	s.logoRoutes(api)
	api.All("/*", func(c *fiber.Ctx) error {
		return &shortlink.Error{Code: shortlink.CodeNotFound, Message: "no such API route: see /api/v1/openapi.json"}
	})
}

type localAPIKey struct{}

// requireJSON answers 415 to a POST, PUT or PATCH under /api/v1 whose body
// is not declared application/json: every such route reads one JSON
// object, except the bulk import (CSV or JSONL, checked there), a logo
// upload (the image itself, checked there) and the beacon (navigator.sendBeacon sends text/plain, and the body is unused).
func requireJSON(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch:
	default:
		return c.Next()
	}
	p := c.Path()
	if len(c.Body()) == 0 || strings.HasSuffix(p, "/links/bulk") || strings.Contains(p, "/beacon/") || strings.Contains(p, "/logos/") {
		return c.Next()
	}
	ct := c.Get(fiber.HeaderContentType)
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), fiber.MIMEApplicationJSON) {
		if ct == "" {
			ct = "none"
		}
		return &shortlink.Error{Code: shortlink.CodeUnsupportedMediaType,
			Message: "Content-Type " + strings.Clone(ct) + ": send the JSON body with Content-Type: application/json"}
	}
	return c.Next()
}

// auth admits requests carrying an active API key with scope (Authorization:
// Bearer KEY). Keys are looked up by the SHA-256 of the secret.
func (s *Server) auth(scope shortlink.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.deps.Service == nil || s.deps.Keys == nil {
			return errUnavailable("the link store is not configured")
		}
		h := c.Get(fiber.HeaderAuthorization)
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(secret) == "" {
			return &shortlink.Error{Code: shortlink.CodeUnauthorized,
				Message: "missing API key: send the header Authorization: Bearer <key> (create keys with `hutong keys create`)"}
		}
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		k, err := s.deps.Keys.GetKeyByHash(ctx, shortlink.HashSecret(strings.TrimSpace(secret)))
		if err != nil || !k.Active() {
			if err != nil && shortlink.ErrorCode(err) != shortlink.CodeNotFound {
				return err
			}
			return &shortlink.Error{Code: shortlink.CodeUnauthorized, Message: "unknown or revoked API key"}
		}
		if !k.Allows(scope) {
			return &shortlink.Error{Code: shortlink.CodeForbidden,
				Message: fmt.Sprintf("this API key lacks the %q scope", scope)}
		}
		c.Locals(localAPIKey{}, k.ID)
		return c.Next()
	}
}

// writeLimiter limits write requests per API key (per IP before auth). On
// Redis the counters are shared by every instance.
func (s *Server) writeLimiter() fiber.Handler {
	max := s.opts.WriteRateLimit
	if max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:        max,
		Expiration: time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string {
			if id, ok := c.Locals(localAPIKey{}).(string); ok {
				return "key:" + id
			}
			return "ip:" + c.IP()
		},
		LimitReached: func(c *fiber.Ctx) error {
			return &shortlink.Error{Code: shortlink.CodeRateLimited,
				Message: fmt.Sprintf("more than %d write requests a minute with this key: slow down and retry after the Retry-After seconds", max)}
		},
		Storage:                s.deps.LimiterStorage,
		LimiterMiddleware:      limiter.SlidingWindow{},
		SkipFailedRequests:     false,
		SkipSuccessfulRequests: false,
	})
}

// linkResponse is a link as the API shows it (linkquery.LinkJSON: the
// JSON Lines export writes the same objects).
type linkResponse = linkquery.LinkJSON

func (s *Server) linkJSON(c *fiber.Ctx, l shortlink.Link) linkResponse {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	n, err := s.counter().Clicks(ctx, &l)
	return s.linkJSONWith(c, l, n, err)
}

// linkJSONWith is linkJSON with the clicks counted already.
func (s *Server) linkJSONWith(c *fiber.Ctx, l shortlink.Link, clicks int64, clicksErr error) linkResponse {
	if l.MaxClicks > 0 && s.deps.Links != nil {
		// The cached copy's cap counter lags behind the store's.
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		if fresh, err := s.deps.Links.Peek(ctx, l.Domain, l.Code); err == nil {
			l.Clicks = fresh.Clicks
		}
		cancel()
	}
	u := s.urls(c)
	r := linkResponse{Link: l, Clicks: clicks, CapClicks: l.Clicks, ShortURL: u.Short(l.Domain, l.Code),
		QRShortURL: u.QR(l.Domain, l.Code), QRURL: u.QRImage(l.Domain, l.Code)}
	if clicksErr != nil {
		s.log.Warn("link clicks not counted", "code", l.Code, "err", clicksErr)
		r.ClicksError = "click counts are unavailable right now"
	}
	return r
}

func domainQuery(d string) string {
	if d == "" {
		return ""
	}
	return "?domain=" + d
}

// linkRules are the install's checks on link input (shortlink.Rules):
// the domains served, the routing table's allowlist, the click-ID names,
// the lookup of short links and 淘口令, the 淘口令 minter.
func (s *Server) linkRules() shortlink.Rules {
	return shortlink.Rules{
		MaxTarget:    s.opts.MaxInput,
		ServedDomain: s.servedDomain,
		Domains:      s.opts.Domains,
		CheckDesktopURL: func(u string) error {
			return s.deps.Rules.Load().Allowlist().Check(u)
		},
		IsClickID: track.IsClickIDParam,
		Deepen: func(ctx context.Context, e resolver.Entity) (resolver.Entity, error) {
			if !s.canDeepen(e) {
				return e, nil
			}
			ctx, cancel := context.WithTimeout(ctx, s.expandTimeout)
			defer cancel()
			return s.deepen(ctx, e)
		},
		Tpwd: s.deps.Tpwd,
		Now:  s.now,
		Log:  s.log,
	}
}

// decodeStrict decodes one JSON object body (shortlink.DecodeJSON).
func decodeStrict(body []byte, v any) error { return shortlink.DecodeJSON(body, v) }

// handleCreateLink makes a link (shortlink.Service.Make: every rule).
func (s *Server) handleCreateLink(c *fiber.Ctx) error {
	var in shortlink.Input
	if err := decodeStrict(c.Body(), &in); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	m, err := s.links.Make(ctx, in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/links/"+m.Code+domainQuery(m.Domain))
	resp := s.linkJSON(c, m.Link)
	resp.TpwdError = m.TpwdError
	return c.Status(fiber.StatusCreated).JSON(resp)
}

// linkDomain is the ?domain= of a link route ("" = the default domain).
func (s *Server) linkDomain(c *fiber.Ctx) (string, error) {
	d := strings.ToLower(c.Query("domain"))
	if d != "" && !s.servedDomain(d) {
		return "", errField("domain", shortlink.ReasonNotServed, fmt.Sprintf("domain %q: not served by this install", d))
	}
	return strings.Clone(d), nil
}

func (s *Server) getLink(c *fiber.Ctx) (shortlink.Link, error) {
	d, err := s.linkDomain(c)
	if err != nil {
		return shortlink.Link{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	l, err := s.deps.Service.Get(ctx, d, strings.Clone(c.Params("code")))
	if err != nil {
		return l, err
	}
	return l, nil
}

func (s *Server) handleGetLink(c *fiber.Ctx) error {
	l, err := s.getLink(c)
	if err != nil {
		return err
	}
	return c.JSON(s.linkJSON(c, l))
}

// handlePatchLink edits a link (shortlink.Service.Edit).
func (s *Server) handlePatchLink(c *fiber.Ctx) error {
	var in shortlink.Input
	if err := decodeStrict(c.Body(), &in); err != nil {
		return err
	}
	if in.Alias != nil || in.Domain != nil {
		return errBadRequest("alias and domain cannot change: create a new link instead")
	}
	l, err := s.getLink(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	out, err := s.links.Edit(ctx, l, in)
	if err != nil {
		return err
	}
	return c.JSON(s.linkJSON(c, out))
}

func (s *Server) handleDeleteLink(c *fiber.Ctx) error {
	d, err := s.linkDomain(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if err := s.deps.Service.Delete(ctx, d, strings.Clone(c.Params("code"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) handleListLinks(c *fiber.Ctx) error {
	if done, err := s.listLinksSorted(c); done { // links_list.go: sort, page, exports
		return err
	}
	f := shortlink.Filter{
		Domain:   strings.Clone(c.Query("domain")),
		Tag:      strings.Clone(c.Query("tag")),
		Campaign: strings.Clone(c.Query("campaign")),
		Q:        strings.Clone(c.Query("q")),
		Cursor:   strings.Clone(c.Query("cursor")),
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > shortlink.MaxPageSize {
			return errField("limit", shortlink.ReasonRange, fmt.Sprintf("limit: want 1 to %d", shortlink.MaxPageSize))
		}
		f.Limit = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	p, err := s.deps.Service.List(ctx, f)
	if err != nil {
		return err
	}
	out := struct {
		Links []linkResponse `json:"links"`
		Next  string         `json:"next,omitempty"`
	}{Links: make([]linkResponse, 0, len(p.Links)), Next: p.Next}
	for _, l := range p.Links {
		out.Links = append(out.Links, s.linkJSON(c, l))
	}
	return c.JSON(out)
}
