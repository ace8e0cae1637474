package pages

import (
	"html/template"
	"io"
	"net/http"
	"strings"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
)

// Interstitial is the view-model of the page that opens the Taobao app
// (mobile browsers and non-WeChat in-app browsers). The zero value is not
// renderable: Decision needs an app URL or a Location.
//
// The page shows a big button whose href is the app URL, a hint, an
// open-in-browser link to Decision.Location and a copy block. After the
// button is tapped (or after load, with AutoOpen) a script waits 2 s and,
// if the page is still visible, replaces it with Decision.Location; when the
// app opens, the page is hidden (visibilitychange / pagehide) and the
// fallback is cancelled.
type Interstitial struct {
	// Decision supplies AppURL (tbopen://…) and IntentURL (intent://…) for
	// the button and Location (the http(s) H5 page) for the fallback and
	// the open-in-browser link. Only router-produced values belong here: the
	// app URLs are trusted as template.URL once their scheme is checked
	// (tbopen, taobao, tmall, intent; anything else is dropped).
	Decision route.Decision
	// Entity supplies the title (Entity.Title cut to 100 runes, else a name
	// from Kind and Platform) and the 淘口令 to copy (Entity.Tpwd).
	Entity resolver.Entity
	// UseIntent makes the button use Decision.IntentURL instead of AppURL.
	// Set it for Android Chrome, which opens custom schemes only from an
	// intent:// URL on a user gesture and follows its browser_fallback_url
	// when the app is missing. Ignored when IntentURL is empty.
	UseIntent bool
	// AutoOpen makes the page try the app URL right after load (and arm the
	// fallback), not only on a tap. Optional. Default false, and hutong never
	// sets it for: iOS (Safari shows a "cannot open page" error dialog when
	// the app is missing and an "Open in 淘宝?" prompt otherwise), Android
	// Chrome (blocks scheme navigations without a user gesture) and in-app
	// web-views (an unknown scheme can replace the page with an
	// ERR_UNKNOWN_URL_SCHEME error page). Set it only for clients known to
	// ignore an unknown scheme silently.
	AutoOpen bool
	// CopyText is what the copy button copies. Optional. Default: the
	// 淘口令 as "￥token￥" when Entity.Tpwd is set, else Decision.Location.
	CopyText string
	// Tpwd is the link's 淘口令 in the form for this tapper (the iOS 14+
	// model or the simple form), copied as given; it wins over CopyText
	// and Entity.Tpwd. Optional.
	Tpwd string
	// Beacon is a same-origin path the page posts to when the 淘口令 is
	// copied (only with Tpwd). Optional; only a path starting with "/" is
	// used.
	Beacon string
}

// Interstitial renders the interstitial page in lang to w with status 200
// semantics. Nothing is written when it fails. It returns ErrNoDestination
// when v has neither a usable app URL nor an http(s) Location.
func (r *Renderer) Interstitial(w io.Writer, lang Lang, v Interstitial) error {
	b := r.base(lang, "")
	m := b.T
	web := httpURL(v.Decision.Location)
	app := appURL(v.Decision.AppURL)
	if v.UseIntent {
		if intent := appURL(v.Decision.IntentURL); intent != "" {
			app = intent
		}
	}
	var href any = app
	if app == "" {
		if web == "" {
			return ErrNoDestination
		}
		href = web // no app URL: the button goes to the web page
	}
	b.Title = entityTitle(m, v.Entity)
	lead, text := m.CopyLinkLead, v.CopyText
	if v.Entity.Tpwd != "" {
		lead = m.CopyTpwdLead
		if text == "" {
			text = "￥" + v.Entity.Tpwd + "￥"
		}
	}
	if text == "" {
		text = web
	}
	cb := newCopy(m, lead, text)
	if v.Tpwd != "" {
		cb = newCopy(m, m.CopyTpwdLead, v.Tpwd)
		cb.Beacon = beaconPath(v.Beacon)
	}
	return r.execute(w, r.interstitial, &struct {
		base
		Brand   string
		AppHref any
		Web     string
		Auto    bool
		Copy    *copyBlock
	}{b, m.brand(v.Entity), href, web, v.AutoOpen && app != "" && web != "", cb})
}

