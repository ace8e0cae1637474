package ui

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/shortlink"
)

// loginData is the sign-in page's data.
type loginData struct {
	Next     string
	Token    string // the pre-session CSRF token (double-submitted cookie)
	KeyError string
}

func (u *ui) handleLoginPage(c *fiber.Ctx, rq *req) error {
	next := c.Query("next")
	if !safeNext(next) {
		next = "/ui/links"
	}
	if rq.sess != nil {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return u.loginForm(c, rq, fiber.StatusOK, strings.Clone(next), "")
}

func (u *ui) loginForm(c *fiber.Ctx, rq *req, status int, next, keyErr string) error {
	tok := c.Cookies(preCookie)
	if len(tok) < 20 || len(tok) > 64 {
		tok = newNonce()
		u.setCookie(c, preCookie, tok, 3600, fiber.CookieSameSiteStrictMode)
	} else {
		tok = strings.Clone(tok)
	}
	v := u.newView(c, rq, "login.title", "login", nil)
	v.Data = loginData{Next: next, Token: tok, KeyError: keyErr}
	return u.render(c, status, "login", v)
}

// handleLogin exchanges an API key for a session cookie. The form's token
// must equal the pre-session cookie (login CSRF).
func (u *ui) handleLogin(c *fiber.Ctx, rq *req) error {
	if !equalToken(c.FormValue("csrf"), c.Cookies(preCookie)) {
		return u.errorPage(c, rq, fiber.StatusForbidden, "err.csrf")
	}
	next := strings.Clone(c.FormValue("next"))
	if !safeNext(next) {
		next = "/ui/links"
	}
	secret := strings.TrimSpace(c.FormValue("key"))
	if secret == "" {
		return u.loginForm(c, rq, fiber.StatusUnprocessableEntity, next, u.msgs[rq.lang]["login.empty"])
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	k, err := u.d.Keys.GetKeyByHash(ctx, shortlink.HashSecret(secret))
	if err != nil && shortlink.ErrorCode(err) != shortlink.CodeNotFound {
		u.log.Error("ui: key lookup failed", "err", err)
		return u.errorPage(c, rq, fiber.StatusServiceUnavailable, "err.unavailable")
	}
	if err != nil || !k.Allows(shortlink.ScopeRead) {
		return u.loginForm(c, rq, fiber.StatusUnauthorized, next, u.msgs[rq.lang]["login.bad"])
	}
	value, _ := u.sess.issue(&k)
	u.setCookie(c, sessionCookie, value, int(u.d.SessionTTL.Seconds()), fiber.CookieSameSiteStrictMode)
	u.setCookie(c, preCookie, "", -1, fiber.CookieSameSiteStrictMode)
	u.hintCookie(c, int(u.d.SessionTTL.Seconds()))
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (u *ui) handleLogout(c *fiber.Ctx, rq *req) error {
	u.sess.end(rq.sess)
	u.setCookie(c, sessionCookie, "", -1, fiber.CookieSameSiteStrictMode)
	u.hintCookie(c, -1)
	return c.Redirect("/ui/login", fiber.StatusSeeOther)
}

// canWrite reports whether the session's key may change links; when not,
// it answers the read-only error page.
func (u *ui) canWrite(c *fiber.Ctx, rq *req) (bool, error) {
	if rq.sess.Key.Allows(shortlink.ScopeWrite) {
		return true, nil
	}
	return false, u.errorPage(c, rq, fiber.StatusForbidden, "err.readonly")
}

// SignedInCookie is set (path /) while a browser is signed into the UI, so
// GET / can send it to the UI instead of the home page. It is only a hint
// and carries nothing secret: the UI checks the session cookie (scoped to
// /ui) on every page.
const SignedInCookie = "hutong_ui_in"

// hintCookie sets SignedInCookie for maxAge seconds (negative: clears it).
func (u *ui) hintCookie(c *fiber.Ctx, maxAge int) {
	v := "1"
	if maxAge < 0 {
		v = ""
	}
	c.Cookie(&fiber.Cookie{Name: SignedInCookie, Value: v, Path: "/", MaxAge: maxAge,
		Secure: u.secure(c), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}
