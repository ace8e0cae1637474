package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/ui"
)

// RootNotFound as Options.RootRedirect answers GET / as an unknown code
// (--root-redirect off).
const RootNotFound = "off"

// handleRootPath answers GET /: a 302 to Options.RootRedirect when one is
// configured; by default the web UI for a browser that signed into it (its
// hint cookie, ui.SignedInCookie: the UI itself still checks the session),
// else the home page, which says what this host is and links to sign-in.
// Targets are the operator's, checked at start; nothing from the request
// goes into them.
func (s *Server) handleRootPath(c *fiber.Ctx) error {
	switch r := s.opts.RootRedirect; r {
	case RootNotFound:
		return s.notFound(c)
	case "":
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Vary("Cookie")
		if c.Cookies(ui.SignedInCookie) != "" && s.deps.Service != nil {
			return c.Redirect("/ui/", fiber.StatusFound)
		}
		signIn := ""
		if s.deps.Service != nil && s.deps.Keys != nil {
			signIn = "/ui/login"
		}
		s.htmlHeaders(c)
		return s.deps.Pages.Home(c.Response().BodyWriter(), s.lang(c), signIn)
	default:
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(r, fiber.StatusFound)
	}
}

// notFound answers a tap on an unknown code: a 302 to Options.NotFoundURL
// when the operator configured one, else the not-found page (404).
func (s *Server) notFound(c *fiber.Ctx) error {
	if s.opts.NotFoundURL == "" {
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(s.opts.NotFoundURL, fiber.StatusFound)
}
