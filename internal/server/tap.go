package server

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	tapcore "github.com/hutong-dev/hutong/internal/tap"
	"github.com/hutong-dev/hutong/resolver"
)

// cacheNoStore keeps browsers and proxies from caching a tap: a cached 302
// would hide edits and lose clicks.
const cacheNoStore = "private, no-store, max-age=0"

// respond writes the answer the tap core chose (t.Answer).
func (s *Server) respond(c *fiber.Ctx, t *tap) error {
	h := &c.Response().Header
	h.SetCanonical(hdrCacheControl, valCacheNoStore)
	switch t.Answer.Page {
	case tapcore.PageRedirect:
		setLocation(c, t.Decision.Location)
		h.SetCanonical(hdrReferrerPolicy, valReferrerPolicy)
		return c.SendStatus(fiber.StatusFound)
	case tapcore.PageJSON:
		return c.JSON(s.resolveBody(c, t))
	case tapcore.PageInterstitial:
		return s.interstitialPage(c, t)
	case tapcore.PageGuide:
		return s.guidePage(c, t)
	case tapcore.PagePreview:
		return s.previewPage(c, t)
	default:
		return s.infoPage(c, t.Answer.Status, t.Answer.Info, t.Answer.Copy, t)
	}
}

// setLocation sets the Location header. fasthttp copies the value and
// turns any CR or LF in it into a space (SetCanonical as Set does), so a
// location can never inject a header; the router never builds one with
// them anyway (TestSetLocationStripsNewlines holds fasthttp to it).
func setLocation(c *fiber.Ctx, loc string) {
	c.Response().Header.SetCanonical(hdrLocation, utils.UnsafeBytes(loc))
}

// canDeepen reports whether deepen has anything to do for e (link
// creation looks targets up as taps do).
func (s *Server) canDeepen(e resolver.Entity) bool {
	return resolver.CanDeepen(e, s.deps.Expander, s.deps.Decoder)
}

// deepen is resolver.Deepen with the server's expander and decoder.
func (s *Server) deepen(ctx context.Context, e resolver.Entity) (resolver.Entity, error) {
	e, _, err := resolver.Deepen(ctx, e, s.deps.Expander, s.deps.Decoder)
	return e, err
}
