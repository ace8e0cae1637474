package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/domains"
)

// inputCode names an /r tap in events: "r:" and the first 12 hex digits of
// the input's SHA-256 (the input itself may hold a share text).
func inputCode(in string) string {
	sum := sha256.Sum256([]byte(in))
	return "r:" + hex.EncodeToString(sum[:6])
}

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
	if t.link != nil {
		return s.shortURL(c, t.link.Domain, t.link.Code)
	}
	return s.origin(c) + "/r?u=" + url.QueryEscape(t.input)
}

// hostOf returns the host of an absolute URL ("scheme://[userinfo@]host[:port]/…"),
// without the port and IPv6 brackets, lower-cased as given, or "". It does
// not allocate: the result is a substring of raw (clone it if raw is
// borrowed memory).
func hostOf(raw string) string {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return ""
	}
	h := raw[i+3:]
	if j := strings.IndexAny(h, "/?#\\"); j >= 0 {
		h = h[:j]
	}
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if strings.HasPrefix(h, "[") {
		if j := strings.IndexByte(h, ']'); j > 0 {
			return h[1:j]
		}
		return ""
	}
	if j := strings.IndexByte(h, ':'); j >= 0 {
		h = h[:j]
	}
	return h
}
