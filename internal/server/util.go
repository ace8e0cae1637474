package server

import (
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/domains"
)

func itoa(n int) string { return strconv.Itoa(n) }

func sortedKeys(m map[string]string) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// urls builds short links' public URLs as this request sees them
// (domains.URLs: --base-url, else the request's scheme and host; pools).
func (s *Server) urls(c *fiber.Ctx) domains.URLs {
	return domains.NewURLs(s.opts.BaseURL, c.Protocol(), c.Hostname(), s.deps.Domain.Registry)
}

// origin is the public origin short links are made of: Options.BaseURL, else
// the request's scheme and host.
func (s *Server) origin(c *fiber.Ctx) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	return c.Protocol() + "://" + c.Hostname()
}

// shortURL is the public URL of a short link on domain ("" = the default):
// with domain pools, a link of the pool is on its best healthy host now.
func (s *Server) shortURL(c *fiber.Ctx, domain, code string) string {
	return s.urls(c).Short(domain, code)
}

// shareURL is the hutong URL that was tapped, without WeChat's from= and
// isappinstalled= (what a person should copy or open in a browser).
func (s *Server) shareURL(c *fiber.Ctx, t *tap) string {
	if t.Link != nil {
		return s.shortURL(c, t.Link.Domain, t.Link.Code)
	}
	return s.origin(c) + "/r?u=" + url.QueryEscape(t.Input)
}
