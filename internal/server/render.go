package server

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
)

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
		Decision: t.dec,
		Entity:   t.entity,
		// The router sets IntentURL only for Android browsers that need it
		// (rules: intent_browsers): they open custom schemes only through
		// intent:// on a user gesture and follow its browser_fallback_url.
		UseIntent: t.dec.IntentURL != "",
		Tpwd:      t.linkTpwd(),
	}
	if v.Tpwd != "" {
		v.Beacon = beaconPath(t.link)
	}
	s.htmlHeaders(c)
	c.Status(fiber.StatusOK)
	lang := s.lang(c)
	if !t.keyed {
		return s.deps.Pages.Interstitial(c.Response().BodyWriter(), lang, v)
	}
	pk := pageKey{t.key, lang, v.Tpwd != "" && wantsModelTpwd(&t.client)}
	if b, ok := s.decisions.pages.GetIfPresent(pk); ok {
		return c.Send(b)
	}
	var buf bytes.Buffer
	if err := s.deps.Pages.Interstitial(&buf, lang, v); err != nil {
		return err
	}
	s.decisions.pages.Set(pk, buf.Bytes())
	return c.Send(buf.Bytes())
}

func (s *Server) guidePage(c *fiber.Ctx, t *tap) error {
	// The link to copy: the short link that was tapped, or for /r the
	// Taobao link itself (readable, and it opens in any browser).
	link := t.entity.URL
	if t.link != nil || link == "" {
		link = s.shareURL(c, t)
	}
	v := pages.Guide{Decision: t.dec, Entity: t.entity, Link: link, Tpwd: t.linkTpwd()}
	if v.Tpwd != "" {
		v.Beacon = beaconPath(t.link)
	}
	switch {
	case !t.entity.Known() || t.lookupErr != nil:
		v.Reason = pages.GuideUnknown
	case t.dec.Reason != "" && t.dec.Action == route.ActionInfo:
		v.Reason = pages.GuideNotAllowed
	}
	s.htmlHeaders(c)
	c.Status(fiber.StatusOK)
	return s.deps.Pages.Guide(c.Response().BodyWriter(), s.lang(c), v)
}

func (s *Server) previewPage(c *fiber.Ctx, t *tap) error {
	v := pages.Preview{Entity: t.entity, URL: s.shareURL(c, t)}
	if t.link != nil {
		v.Title, v.Description, v.Image = t.link.Title, t.link.Description, t.link.Image
	}
	s.htmlHeaders(c)
	c.Status(fiber.StatusOK)
	return s.deps.Pages.Preview(c.Response().BodyWriter(), s.lang(c), v)
}

// infoPage answers an info or error page of kind k. status 0 means k's own.
func (s *Server) infoPage(c *fiber.Ctx, status int, k pages.InfoKind, copyText string, t *tap) error {
	if status == 0 {
		status = k.Status()
	}
	v := pages.Info{Kind: k, Copy: copyText, RequestID: requestID(c)}
	if t != nil {
		v.Link = t.dec.Location
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
