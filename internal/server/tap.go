package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/route"
	tapcore "github.com/hutong-dev/hutong/internal/tap"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// tap is one tap being answered: what was tapped, by whom, and the decision.
// Every string in it is owned (copied out of fasthttp's buffers) so it can
// outlive the handler in an event.
type tap struct {
	link   *shortlink.Link // nil for /r
	input  string          // the raw input (link target or u=), for copy buttons
	code   string          // short code, or "r:<hash>" for /r
	entity resolver.Entity
	client clientinfo.Client
	dec    route.Decision
	// key is set when the decision is cacheable; keyed when it is also
	// cached (a hit, or admitted on this miss), and so its page.
	key   decisionKey
	keyed bool
	// lookupErr is set when a short link could not be expanded or a
	// 淘口令 not decoded.
	lookupErr error
	// ev is the tap's click event, built by record.
	ev track.Event
}

// cacheNoStore keeps browsers and proxies from caching a tap: a cached 302
// would hide edits and lose clicks.
const cacheNoStore = "private, no-store, max-age=0"

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
	t := &tap{input: in, entity: e, code: inputCode(in)}
	return s.serveTap(c, t)
}

// serveTap classifies the client, expands what needs expanding, routes,
// records the tap and answers.
func (s *Server) serveTap(c *fiber.Ctx, t *tap) error {
	t.client = s.deps.Clients.Detect(c.Get(fiber.HeaderUserAgent))
	return s.serveTapClient(c, t)
}

// serveTapClient is serveTap once t.client holds the UA classification.
func (s *Server) serveTapClient(c *fiber.Ctx, t *tap) error {
	s.decide(c, t)
	if t.tpwdGuide() {
		t.dec.Action = route.ActionGuide // WeChat, when the link opted in: lead with its 淘口令 (tpwd.go)
	}
	s.metrics.action(string(t.dec.Action), t.dec.PayChannel)
	s.metrics.unknownClient(t.client)

	if c.Method() != fiber.MethodHead {
		s.record(c, t)
	}
	return s.respond(c, t)
}

// decide fills t.dec for t.client: it reads WeChat's share scene, looks up
// a short link or 淘口令 that needs it, and routes, reusing a cached decision
// for a warm short-link tap whose query forwards nothing. Taps and
// /api/v1/resolve share it.
func (s *Server) decide(c *fiber.Ctx, t *tap) {
	t.client.Scene, t.client.AppInstalled = clientinfo.SceneOf(c.Query(clientinfo.ParamFrom), c.Query(clientinfo.ParamIsAppInstalled), t.client.App)
	s.lookup(c, t)

	table := s.deps.Rules.Load()
	if cacheable(c, t, table) {
		t.key = keyOf(table, t.link, &t.client)
		if d, ok := s.decisions.c.GetIfPresent(t.key); ok {
			t.dec, t.keyed = d, true
			return
		}
		t.dec = table.Decide(route.Request{Entity: t.entity, Client: t.client, Overrides: t.link.Route, Forward: s.forwardParams(c, t)})
		// A key's first miss is not cached (nor is its page): see doorkeeper.
		if s.decisions.door.admit(&t.key) {
			s.decisions.c.Set(t.key, t.dec)
			t.keyed = true
		}
		return
	}
	req := route.Request{Entity: t.entity, Client: t.client, Forward: s.forwardParams(c, t),
		Query: string(c.Context().QueryArgs().QueryString())}
	if t.link != nil {
		req.Overrides = t.link.Route
	}
	t.dec = table.Decide(req)
}

// lookup replaces a short link or a bare 淘口令 on a tap by what it points
// to (resolver.Deepen), within the configured timeout. On failure the
// entity stays as it is and the router sends the person to the guide/info
// page with the link or token to copy; t.lookupErr says why.
func (s *Server) lookup(c *fiber.Ctx, t *tap) {
	if !s.canDeepen(t.entity) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.expandTimeout)
	defer cancel()
	e, err := s.deepen(ctx, t.entity)
	if t.entity.Kind == resolver.KindShort {
		s.metrics.expansion(err == nil || errors.Is(err, resolver.ErrLedToUnknown))
	}
	if err != nil {
		t.lookupErr = err
		if !errors.Is(err, resolver.ErrDecodeNotConfigured) {
			s.log.Warn("short link or 淘口令 lookup failed", "kind", t.entity.Kind, "url", t.entity.URL, "err", err, "request_id", requestID(c))
		}
		return
	}
	t.entity = e
}

// canDeepen reports whether deepen has anything to do for e.
func (s *Server) canDeepen(e resolver.Entity) bool {
	return resolver.CanDeepen(e, s.deps.Expander, s.deps.Decoder)
}

// deepen is resolver.Deepen with the server's expander and decoder.
func (s *Server) deepen(ctx context.Context, e resolver.Entity) (resolver.Entity, error) {
	e, _, err := resolver.Deepen(ctx, e, s.deps.Expander, s.deps.Decoder)
	return e, err
}

// respond writes the answer for t.dec.
func (s *Server) respond(c *fiber.Ctx, t *tap) error {
	h := &c.Response().Header
	h.SetCanonical(hdrCacheControl, valCacheNoStore)
	switch t.dec.Action {
	case route.ActionRedirect:
		setLocation(c, t.dec.Location)
		h.SetCanonical(hdrReferrerPolicy, valReferrerPolicy)
		return c.SendStatus(fiber.StatusFound)
	case route.ActionJSON:
		return c.JSON(s.resolveBody(c, t))
	case route.ActionInterstitial:
		return s.interstitialPage(c, t)
	case route.ActionGuide:
		return s.guidePage(c, t)
	case route.ActionPreview:
		return s.previewPage(c, t)
	default:
		return s.infoPage(c, fiber.StatusOK, pageInfo, t.copyText(), t)
	}
}

// setLocation sets the Location header. fasthttp copies the value and
// turns any CR or LF in it into a space (SetCanonical as Set does), so a
// location can never inject a header; the router never builds one with
// them anyway (TestSetLocationStripsNewlines holds fasthttp to it).
func setLocation(c *fiber.Ctx, loc string) {
	c.Response().Header.SetCanonical(hdrLocation, utils.UnsafeBytes(loc))
}

// copyText is what a person should copy when no direct path exists: the
// share text's token when there is one, else the link as given.
func (t *tap) copyText() string {
	if t.entity.Tpwd != "" {
		return t.entity.Tpwd
	}
	if t.entity.URL != "" {
		return t.entity.URL
	}
	return t.input
}

// forwardParams is tap.Forward for this tap: the link's UTM parameters and
// the ad click IDs of the query that the link forwards.
func (s *Server) forwardParams(c *fiber.Ctx, t *tap) string {
	if t.link == nil || (len(t.link.UTM) == 0 && len(t.link.ForwardClickIDs) == 0) {
		return ""
	}
	var buf [8]tapcore.Param
	q := buf[:0]
	if len(t.link.ForwardClickIDs) > 0 {
		c.Context().QueryArgs().VisitAll(func(key, value []byte) {
			q = append(q, tapcore.Param{Key: utils.UnsafeString(key), Value: utils.UnsafeString(value)})
		})
	}
	return tapcore.Forward(t.link, q)
}

// expandTimeout default; overridden by Options.
const defaultExpandTimeout = 1500 * time.Millisecond
