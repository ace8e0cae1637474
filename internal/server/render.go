package server

import (
	"bytes"
	"io"

	"github.com/gofiber/fiber/v2"
	"github.com/maypok86/otter/v2"

	"github.com/hutong-dev/hutong/internal/cachework"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	tapcore "github.com/hutong-dev/hutong/internal/tap"
)

// pageCacheBytes bounds the rendered-page cache (interstitials of warm
// short-link taps, about 5 KB each).
const pageCacheBytes = 8 << 20

// pageKey names one rendered page: the tap's decision key plus the
// language, and for a guide page what else it shows.
type pageKey struct {
	tapcore.DecisionKey
	lang pages.Lang
	// model: the page shows the iOS 14+ form of the link's 淘口令.
	model bool
	kind  pageKind
	// reason and link: a guide page's reason and link to copy, a preview's
	// URL (the short URL on the host that was tapped).
	reason pages.GuideReason
	link   string
}

// pageKind is which page of a tap a pageKey names.
type pageKind uint8

const (
	pageInterstitial pageKind = iota
	pageGuide
	pagePreview
)

// cachedPage answers the page pk names (its DecisionKey set here) from the
// page cache, rendering it with render on a miss, so the html/template
// work is done once per page, not per tap (a warm WeChat tap on a link
// with the 淘口令 guide page cost 55 µs rendered, 16 µs cached). A tap
// whose decision is not cached renders straight into the response.
func (s *Server) cachedPage(c *fiber.Ctx, t *tap, pk pageKey, render func(io.Writer) error) error {
	key, keyed := t.CacheKey()
	if !keyed {
		return render(c.Response().BodyWriter())
	}
	pk.DecisionKey = key
	if b, ok := s.pages.GetIfPresent(pk); ok {
		return c.Send(b)
	}
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	s.pages.Set(pk, buf.Bytes())
	return c.Send(buf.Bytes())
}

// newPageCache holds rendered interstitials, guide and preview pages of
// taps whose decision is cached (tapcore.Tap.CacheKey), so the html/template work is
// done once per (link, client class, language, host). Safe for concurrent use.
func newPageCache() *otter.Cache[pageKey, []byte] {
	return otter.Must(&otter.Options[pageKey, []byte]{
		MaximumWeight: pageCacheBytes,
		Executor:      cachework.Executor,
		Weigher:       func(_ pageKey, b []byte) uint32 { return uint32(len(b)) + 128 },
	})
}

// qrCacheBytes bounds the rendered QR code cache (a 512 px PNG is ~3 KB,
// an SVG ~10–30 KB).
const qrCacheBytes = 16 << 20

// newQRCache holds rendered QR codes by their ETag, which names the text
// and every option (the logo's content ID among them), so an entry never
// goes stale: a QR code is rendered once, not per request (0.5–4 ms each on
// a public route that needs no API key).
func newQRCache() *otter.Cache[string, []byte] {
	return otter.Must(&otter.Options[string, []byte]{
		MaximumWeight: qrCacheBytes,
		Weigher:       func(k string, b []byte) uint32 { return uint32(len(k) + len(b) + 64) },
		Executor:      cachework.Executor,
	})
}

// Page kinds the server answers with outside the routing decision.
const (
	pageBadInput  = pages.InfoBadInput
	pageNotTaobao = pages.InfoBadInput
	pageTooLarge  = pages.InfoTooLarge
	pageInfo      = pages.InfoUnsupported
)

func (s *Server) lang(c *fiber.Ctx) pages.Lang {
	return pages.LangFromAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
}

// htmlHeaders are sent with every page: the pages carry only inline,
// hash-allowed script and style, load nothing from elsewhere, and must not
// be framed.
func (s *Server) htmlHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentSecurityPolicy, s.deps.Pages.CSP())
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderCacheControl, cacheNoStore)
}

