package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/resolver/remote"
	"github.com/hutong-dev/hutong/shortlink"
)

// TpwdCreator mints a 淘口令 for an Alimama promotion link
// (remote.TpwdCreator: taobao.tbk.tpwd.create, cached by URL).
type TpwdCreator interface {
	Enabled() bool
	Create(ctx context.Context, promoURL string) (remote.MintedTpwd, error)
}

// ActionCopyTpwd is the action of the event a tap page's beacon records
// when the shopper copies the link's 淘口令. Stats count it under
// action:copy_tpwd (and in the total, beside the tap itself).
const ActionCopyTpwd = "copy_tpwd"

// tpwdTimeout bounds minting one 淘口令 at link creation.
const tpwdTimeout = 5 * time.Second

// tpwdMode is what a request asks for its link's 淘口令.
type tpwdMode uint8

const (
	tpwdNone     tpwdMode = iota // not asked (false, or absent)
	tpwdMint                     // true: mint one, or fail
	tpwdOptional                 // "optional": mint one if the platform can
	tpwdPaste                    // the marketer's own token or share text
)

// tpwdRequest is the "tpwd" field of a link request: true, false, null,
// "optional" or a pasted token / share text.
type tpwdRequest struct {
	Set    bool
	Mode   tpwdMode
	Pasted string
	// warning is set when "optional" could not mint one (shown as
	// tpwd_error in the create answer).
	warning string
}

func (t *tpwdRequest) UnmarshalJSON(b []byte) error {
	t.Set = true
	switch string(b) {
	case "null", "false":
		t.Mode = tpwdNone
		return nil
	case "true":
		t.Mode = tpwdMint
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`tpwd: want true (mint a 淘口令 through the Taobao Open Platform), "optional" (mint one if the platform can), false, or your own 淘口令 / share text as a string`)
	}
	return t.parseText(s)
}

// parseText reads a string value (JSON string or CSV cell).
func (t *tpwdRequest) parseText(s string) error {
	t.Set = true
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "0", "false", "no", "n":
		t.Mode = tpwdNone
	case "1", "true", "yes", "y":
		t.Mode = tpwdMint
	case "optional":
		t.Mode = tpwdOptional
	default:
		if len(s) > shortlink.MaxTpwdLength {
			return fmt.Errorf("tpwd: the pasted text is longer than %d bytes: paste the ￥…￥ token or the share text only", shortlink.MaxTpwdLength)
		}
		t.Mode, t.Pasted = tpwdPaste, s
	}
	return nil
}

// attachTpwd gives l the 淘口令 r asks for, before l is stored, so a link
// is never stored half made: with true, a platform refusal or outage fails
// the request; with "optional" the link is made without one and r.Tpwd's
// warning says why. targetChanged (an edit of the target) drops a token
// the request does not replace: it points to the old target.
func (s *Server) attachTpwd(ctx context.Context, l *shortlink.Link, r *linkRequest, targetChanged bool) error {
	t := &r.Tpwd
	if !t.Set {
		if targetChanged {
			l.Tpwd = nil
		}
		return nil
	}
	now := s.now().UTC()
	switch t.Mode {
	case tpwdNone:
		l.Tpwd = nil
		return nil
	case tpwdPaste:
		tok := tokenIn(t.Pasted)
		if tok == "" {
			return &apiError{Status: fiber.StatusUnprocessableEntity, Code: "invalid_tpwd",
				Message: "tpwd: no 淘口令 found in the pasted text: paste the ￥…￥ token (or the whole share text) from the Taobao app or the Alimama console"}
		}
		simple := "￥" + tok + "￥"
		l.Tpwd = &shortlink.Tpwd{Model: t.Pasted, Simple: simple, CreatedAt: now, Source: shortlink.TpwdPasted}
		return nil
	}
	if !targetChanged && l.Tpwd != nil && l.Tpwd.Source == shortlink.TpwdCreated {
		return nil // an edit that keeps the target keeps its minted token
	}
	err := s.mintTpwd(ctx, l, now)
	if err != nil && t.Mode == tpwdOptional {
		var ae *apiError
		if errors.As(err, &ae) {
			t.warning = ae.Message
		} else {
			t.warning = err.Error()
		}
		s.log.Warn("淘口令 not minted (tpwd optional): link made without one", "target", l.Target, "err", err)
		return nil
	}
	return err
}

// mintTpwd sets l.Tpwd for "tpwd": true: minted for a promotion link, or
// the token the target itself carries (a share text).
func (s *Server) mintTpwd(ctx context.Context, l *shortlink.Link, now time.Time) error {
	promo := ""
	switch {
	case remote.IsPromotionLink(l.Target):
		promo = strings.TrimSpace(l.Target)
	case remote.IsPromotionLink(l.Entity.URL):
		promo = l.Entity.URL
	}
	if promo == "" {
		if tok := tokenIn(l.Target); tok != "" {
			l.Tpwd = &shortlink.Tpwd{Model: "￥" + tok + "￥", Simple: "￥" + tok + "￥", CreatedAt: now, Source: shortlink.TpwdInput}
			return nil
		}
		return &apiError{Status: fiber.StatusUnprocessableEntity, Code: "not_promotion_link",
			Message: `tpwd: the Taobao Open Platform makes a 淘口令 only for an Alimama promotion link: make the target an https://s.click.taobao.com/… or https://uland.taobao.com/… link from the Alimama console or the taobao.tbk.* APIs, paste your own token as "tpwd": "￥…￥", or send "tpwd": "optional" to make the link without one`}
	}
	if s.deps.Tpwd == nil || !s.deps.Tpwd.Enabled() {
		return &apiError{Status: fiber.StatusServiceUnavailable, Code: "tpwd_not_configured",
			Message: "tpwd: minting 淘口令 is not configured on this server: the operator sets --top-app-key and --top-app-secret (a Taobao Open Platform app with the 淘宝客 permission)"}
	}
	ctx, cancel := context.WithTimeout(ctx, tpwdTimeout)
	defer cancel()
	m, err := s.deps.Tpwd.Create(ctx, promo)
	if err != nil {
		return tpwdError(err)
	}
	l.Tpwd = &shortlink.Tpwd{Model: m.Model, Simple: m.Simple, CreatedAt: now, Source: shortlink.TpwdCreated}
	return nil
}

