// Package ui is the marketer's web page, served by hutong itself under /ui/:
// sign in with an API key, create short links from any Taobao/Tmall link or
// share text (with a preview of what hutong understood and where people will
// land), get the QR code, list, edit, disable and delete links, watch clicks,
// and import links in bulk. Pages are server-rendered html/template from the
// embedded templates/ui folder, in zh-CN and English, with one small
// same-origin script and stylesheet (templates/ui/static); they work without
// JavaScript.
//
// Security: a signed, HttpOnly, SameSite=Strict session cookie (see session),
// a synchronizer CSRF token on every POST form, a strict CSP (no inline
// script or style), X-Frame-Options DENY, and next= redirects limited to
// local /ui/ paths.
//
// The handlers are safe for concurrent use once Mount returns.
package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/templates"
)

// ImportRow is the outcome of one row of a bulk import.
type ImportRow struct {
	Row    int
	Target string
	Code   string
	Domain string
	Error  string // empty when the link was created
}

// Rules gives the routing table in force (route.Holder).
type Rules interface{ Load() *route.Table }

// ClientDetector classifies a User-Agent (clientinfo.Detector).
type ClientDetector interface {
	Detect(ua string) clientinfo.Client
}

// Deps are what the UI is built on. Service, Keys, Rules and Clients are
// required.
type Deps struct {
	// Service makes, edits and imports links: it must check input with the
	// install's rules (shortlink.Service.WithRules), as the API's does, so
	// links made on the page follow the API's rules exactly.
	Service *shortlink.Service
	Keys    shortlink.KeyStore
	Rules   Rules
	Clients ClientDetector
	// Stats answers the link detail's charts. Optional: without it the
	// page says click tracking is off.
	Stats track.Querier
	// Expander expands m.tb.cn links for the landing preview, as taps do.
	// Optional.
	Expander resolver.Expander
	// Decoder decodes bare 淘口令 targets for the landing preview, as taps
	// do (resolver.Deepen). Optional.
	Decoder resolver.PasswordDecoder
	// Domains are the extra short domains of the install (server
	// Options.Domains), offered in the create form. Optional.
	Domains []string
	// BaseURL is --base-url: short links are on it. Optional. Default:
	// the request's scheme and host.
	BaseURL string
	// Pools are the domain pools short URLs are picked from. Optional.
	Pools *domains.Registry
	// DomainList feeds the Domains page (domain pools). Optional: without
	// it the page says pools are not available.
	DomainList DomainList
	// MinHealthy is --domain-min-healthy, for the page's banner. Optional. Default 1.
	MinHealthy int
	// QRLogo says a logo is configured (?logo=1 works on the QR endpoints).
	QRLogo bool
	// MaxInput caps a pasted target in bytes. Optional. Default 4096.
	MaxInput int
	// SecureCookies marks the session cookie Secure even on plain-http
	// requests (behind a TLS-terminating proxy that is not trusted for
	// X-Forwarded-Proto). Requests seen as https always get Secure cookies.
	SecureCookies bool
	// Secret is mixed into session signatures. Optional: sessions are
	// already keyed by the API key's stored hash; set it to make cookies of
	// one install useless on another sharing nothing but key hashes.
	Secret []byte
	// SessionTTL is how long a sign-in lasts. Optional. Default 12h.
	SessionTTL time.Duration
	// Now is the clock. Optional. Default time.Now.
	Now func() time.Time
	// Logger receives store errors. Optional. Default slog.Default().
	Logger *slog.Logger
}

// ui holds the parsed templates and the dependencies.
type ui struct {
	d      Deps
	pages  map[string]*template.Template
	msgs   map[pages.Lang]map[string]string
	static map[string]staticFile
	sess   *sessions
	csp    string
	now    func() time.Time
	log    *slog.Logger
}

// urls builds short links' public URLs as this request sees them.
func (u *ui) urls(c *fiber.Ctx) domains.URLs {
	return domains.NewURLs(u.d.BaseURL, c.Protocol(), c.Hostname(), u.d.Pools)
}

// timeout bounds every store and stats call a page makes.
const timeout = 5 * time.Second

// Mount registers the /ui/ routes on r. It fails when a required
// dependency is missing or the embedded templates are broken.
func Mount(r fiber.Router, d Deps) error {
	u, err := newUI(d)
	if err != nil {
		return err
	}
	u.routes(r)
	return nil
}