func (s *Server) interstitialPage(c *fiber.Ctx, t *tap) error {
	v := pages.Interstitial{
		Decision: t.Decision,
		Entity:   t.Entity,
		// The router sets IntentURL only for Android browsers that need it
		// (rules: intent_browsers): they open custom schemes only through
		// intent:// on a user gesture and follow its browser_fallback_url.
		UseIntent: t.Decision.IntentURL != "",
		Tpwd:      t.LinkTpwd(),
	}
	if v.Tpwd != "" {
		v.Beacon = beaconPath(t.Link)
	}
	s.htmlHeaders(c)
	c.Status(fiber.StatusOK)
	lang := s.lang(c)
	pk := pageKey{lang: lang, model: v.Tpwd != "" && tapcore.WantsModelTpwd(&t.Client)}
	return s.cachedPage(c, t, pk, func(w io.Writer) error { return s.deps.Pages.Interstitial(w, lang, v) })
}

func (s *Server) guidePage(c *fiber.Ctx, t *tap) error {
	// The link to copy: the short link that was tapped, or for /r the
	// Taobao link itself (readable, and it opens in any browser).
	link := t.Entity.URL
	if t.Link != nil || link == "" {
		link = s.shareURL(c, t)
	}
	v := pages.Guide{Decision: t.Decision, Entity: t.Entity, Link: link, Tpwd: t.LinkTpwd()}
	if v.Tpwd != "" {
		v.Beacon = beaconPath(t.Link)
	}
	switch {
	case !t.Entity.Known() || t.LookupErr != nil:
		v.Reason = pages.GuideUnknown
	case t.Decision.Reason != "" && t.Decision.Action == route.ActionInfo:
		v.Reason = pages.GuideNotAllowed
	}
	s.htmlHeaders(c)
	c.Status(fiber.StatusOK)
	lang := s.lang(c)
	pk := pageKey{lang: lang, model: v.Tpwd != "" && tapcore.WantsModelTpwd(&t.Client), kind: pageGuide, reason: v.Reason, link: link}
	return s.cachedPage(c, t, pk, func(w io.Writer) error { return s.deps.Pages.Guide(w, lang, v) })
}

func (s *Server) previewPage(c *fiber.Ctx, t *tap) error {
	v := pages.Preview{Entity: t.Entity, URL: s.shareURL(c, t)}
	if t.Link != nil {
		v.Title, v.Description, v.Image = t.Link.Title, t.Link.Description, t.Link.Image
	}
	s.htmlHeaders(c)
	c.Status(fiber.StatusOK)
	lang := s.lang(c)
	pk := pageKey{lang: lang, kind: pagePreview, link: v.URL}
	return s.cachedPage(c, t, pk, func(w io.Writer) error { return s.deps.Pages.Preview(w, lang, v) })
}

// infoPage answers an info or error page of kind k. status 0 means k's own.
func (s *Server) infoPage(c *fiber.Ctx, status int, k pages.InfoKind, copyText string, t *tap) error {
	if status == 0 {
		status = k.Status()
	}
	v := pages.Info{Kind: k, Copy: copyText, RequestID: requestID(c)}
	if t != nil {
		v.Link = t.Decision.Location
	}
	s.htmlHeaders(c)
	c.Status(status)
	return s.deps.Pages.Info(c.Response().BodyWriter(), s.lang(c), v)
}

// errorPage renders errorHandler's answer for people.
func (s *Server) errorPage(c *fiber.Ctx, status int, code, _ string) error {
	k := pages.InfoInternal
	switch {
	case status == fiber.StatusNotFound:
		k = pages.InfoNotFound
	case status == fiber.StatusRequestEntityTooLarge:
		k = pages.InfoTooLarge
	case status == fiber.StatusTooManyRequests:
		k = pages.InfoTooMany
	case status == fiber.StatusForbidden:
		k = pages.InfoNotAllowed
	case status == fiber.StatusGone && code == "expired":
		k = pages.InfoExpired
	case status == fiber.StatusGone && code == "disabled":
		k = pages.InfoDisabled
	case status == fiber.StatusGone:
		k = pages.InfoClickLimit
	case status >= 400 && status < 500:
		k = pages.InfoBadInput
	}
	c.Response().ResetBody()
	return s.infoPage(c, status, k, "", nil)
}

// requestID is the request's id (set by the requestID middleware on the
// response), as an owned string.
func requestID(c *fiber.Ctx) string {
	return string(c.Response().Header.Peek(fiber.HeaderXRequestID))
}