// GuideReason says in plain words why a WeChat tap gets the guide.
type GuideReason string

// Guide reasons. The zero value is GuideNoDirectPath (or GuideUnknown when
// the entity is not a known Taobao-family entity).
const (
	// GuideNoDirectPath: WeChat cannot open the page directly.
	GuideNoDirectPath GuideReason = ""
	// GuideUnknown: the link points to no Taobao page hutong recognises.
	GuideUnknown GuideReason = "unknown"
	// GuideNotAllowed: the destination host is not on the allowlist.
	GuideNotAllowed GuideReason = "not_allowed"
)

// Guide is the view-model of the "open in browser" page shown inside WeChat
// when there is no direct path: an arrow to the ⋯ menu, two steps, the link
// to copy and the 淘口令 to copy when there is one. The zero value renders a
// generic guide without copy blocks.
type Guide struct {
	// Decision supplies the fallback link to copy (Location).
	Decision route.Decision
	// Entity supplies the title shown (Title), the 淘口令 (Tpwd) and, when no
	// link is given, the link to copy (Canonical, then URL).
	Entity resolver.Entity
	// Reason picks the sentence that explains the page.
	Reason GuideReason
	// Link is the link to copy, typically the hutong short URL that was
	// tapped (it routes correctly once opened in a browser). Optional.
	// Default: Decision.Location, then Entity.Canonical, then Entity.URL.
	Link string
	// Tpwd is the link's 淘口令 in the form for this tapper, copied as
	// given. With it the guide leads with the token (copy it, open Taobao)
	// and offers Decision.Location as a button to the web page; the
	// open-in-browser steps and the link to copy follow. Optional.
	Tpwd string
	// Beacon is a same-origin path the page posts to when the 淘口令 is
	// copied (only with Tpwd). Optional; only a path starting with "/" is
	// used.
	Beacon string
}

// Guide renders the "open in browser" guide in lang to w. Nothing is
// written when it fails.
func (r *Renderer) Guide(w io.Writer, lang Lang, v Guide) error {
	b := r.base(lang, "")
	m := b.T
	b.Title = m.GuideTitle
	reason := m.ReasonDefault
	switch {
	case v.Reason == GuideNotAllowed:
		reason = m.ReasonNotAllowed
	case v.Reason == GuideUnknown, v.Reason == GuideNoDirectPath && !v.Entity.Known():
		reason = m.ReasonUnknown
	}
	link := firstNonEmpty(v.Link, v.Decision.Location, v.Entity.Canonical, v.Entity.URL)
	var tpwd, first *copyBlock
	var web string
	switch {
	case v.Tpwd != "":
		b.Title, reason = m.TpwdTitle, m.TpwdLead
		first = newCopy(m, m.TpwdCopyLead, v.Tpwd)
		first.Beacon = beaconPath(v.Beacon)
		web = httpURL(v.Decision.Location)
	case v.Entity.Tpwd != "":
		tpwd = newCopy(m, m.GuideCopyTpwd, "￥"+v.Entity.Tpwd+"￥")
	}
	return r.execute(w, r.guide, &struct {
		base
		Reason, Name, Web string
		First, Link, Tpwd *copyBlock
	}{b, reason, clip(strings.TrimSpace(v.Entity.Title), maxTitle), web, first, newCopy(m, m.GuideCopyLink, link), tpwd})
}