func newUI(d Deps) (*ui, error) {
	var errs []error
	if d.Service == nil || d.Keys == nil {
		errs = append(errs, errors.New("ui: Deps.Service and Deps.Keys are required"))
	}
	if d.Rules == nil || d.Clients == nil {
		errs = append(errs, errors.New("ui: Deps.Rules and Deps.Clients are required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if d.MaxInput <= 0 {
		d.MaxInput = 4096
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = 12 * time.Hour
	}
	u := &ui{d: d, now: d.Now, log: d.Logger, msgs: catalogue()}
	if u.now == nil {
		u.now = time.Now
	}
	if u.log == nil {
		u.log = slog.Default()
	}
	u.sess = &sessions{keys: d.Keys, secret: d.Secret, ttl: d.SessionTTL, now: u.now, logout: map[string]time.Time{}}
	if err := u.parse(templates.FS); err != nil {
		return nil, err
	}
	st, err := loadStatic(templates.FS)
	if err != nil {
		return nil, err
	}
	u.static = st
	u.csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	return u, nil
}

// pageNames are the page templates under templates/ui, each rendered inside
// layout.html.
var pageNames = []string{"login", "new", "links", "link", "edit", "delete", "import", "error", "domains", "campaigns", "campaign", "overview"}

func (u *ui) parse(fsys fs.FS) error {
	u.pages = map[string]*template.Template{}
	funcs := template.FuncMap{
		"add":    func(a, b int) int { return a + b },
		"join":   strings.Join,
		"pct":    func(n, total int64) int64 { return pct(n, total) },
		"ymd":    func(t time.Time) string { return t.In(track.ChinaTime).Format("2006-01-02 15:04") },
		"query":  url.QueryEscape,
		"svg":    func(s string) template.HTML { return template.HTML(s) }, // only for chartSVG output, which escapes its text
		"hasStr": func(list []string, s string) bool { return contains(list, s) },
		"list":   func(s ...string) []string { return s },
		"fld":    fld,
		// pl is message key, or its singular key+"1" when n is 1
		// (English plurals: 1 person, 2 people).
		"pl": func(v *view, n int64, key string) string {
			if n == 1 {
				if m := v.msgs[key+"1"]; m != "" {
					return m
				}
			}
			return v.T(key)
		},
		// tagPath and campPath are a tag's and a campaign's page.
		"tagPath":  tagPath,
		"campPath": campaignPath,
		// withData is the page's view with other data, for a shared
		// template that needs the view's T (see "breakdowns" in form.html).
		"withData": func(v *view, data any) *view {
			c := *v
			c.Data = data
			return &c
		},
		"entityPage": func(v *view, e *entityView) *view {
			c := *v
			c.Data = &linkForm{Entity: e}
			return &c
		},
	}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "ui/layout.html", "ui/form.html", "ui/"+name+".html")
		if err != nil {
			return fmt.Errorf("ui: parse templates: %w", err)
		}
		u.pages[name] = t
	}
	return nil
}

func (u *ui) routes(r fiber.Router) {
	r.Get("/ui", u.handleRoot)
	r.Get("/ui/static/:name", u.handleStatic)
	r.Get("/ui/login", u.wrap(false, u.handleLoginPage))
	r.Post("/ui/login", u.wrap(false, u.handleLogin))
	r.Get("/ui/lang", u.wrap(false, u.handleLang))
	r.Post("/ui/logout", u.wrap(true, u.handleLogout))
	r.Get("/ui/parse", u.wrap(true, u.handleParse))
	r.Get("/ui/new", u.wrap(true, u.handleNewPage))
	r.Post("/ui/new", u.wrap(true, u.handleNew))
	r.Get("/ui/links", u.wrap(true, u.handleList))
	r.Get("/ui/links/export.csv", u.wrap(true, u.handleExport))
	r.Get("/ui/links/:code", u.wrap(true, u.handleLink))
	r.Get("/ui/links/:code/edit", u.wrap(true, u.handleEditPage))
	r.Post("/ui/links/:code/edit", u.wrap(true, u.handleEdit))
	r.Post("/ui/links/:code/toggle", u.wrap(true, u.handleToggle))
	r.Post("/ui/links/:code/qrlogo", u.wrap(true, u.handleQRLogo))
	r.Get("/ui/links/:code/delete", u.wrap(true, u.handleDeletePage))
	r.Post("/ui/links/:code/delete", u.wrap(true, u.handleDelete))
	r.Get("/ui/overview", u.wrap(true, u.handleOverview))
	r.Get("/ui/events/export", u.wrap(true, u.handleEventsExport))
	r.Get("/ui/campaigns", u.wrap(true, u.handleCampaigns))
	r.Get("/ui/campaigns/:name", u.wrap(true, u.handleCampaign))
	r.Get("/ui/tags/:name", u.wrap(true, u.handleTag))
	r.Get("/ui/import", u.wrap(true, u.handleImportPage))
	r.Post("/ui/import", u.wrap(true, u.handleImport))
	r.Post("/ui/import/links.csv", u.wrap(true, u.handleImportCSV))
	r.Get("/ui/domains", u.wrap(true, u.handleDomains))
	r.All("/ui/*", u.wrap(false, func(c *fiber.Ctx, rq *req) error {
		return u.errorPage(c, rq, fiber.StatusNotFound, "err.notfound")
	}))
}

