package server

import (
	"context"
	"image"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/shortlink"
)

// Named QR logos: PUT/GET/DELETE /api/v1/logos/{name}, GET /api/v1/logos.
// A link's qr_logo picks one for its QR code (?logo=1); see qrLogo.

func (s *Server) logoRoutes(api fiber.Router) {
	read, admin := s.auth(shortlink.ScopeRead), s.auth(shortlink.ScopeAdmin)
	api.Get("/logos", read, s.handleListLogos)
	api.Get("/logos/:name", read, s.handleGetLogo)
	api.Put("/logos/:name", admin, s.handlePutLogo)
	api.Delete("/logos/:name", admin, s.handleDeleteLogo)
}

func (s *Server) logoStore() (shortlink.LogoStore, error) {
	if s.deps.Service == nil {
		return nil, errUnavailable("the link store is not configured")
	}
	ls := s.deps.Service.Logos()
	if ls == nil {
		return nil, shortlink.ErrNoLogoStore
	}
	return ls, nil
}

type logoJSON struct {
	shortlink.Logo
	URL string `json:"url"`
}

func logoOut(l shortlink.Logo) logoJSON {
	return logoJSON{Logo: l, URL: "/api/v1/logos/" + l.Name}
}

func (s *Server) handleListLogos(c *fiber.Ctx) error {
	ls, err := s.logoStore()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	logos, err := ls.ListLogos(ctx)
	if err != nil {
		return err
	}
	out := make([]logoJSON, len(logos))
	for i, l := range logos {
		out[i] = logoOut(l)
	}
	return c.JSON(struct {
		Logos []logoJSON `json:"logos"`
	}{out})
}

// withLogo runs fn with the logo store, the route's logo name and a
// context bounded by apiTimeout: the shared start of the logo handlers.
func (s *Server) withLogo(c *fiber.Ctx, fn func(ctx context.Context, ls shortlink.LogoStore, name string) error) error {
	ls, err := s.logoStore()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	return fn(ctx, ls, strings.Clone(c.Params("name")))
}

// handleGetLogo answers the logo file itself (PNG or JPEG).
func (s *Server) handleGetLogo(c *fiber.Ctx) error {
	return s.withLogo(c, func(ctx context.Context, ls shortlink.LogoStore, name string) error {
		l, err := ls.GetLogo(ctx, name)
		if err != nil {
			return err
		}
		etag := `"` + l.SHA256 + `"`
		c.Set(fiber.HeaderETag, etag)
		c.Set(fiber.HeaderCacheControl, "private, no-cache")
		if c.Get(fiber.HeaderIfNoneMatch) == etag {
			return c.SendStatus(fiber.StatusNotModified)
		}
		c.Set(fiber.HeaderContentType, l.ContentType)
		return c.Send(l.Data)
	})
}

// handlePutLogo creates or replaces a logo from the raw request body (201
// when new, 200 when replaced).
func (s *Server) handlePutLogo(c *fiber.Ctx) error {
	return s.withLogo(c, func(ctx context.Context, ls shortlink.LogoStore, name string) error {
		if ct := c.Get(fiber.HeaderContentType); ct != "" && !strings.HasPrefix(ct, "image/") && !strings.HasPrefix(ct, "application/octet-stream") {
			return &shortlink.Error{Code: shortlink.CodeUnsupportedMediaType,
				Message: "Content-Type " + strings.Clone(ct) + ": send the logo file itself (image/png or image/jpeg) as the body"}
		}
		l, img, err := shortlink.NewLogo(name, c.Body()) // copies the body
		if err != nil {
			return err
		}
		l.UpdatedAt = s.now().UTC()
		out, err := ls.PutLogo(ctx, l)
		if err != nil {
			return err
		}
		s.logos.put(out.Name, img, out.ID(), s.now())
		out.Data = nil
		status := fiber.StatusOK
		if out.CreatedAt.Equal(out.UpdatedAt) {
			status = fiber.StatusCreated
		}
		return c.Status(status).JSON(logoOut(out))
	})
}

func (s *Server) handleDeleteLogo(c *fiber.Ctx) error {
	return s.withLogo(c, func(ctx context.Context, ls shortlink.LogoStore, name string) error {
		if err := ls.DeleteLogo(ctx, name); err != nil {
			return err
		}
		s.logos.forget(name)
		return c.SendStatus(fiber.StatusNoContent)
	})
}

// qrLogo returns the logo for ?logo=1 on l's QR code: l's own (QRLogo)
// when it names one that exists, else the install-wide --qr-logo. ok is
// false when there is neither.
func (s *Server) qrLogo(l *shortlink.Link) (img image.Image, id string, ok bool, err error) {
	if l.QRLogo != "" {
		if ls, _ := s.logoStore(); ls != nil {
			img, id, found, err := s.logos.get(ls, l.QRLogo, s.now())
			if err != nil {
				return nil, "", false, err
			}
			if found {
				return img, id, true, nil
			}
		}
	}
	if s.deps.QRLogo != nil {
		return s.deps.QRLogo, s.deps.QRLogoID, true, nil
	}
	return nil, "", false, nil
}

// logoCacheTTL is how long a decoded logo (or its absence) is used before
// the store is asked again: another instance's replace or delete shows
// within it; this instance's own at once.
const logoCacheTTL = 30 * time.Second

// maxCachedLogos bounds the cache (the store keeps at most MaxLogos).
const maxCachedLogos = 2 * shortlink.MaxLogos

// logoCache keeps decoded logos by name, so a QR request does not read and
// decode the file each time. Safe for concurrent use; the zero value is
// not usable (newLogoCache).
type logoCache struct {
	mu sync.Mutex
	m  map[string]logoEntry
}

type logoEntry struct {
	img image.Image // nil: no such logo
	id  string
	at  time.Time
}

func newLogoCache() *logoCache { return &logoCache{m: map[string]logoEntry{}} }

// get returns the decoded logo name from the cache, or from ls (then
// cached). found is false when the store has no such logo.
func (c *logoCache) get(ls shortlink.LogoStore, name string, now time.Time) (img image.Image, id string, found bool, err error) {
	c.mu.Lock()
	e, ok := c.m[name]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < logoCacheTTL && !now.Before(e.at) {
		return e.img, e.id, e.img != nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	l, err := ls.GetLogo(ctx, name)
	switch {
	case shortlink.ErrorCode(err) == shortlink.CodeNotFound:
		e = logoEntry{at: now}
	case err != nil:
		return nil, "", false, err
	default:
		decoded, err := shortlink.DecodeLogo(&l)
		if err != nil {
			return nil, "", false, err
		}
		e = logoEntry{img: decoded, id: l.ID(), at: now}
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedLogos {
		clear(c.m)
	}
	c.m[name] = e
	c.mu.Unlock()
	return e.img, e.id, e.img != nil, nil
}

func (c *logoCache) put(name string, img image.Image, id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedLogos {
		clear(c.m)
	}
	c.m[name] = logoEntry{img: img, id: id, at: now}
}

func (c *logoCache) forget(name string) {
	c.mu.Lock()
	delete(c.m, name)
	c.mu.Unlock()
}
