package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/hutong-dev/hutong/internal/route"
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
	api.All("/*", func(c *fiber.Ctx) error {
		return &shortlink.Error{Code: shortlink.CodeNotFound, Message: "no such API route: see /api/v1/openapi.json"}
	})
}

type localAPIKey struct{}

// requireJSON answers 415 to a POST, PUT or PATCH under /api/v1 whose body
// is not declared application/json: every such route reads one JSON
// object, except the bulk import (CSV or JSONL, checked there) and the
// beacon (navigator.sendBeacon sends text/plain, and the body is unused).
func requireJSON(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch:
	default:
		return c.Next()
	}
	p := c.Path()
	if len(c.Body()) == 0 || strings.HasSuffix(p, "/links/bulk") || strings.Contains(p, "/beacon/") {
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

// optTime is a JSON time that remembers whether it was present (null
// clears it in a PATCH).
type optTime struct {
	Set bool
	T   *time.Time
}

func (o *optTime) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.T = nil
		return nil
	}
	var t time.Time
	if err := json.Unmarshal(b, &t); err != nil {
		return errors.New("expires_at: want an RFC 3339 time such as 2026-12-31T23:59:59+08:00, or null")
	}
	o.T = &t
	return nil
}

// linkRequest is the body of POST /links (and a row of a bulk import) and,
// with only the fields to change, of PATCH /links/{code}.
type linkRequest struct {
	Target          *string            `json:"target"`
	Alias           *string            `json:"alias"`
	Domain          *string            `json:"domain"`
	ExpiresAt       optTime            `json:"expires_at"`
	MaxClicks       *int64             `json:"max_clicks"`
	Disabled        *bool              `json:"disabled"`
	Route           *routeOverrides    `json:"route"`
	Tags            *[]string          `json:"tags"`
	Campaign        *string            `json:"campaign"`
	UTM             *map[string]string `json:"utm"`
	ForwardClickIDs *[]string          `json:"forward_click_ids"`
	Title           *string            `json:"title"`
	Description     *string            `json:"description"`
	Image           *string            `json:"image"`
	// Tpwd asks for the link's 淘口令 (tpwd.go).
	Tpwd tpwdRequest `json:"tpwd"`
}

type routeOverrides = route.Overrides

// linkResponse is a link as the API shows it.
type linkResponse struct {
	shortlink.Link
	// Clicks is the link's human taps from the stats (links_list.go); it
	// hides Link.Clicks, the counter of a click cap, shown as CapClicks.
	Clicks      int64  `json:"clicks"`
	CapClicks   int64  `json:"cap_clicks"`
	ClicksError string `json:"clicks_error,omitempty"`
	ShortURL    string `json:"short_url"`
	QRURL       string `json:"qr_url"`
	// QRShortURL is what the link's QR code encodes: short_url, or the
	// pool's qr host when it has one (domain pools).
	QRShortURL string `json:"qr_short_url"`
	// TpwdError says why "tpwd": "optional" made the link without one.
	TpwdError string `json:"tpwd_error,omitempty"`
}

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
	r := linkResponse{Link: l, Clicks: clicks, CapClicks: l.Clicks, ShortURL: s.shortURL(c, l.Domain, l.Code),
		QRShortURL: s.qrShortURL(c, l.Domain, l.Code),
		QRURL:      s.origin(c) + "/api/v1/links/" + l.Code + "/qr.png" + domainQuery(l.Domain)}
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