// Preview is the view-model of the Open Graph card served to link-preview
// bots: og:title, og:description, og:image (when known), og:url and a
// twitter:card; no redirect and no script. The zero value renders a generic
// card.
type Preview struct {
	// Entity supplies the default title (Title, else a name from Kind and
	// Platform).
	Entity resolver.Entity
	// Title overrides the title. Optional. Cut to 100 runes.
	Title string
	// Description is og:description. Optional. Cut to 200 runes. Default:
	// a short "tap to view it on Taobao" line.
	Description string
	// Image is og:image. Optional; only an absolute http(s) URL is used.
	Image string
	// URL is og:url, normally the short link that was shared. Optional;
	// only an absolute http(s) URL is used.
	URL string
}

// Preview renders the Open Graph card in lang to w. Nothing is written when
// it fails.
func (r *Renderer) Preview(w io.Writer, lang Lang, v Preview) error {
	b := r.base(lang, "")
	m := b.T
	b.Title = clip(strings.TrimSpace(v.Title), maxTitle)
	if b.Title == "" {
		b.Title = entityTitle(m, v.Entity)
	}
	desc := clip(strings.TrimSpace(v.Description), maxDesc)
	if desc == "" {
		desc = m.PreviewDesc
	}
	return r.execute(w, r.preview, &struct {
		base
		Desc, Locale, Site, URL, Image string
	}{b, desc, m.Locale, m.SiteName, httpURL(v.URL), httpURL(v.Image)})
}

// InfoKind is the kind of an info or error page. Each kind has its own
// wording and HTTP status (Status). The zero value is InfoInternal.
type InfoKind string

// Info kinds.
const (
	// InfoInternal: something broke on our side (500).
	InfoInternal InfoKind = ""
	// InfoNotFound: no link with that code (404).
	InfoNotFound InfoKind = "not_found"
	// InfoExpired: the link is past its expiry (410).
	InfoExpired InfoKind = "expired"
	// InfoDisabled: the owner turned the link off (410).
	InfoDisabled InfoKind = "disabled"
	// InfoClickLimit: the link reached its click cap (410).
	InfoClickLimit InfoKind = "click_limit"
	// InfoBadInput: the input is not a Taobao/Tmall link or share text (400).
	InfoBadInput InfoKind = "bad_input"
	// InfoTooLarge: the input is over the size limit (413).
	InfoTooLarge InfoKind = "too_large"
	// InfoNotAllowed: the destination host is not on the allowlist (403).
	InfoNotAllowed InfoKind = "not_allowed"
	// InfoUnsupported: the link is fine but hutong cannot route it; the page
	// offers it for copying (200, the ActionInfo page).
	InfoUnsupported InfoKind = "unsupported"
	// InfoTooMany: rate limited (429).
	InfoTooMany InfoKind = "too_many"
)

// infoKinds lists every kind; New checks each has wording in every language.
var infoKinds = [...]InfoKind{InfoInternal, InfoNotFound, InfoExpired, InfoDisabled, InfoClickLimit,
	InfoBadInput, InfoTooLarge, InfoNotAllowed, InfoUnsupported, InfoTooMany}