// fieldCtx is the data of the "input" template: one text-like field.
type fieldCtx struct {
	V          *view
	F          *linkForm
	Name, Type string
	Help       string
	ReadOnly   bool
}

func fld(v *view, name, typ string) fieldCtx {
	f, _ := v.Data.(*linkForm)
	if f == nil {
		f = &linkForm{V: map[string]string{}, Errors: map[string]string{}}
	}
	return fieldCtx{V: v, F: f, Name: name, Type: typ, Help: v.msgs["f."+name+".help"]}
}

// req is the per-request state handlers share: language, session (nil when
// signed out) and the parsed form.
type req struct {
	lang pages.Lang
	sess *session
}

type localReq struct{}

// wrap sets the security headers, the language and the session, enforces
// sign-in (auth) and checks the CSRF token of every POST.
func (u *ui) wrap(auth bool, h func(c *fiber.Ctx, rq *req) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u.headers(c)
		rq := &req{lang: u.langOf(c)}
		if v := c.Cookies(sessionCookie); v != "" {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			sess, err := u.sess.verify(ctx, v)
			cancel()
			if err != nil && !errors.Is(err, errBadSession) {
				u.log.Error("ui: session check failed", "err", err)
				return u.errorPage(c, rq, fiber.StatusServiceUnavailable, "err.unavailable")
			}
			rq.sess = sess
		}
		if c.Method() == fiber.MethodPost {
			// Browsers say when a request comes from another site; refuse it
			// before anything else (defence in depth beside SameSite and
			// the token).
			if c.Get("Sec-Fetch-Site") == "cross-site" {
				return u.errorPage(c, rq, fiber.StatusForbidden, "err.csrf")
			}
		}
		if auth && rq.sess == nil {
			if c.Method() == fiber.MethodGet && !strings.HasPrefix(c.Path(), "/ui/parse") {
				return c.Redirect("/ui/login?next="+url.QueryEscape(localPath(c)), fiber.StatusSeeOther)
			}
			if strings.HasPrefix(c.Path(), "/ui/parse") {
				return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "sign in first"})
			}
			return u.errorPage(c, rq, fiber.StatusForbidden, "err.session")
		}
		if c.Method() == fiber.MethodPost && rq.sess != nil && c.Path() != "/ui/login" {
			if !rq.sess.checkCSRF(c.FormValue("csrf")) {
				return u.errorPage(c, rq, fiber.StatusForbidden, "err.csrf")
			}
		}
		return h(c, rq)
	}
}

// headers are sent with every UI answer.
func (u *ui) headers(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, u.csp)
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func (u *ui) handleRoot(c *fiber.Ctx) error {
	return c.Redirect("/ui/links", fiber.StatusSeeOther)
}

// localPath is the request's path and query, for next=.
func localPath(c *fiber.Ctx) string {
	p := c.OriginalURL()
	if !safeNext(p) {
		return "/ui/links"
	}
	return p
}

// safeNext reports whether next is a local UI path: it must start with
// /ui/ (or be /ui), and contain nothing a browser could read as another
// origin (//, \, control characters, a scheme).
func safeNext(next string) bool {
	if next != "/ui" && !strings.HasPrefix(next, "/ui/") {
		return false
	}
	if len(next) > 2048 || strings.Contains(next, "//") || strings.ContainsAny(next, "\\") {
		return false
	}
	for i := 0; i < len(next); i++ {
		if next[i] < 0x21 || next[i] == 0x7f {
			return false
		}
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

// langOf is the language of the page: the cookie set by the switch, else
// Accept-Language.
func (u *ui) langOf(c *fiber.Ctx) pages.Lang {
	switch c.Cookies(langCookie) {
	case string(pages.LangEN):
		return pages.LangEN
	case string(pages.LangZH):
		return pages.LangZH
	}
	return pages.LangFromAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
}

func (u *ui) secure(c *fiber.Ctx) bool { return u.d.SecureCookies || c.Protocol() == "https" }

func (u *ui) setCookie(c *fiber.Ctx, name, value string, maxAge int, sameSite string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: "/ui", MaxAge: maxAge,
		Secure: u.secure(c), HTTPOnly: true, SameSite: sameSite,
	})
}

func (u *ui) handleLang(c *fiber.Ctx, rq *req) error {
	to := pages.LangZH
	if c.Query("to") == string(pages.LangEN) {
		to = pages.LangEN
	}
	u.setCookie(c, langCookie, string(to), 365*24*3600, fiber.CookieSameSiteLaxMode)
	next := c.Query("next")
	if !safeNext(next) {
		next = "/ui/links"
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func pct(n, total int64) int64 {
	if total <= 0 {
		return 0
	}
	return n * 100 / total
}

func ctxTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), timeout)
}