// decodeStrict decodes one JSON object, rejecting unknown fields and
// trailing data, with messages that name the problem.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errBadRequest("empty body: send a JSON object such as {\"target\": \"https://item.taobao.com/item.htm?id=…\"}")
	}
	// encoding/json would store invalid UTF-8 as U+FFFD: refuse it.
	if !utf8.Valid(body) {
		return errBadRequest(fmt.Sprintf("body is not valid UTF-8 (at byte %d): send the text as UTF-8", invalidUTF8At(body)))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return errBadRequest(fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se))
		case errors.As(err, &te):
			return errBadRequest(fmt.Sprintf("field %q: want %s, got %s", te.Field, te.Type, te.Value))
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return errBadRequest(strings.TrimPrefix(err.Error(), "json: ") + " (see /api/v1/openapi.json for the fields)")
		}
		return errBadRequest("invalid JSON: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadRequest("invalid JSON: one object expected, found more after it")
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// apply copies the request's fields onto l, resolving a new target. It
// validates what the shortlink domain cannot: the target must be something
// the resolver understands, a domain must be served here, a desktop URL
// must be on the allowlist.
//
// With lookup set, an m.tb.cn link or a 淘口令 target is looked up now (see
// deepen); bulk imports pass false so a slow network cannot stall them for
// thousands of rows (their links are looked up on tap instead).
func (s *Server) apply(l *shortlink.Link, r *linkRequest, lookup bool) error {
	if r.Target != nil {
		in := strings.TrimSpace(*r.Target)
		if in == "" {
			return errBadRequest("target: paste a Taobao/Tmall link, an m.tb.cn short link or a 淘口令 share text")
		}
		if len(in) > s.opts.MaxInput {
			return errBadRequest(fmt.Sprintf("target: longer than the limit of %d bytes", s.opts.MaxInput))
		}
		if err := shortlink.ValidateTarget(in); err != nil {
			return err
		}
		e := resolver.Parse(in)
		if !e.Known() {
			return errBadRequest("target: not a Taobao/Tmall link or share text hutong understands (item, shop, live room, short link or 淘口令)")
		}
		// Store what an m.tb.cn link or a 淘口令 points to when it can be
		// looked up now, so taps need no lookup and their decisions can be
		// cached; if not, the short link is stored and taps look it up.
		if lookup && s.canDeepen(e) {
			ctx, cancel := context.WithTimeout(context.Background(), s.expandTimeout)
			if deep, err := s.deepen(ctx, e); err == nil {
				e = deep
			}
			cancel()
		}
		target, err := shortlink.CleanTarget(in, e)
		if err != nil {
			return err
		}
		l.Target, l.Entity = target, e
		if l.Title == "" && e.Title != "" {
			l.Title = e.Title
		}
	}
	if r.Domain != nil {
		d := strings.ToLower(strings.TrimSpace(*r.Domain))
		if d != "" && !s.servedDomain(d) {
			return errBadRequest(fmt.Sprintf("domain %q: not served by this install (configured: %s)", d, strings.Join(s.opts.Domains, ", ")))
		}
		l.Domain = d
	}
	if r.ExpiresAt.Set {
		// A new or changed expiry must be in the future (POST and PATCH
		// alike); an unchanged one may have passed.
		if r.ExpiresAt.T != nil && (l.ExpiresAt == nil || !l.ExpiresAt.Equal(*r.ExpiresAt.T)) {
			if err := shortlink.ValidateExpiresAt(r.ExpiresAt.T, s.now()); err != nil {
				return err
			}
		}
		l.ExpiresAt = r.ExpiresAt.T
	}
	if r.MaxClicks != nil {
		l.MaxClicks = *r.MaxClicks
	}
	if r.Disabled != nil {
		l.Disabled = *r.Disabled
	}
	if r.Route != nil {
		if r.Route.DesktopURL != "" {
			if err := s.deps.Rules.Load().Allowlist().Check(r.Route.DesktopURL); err != nil {
				return errBadRequest("route.desktop_url: " + err.Error())
			}
		}
		l.Route = *r.Route
	}
	if r.Tags != nil {
		l.Tags = *r.Tags
	}
	if r.Campaign != nil {
		l.Campaign = *r.Campaign
	}
	if r.UTM != nil {
		for k := range *r.UTM {
			if !strings.HasPrefix(k, "utm_") {
				return errBadRequest(fmt.Sprintf("utm: %q is not a utm_ parameter (utm_source, utm_medium, utm_campaign, …)", k))
			}
		}
		l.UTM = *r.UTM
	}
	if r.ForwardClickIDs != nil {
		for _, k := range *r.ForwardClickIDs {
			if !track.IsClickIDParam(k) {
				return errBadRequest(fmt.Sprintf("forward_click_ids: %q is not an ad click ID (gdt_vid, qz_gdt, click_id, clickid, callback, cb, bd_vid, utm_*)", k))
			}
		}
		l.ForwardClickIDs = *r.ForwardClickIDs
	}
	if r.Title != nil {
		l.Title = *r.Title
	}
	if r.Description != nil {
		l.Description = *r.Description
	}
	if r.Image != nil {
		l.Image = *r.Image
	}
	return nil
}

// prepareLink validates one link request and resolves its target.
func (s *Server) prepareLink(r *linkRequest, lookup bool) (shortlink.Link, error) {
	if r.Target == nil {
		return shortlink.Link{}, errBadRequest("target is required: a Taobao/Tmall link, an m.tb.cn short link or a 淘口令 share text")
	}
	var l shortlink.Link
	if r.Alias != nil {
		l.Code = strings.TrimSpace(*r.Alias)
	}
	if err := s.apply(&l, r, lookup); err != nil {
		return l, err
	}
	return l, nil
}

// createLink validates and stores one link request.
func (s *Server) createLink(ctx context.Context, r *linkRequest) (shortlink.Link, error) {
	l, err := s.prepareLink(r, true)
	if err != nil {
		return l, err
	}
	if err := s.attachTpwd(ctx, &l, r, false); err != nil {
		return l, err
	}
	out, err := s.deps.Service.Create(ctx, l)
	if err != nil {
		return out, err
	}
	return out, nil
}

// bulkCreate creates the valid rows of an import in one batch
// (Service.CreateMany: one transaction, or pipelined round trips on Redis)
// and returns per-row results in row order: links[i] when errs[i] is nil.
// rowErrs are the rows that failed to parse.
func (s *Server) bulkCreate(ctx context.Context, rows []*linkRequest, rowErrs map[int]error) ([]shortlink.Link, []error) {
	links := make([]shortlink.Link, len(rows))
	errs := make([]error, len(rows))
	batch := make([]shortlink.Link, 0, len(rows))
	idx := make([]int, 0, len(rows))
	for i, r := range rows {
		if e := rowErrs[i]; e != nil {
			errs[i] = e
			continue
		}
		l, err := s.prepareLink(r, false)
		if err == nil {
			err = s.attachTpwd(ctx, &l, r, false)
		}
		if err != nil {
			errs[i] = err
			continue
		}
		batch = append(batch, l)
		idx = append(idx, i)
	}
	out, berrs := s.deps.Service.CreateMany(ctx, batch)
	for j, i := range idx {
		if berrs[j] != nil {
			errs[i] = berrs[j]
		} else {
			links[i] = out[j]
		}
	}
	return links, errs
}

func (s *Server) handleCreateLink(c *fiber.Ctx) error {
	var r linkRequest
	if err := decodeStrict(c.Body(), &r); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	l, err := s.createLink(ctx, &r)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/links/"+l.Code+domainQuery(l.Domain))
	resp := s.linkJSON(c, l)
	resp.TpwdError = r.Tpwd.warning
	return c.Status(fiber.StatusCreated).JSON(resp)
}

// linkDomain is the ?domain= of a link route ("" = the default domain).
func (s *Server) linkDomain(c *fiber.Ctx) (string, error) {
	d := strings.ToLower(c.Query("domain"))
	if d != "" && !s.servedDomain(d) {
		return "", errBadRequest(fmt.Sprintf("domain %q: not served by this install", d))
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

func (s *Server) handlePatchLink(c *fiber.Ctx) error {
	var r linkRequest
	if err := decodeStrict(c.Body(), &r); err != nil {
		return err
	}
	if r.Alias != nil || r.Domain != nil {
		return errBadRequest("alias and domain cannot change: create a new link instead")
	}
	l, err := s.getLink(c)
	if err != nil {
		return err
	}
	l = l.Clone()
	oldTarget := l.Target
	if err := s.apply(&l, &r, true); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if err := s.attachTpwd(ctx, &l, &r, l.Target != oldTarget); err != nil {
		return err
	}
	out, err := s.deps.Service.Update(ctx, l)
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
			return errBadRequest(fmt.Sprintf("limit: want 1 to %d", shortlink.MaxPageSize))
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
