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
	if u, ok := s.poolURL(c, domain, code, domains.Entry); ok {
		return u
	}
	if domain == "" {
		return s.origin(c) + "/" + code
	}
	return s.scheme(c) + "://" + domain + "/" + code
}

// scheme is the scheme of short URLs: --base-url's, else the request's.
func (s *Server) scheme(c *fiber.Ctx) string {
	if s.opts.BaseURL != "" {
		if u, err := url.Parse(s.opts.BaseURL); err == nil {
			return u.Scheme
		}
		return "https"
	}
	return c.Protocol()
}

// shareURL is the hutong URL that was tapped, without WeChat's from= and
// isappinstalled= (what a person should copy or open in a browser).
func (s *Server) shareURL(c *fiber.Ctx, t *tap) string {
	if t.Link != nil {
		return s.shortURL(c, t.Link.Domain, t.Link.Code)
	}
	return s.origin(c) + "/r?u=" + url.QueryEscape(t.Input)
}