// Status is the HTTP status code to send with the page of kind k. Unknown
// kinds are 500.
func (k InfoKind) Status() int {
	switch k {
	case InfoNotFound:
		return http.StatusNotFound
	case InfoExpired, InfoDisabled, InfoClickLimit:
		return http.StatusGone
	case InfoBadInput:
		return http.StatusBadRequest
	case InfoTooLarge:
		return http.StatusRequestEntityTooLarge
	case InfoNotAllowed:
		return http.StatusForbidden
	case InfoUnsupported:
		return http.StatusOK
	case InfoTooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// Info is the view-model of an info or error page: a title, what went
// wrong, what the person can do, and optionally a link to open and a text
// to copy. The zero value renders the internal-error page.
type Info struct {
	// Kind picks the wording and the status shown (send Kind.Status()).
	Kind InfoKind
	// Copy is a link or 淘口令 the person can copy. Optional. Shown as text,
	// never followed.
	Copy string
	// Link is a page the person can open (e.g. the H5 page). Optional; only
	// an absolute http(s) URL is used.
	Link string
	// RequestID is shown so the person can quote it. Optional.
	RequestID string
}

// Info renders the info/error page of v.Kind in lang to w. The caller sends
// v.Kind.Status() as the status code. Nothing is written when it fails.
func (r *Renderer) Info(w io.Writer, lang Lang, v Info) error {
	if v.Copy == "" && v.Link == "" && v.RequestID != "" {
		if p, ok := r.plain[infoKey{lang.norm(), v.Kind}]; ok {
			buf := r.buffer()
			defer r.release(buf)
			buf.Write(p.head)
			buf.Write(appendHTMLText(buf.AvailableBuffer(), v.RequestID))
			buf.Write(p.tail)
			_, err := w.Write(buf.Bytes())
			return err
		}
	}
	return r.renderInfo(w, lang, v)
}

// renderInfo is Info by a template run.
func (r *Renderer) renderInfo(w io.Writer, lang Lang, v Info) error {
	b := r.base(lang, "")
	m := b.T
	txt, ok := m.Info[v.Kind]
	if !ok {
		v.Kind = InfoInternal
		txt = m.Info[InfoInternal]
	}
	b.Title = txt.Title
	return r.execute(w, r.info, &struct {
		base
		What, Do, Link, RequestID string
		Status                    int
		Copy                      *copyBlock
	}{b, txt.What, txt.Do, httpURL(v.Link), v.RequestID, v.Kind.Status(), newCopy(m, m.InfoCopyLead, v.Copy)})
}

// Home renders the home page in lang to w: what this host is and, when
// signIn is a local path ("/ui/login"), a link to sign in. Send it with
// status 200. Nothing is written when it fails.
func (r *Renderer) Home(w io.Writer, lang Lang, signIn string) error {
	b := r.base(lang, "")
	b.Title = b.T.HomeTitle
	if beaconPath(signIn) == "" {
		signIn = ""
	}
	return r.execute(w, r.home, &struct {
		base
		SignIn string
	}{b, signIn})
}

// Display limits for user-provided text, so a page stays small whatever the
// share text held. Texts to copy are never cut.
const (
	maxTitle = 100 // runes
	maxDesc  = 200 // runes
)

// clip cuts s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// entityTitle is the title of a page about e: the share text's title (cut
// to maxTitle runes), else "淘宝商品" / "Taobao item" and the like.
func entityTitle(m *messages, e resolver.Entity) string {
	if t := strings.TrimSpace(e.Title); t != "" {
		return clip(t, maxTitle)
	}
	name := m.kindName(e)
	if m.Locale == "zh_CN" {
		return m.brand(e) + name
	}
	return m.brand(e) + " " + name
}

// appURL returns s as a trusted template.URL when it is an app-opening URL
// with one of the schemes the router produces, else "". Control characters
// and spaces are refused.
func appURL(s string) template.URL {
	i := strings.IndexByte(s, ':')
	if i <= 0 || !strings.HasPrefix(s[i:], "://") {
		return ""
	}
	switch strings.ToLower(s[:i]) {
	case "tbopen", "taobao", "tmall", "intent":
	default:
		return ""
	}
	for j := 0; j < len(s); j++ {
		if s[j] <= ' ' || s[j] == 0x7f {
			return ""
		}
	}
	return template.URL(s)
}

// httpURL returns s when it is an absolute http(s) URL with a host and no
// spaces or control characters, else "". It does not allocate.
func httpURL(s string) string {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return ""
		}
	}
	if rest == "" || strings.IndexAny(rest[:1], "/?#@:") == 0 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return ""
		}
	}
	return s
}

// beaconPath returns p when it is a same-origin path ("/…", not "//…")
// without spaces or control characters, else "".
func beaconPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return ""
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] == 0x7f || p[i] == '\\' {
			return ""
		}
	}
	return p
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
