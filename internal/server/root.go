package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/pages"
)

// handleRootPath answers GET /: a 302 to Options.RootRedirect (the web UI
// by default, see --root-redirect), or the not-found page when it is off.
// The target is the operator's, checked at start; nothing from the
// request goes into it.
func (s *Server) handleRootPath(c *fiber.Ctx) error {
	if s.opts.RootRedirect == "" {
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(s.opts.RootRedirect, fiber.StatusFound)
}