// tpwdError maps a minting failure to what the API answers, with the
// platform's own message.
func tpwdError(err error) error {
	var te *remote.TOPError
	switch {
	case errors.Is(err, remote.ErrNotPromotionLink):
		return &apiError{Status: fiber.StatusUnprocessableEntity, Code: "not_promotion_link", Message: "tpwd: " + err.Error(), Cause: err}
	case errors.Is(err, resolver.ErrNotConfigured):
		return &apiError{Status: fiber.StatusServiceUnavailable, Code: "tpwd_not_configured",
			Message: "tpwd: the Taobao Open Platform client is not configured correctly (app key, secret, sign method, gateway)", Cause: err}
	case errors.Is(err, remote.ErrCircuitOpen):
		return &apiError{Status: fiber.StatusServiceUnavailable, Code: "tpwd_unavailable",
			Message: "tpwd: the Taobao Open Platform failed repeatedly just now; hutong pauses calls for a while: retry in a minute, or send \"tpwd\": \"optional\"", Cause: err}
	case errors.As(err, &te):
		pm := platformMessage(te)
		switch {
		case te.Code == 7:
			return &apiError{Status: fiber.StatusTooManyRequests, Code: "tpwd_rate_limited",
				Message: "tpwd: the Taobao Open Platform call limit of this app is reached: " + pm + "; retry later", Cause: err}
		case te.Code == 11 || te.Code == 26 || te.Code == 27 || strings.Contains(te.SubCode, "permission"):
			return &apiError{Status: fiber.StatusForbidden, Code: "tpwd_forbidden",
				Message: "tpwd: the Taobao Open Platform app lacks the permission for taobao.tbk.tpwd.create (淘宝客 / affiliate API package): " + pm, Cause: err}
		case te.Code == 15 && strings.HasPrefix(te.SubCode, "isv."), te.Code == 41:
			return &apiError{Status: fiber.StatusUnprocessableEntity, Code: "tpwd_rejected",
				Message: "tpwd: the Taobao Open Platform refused this link: " + pm, Cause: err}
		}
		return &apiError{Status: fiber.StatusBadGateway, Code: "tpwd_upstream",
			Message: "tpwd: the Taobao Open Platform answered an error (check the app key, secret and the server clock for codes 25, 29, 31): " + pm, Cause: err}
	}
	return &apiError{Status: fiber.StatusBadGateway, Code: "tpwd_upstream",
		Message: "tpwd: the Taobao Open Platform did not answer in time or answered garbage; the link was not made: retry, or send \"tpwd\": \"optional\"", Cause: err}
}

// platformMessage is "msg (sub_code: sub_msg), code N" of a TOP error.
func platformMessage(te *remote.TOPError) string {
	var b strings.Builder
	b.WriteString(te.Msg)
	if te.SubCode != "" || te.SubMsg != "" {
		fmt.Fprintf(&b, " (%s: %s)", te.SubCode, te.SubMsg)
	}
	b.WriteString(", code ")
	b.WriteString(strconv.Itoa(te.Code))
	return b.String()
}

// tokenIn returns the bare 淘口令 token in s (a token or a share text), or
// "".
func tokenIn(s string) string {
	e := resolver.Parse(s)
	if e.Kind == resolver.KindPassword {
		return e.ID
	}
	return e.Tpwd
}

// beaconPath is the path a page posts to when the link's 淘口令 is copied.
func beaconPath(l *shortlink.Link) string {
	p := "/api/v1/beacon/" + l.Code + "?action=" + ActionCopyTpwd
	if l.Domain != "" {
		p += "&domain=" + l.Domain
	}
	return p
}

// handleBeacon records what a tap page reports: POST (or GET)
// /api/v1/beacon/{code}?action=copy_tpwd[&domain=…] answers 204 and
// enqueues one event with that action for the link, through the same
// recorder as taps. No API key: the page is public; an unknown code or
// action is a 404/400 and records nothing.
func (s *Server) handleBeacon(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, cacheNoStore)
	if c.Query("action") != ActionCopyTpwd {
		return errBadRequest("action: want copy_tpwd")
	}
	if s.deps.Links == nil {
		return &apiError{Status: fiber.StatusNotFound, Code: "not_found", Message: "no such link"}
	}
	d, err := s.linkDomain(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	l, err := s.deps.Links.Get(ctx, d, strings.Clone(c.Params("code")))
	if err != nil && shortlink.ErrorCode(err) != shortlink.CodeGone {
		return storeError(err)
	}
	if s.deps.Events != nil {
		cl := s.deps.Clients.Detect(c.Get(fiber.HeaderUserAgent))
		ev := &track.Event{
			Time:       s.now(),
			Code:       statsKey(l.Domain, l.Code),
			Domain:     l.Domain,
			Campaign:   l.Campaign,
			EntityKind: string(l.Entity.Kind),
			EntityID:   l.Entity.ID,
			App:        string(cl.App),
			OS:         string(cl.OS),
			Device:     string(cl.Device),
			Bot:        cl.Bot,
			Action:     ActionCopyTpwd,
			IP:         s.deps.IPPolicy.ApplyAddr(s.clientIP(c)),
		}
		s.deps.Events.Record(ev)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
