package shortlink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/resolver/remote"
)

// Tpwd is a link's 淘口令: the text a shopper copies so the Taobao app opens
// the link's page when it starts. It is stored with the link, so a tap
// never asks the Open Platform for it. Treat a *Tpwd reached through a
// Link as read-only: cached links share it.
type Tpwd struct {
	// Model is the form the Taobao app reads on iOS 14 and later ("6￥…￥/
	// https://m.tb.cn/…": digits, the token, a URL).
	Model string `json:"model"`
	// Simple is the form for every other device ("￥…￥").
	Simple string `json:"simple"`
	// CreatedAt is when hutong stored it.
	CreatedAt time.Time `json:"created_at"`
	// Source says where it came from: TpwdCreated, TpwdPasted or TpwdInput.
	Source TpwdSource `json:"source"`
}

// TpwdSource is where a link's 淘口令 came from.
type TpwdSource string

// Sources of a link's 淘口令.
const (
	// TpwdCreated: minted for the link's promotion URL through
	// taobao.tbk.tpwd.create.
	TpwdCreated TpwdSource = "created"
	// TpwdPasted: the marketer pasted their own token or share text.
	TpwdPasted TpwdSource = "pasted"
	// TpwdInput: the link's target (a share text) carried it.
	TpwdInput TpwdSource = "input"
)

// MaxTpwdLength bounds each form of a stored 淘口令.
const MaxTpwdLength = 1024

// For returns the form to show a tapper: Model when model is true (iOS 14
// and later), else Simple; the other form when that one is empty. A nil
// *Tpwd returns "".
func (t *Tpwd) For(model bool) string {
	if t == nil {
		return ""
	}
	if model && t.Model != "" || t.Simple == "" {
		return t.Model
	}
	return t.Simple
}

// validate checks a stored 淘口令.
func (t *Tpwd) validate() error {
	if t == nil {
		return nil
	}
	switch t.Source {
	case TpwdCreated, TpwdPasted, TpwdInput:
	default:
		return Errorf(CodeInvalid, "tpwd.source must be created, pasted or input")
	}
	if strings.TrimSpace(t.Simple) == "" && strings.TrimSpace(t.Model) == "" {
		return Errorf(CodeInvalid, "tpwd: no token")
	}
	if len(t.Model) > MaxTpwdLength || len(t.Simple) > MaxTpwdLength {
		return Errorf(CodeInvalid, "tpwd is longer than %d bytes", MaxTpwdLength)
	}
	return nil
}

// clone returns an owned copy of t (nil stays nil).
func (t *Tpwd) clone() *Tpwd {
	if t == nil {
		return nil
	}
	c := Tpwd{Model: strings.Clone(t.Model), Simple: strings.Clone(t.Simple), CreatedAt: t.CreatedAt, Source: TpwdSource(strings.Clone(string(t.Source)))}
	return &c
}

// TpwdCreator mints a 淘口令 for an Alimama promotion link
// (remote.TpwdCreator: taobao.tbk.tpwd.create, cached by URL).
type TpwdCreator interface {
	Enabled() bool
	Create(ctx context.Context, promoURL string) (remote.MintedTpwd, error)
}

// tpwdTimeout bounds minting one 淘口令 at link creation.
const tpwdTimeout = 5 * time.Second

// attachTpwd gives l the 淘口令 in asks for, before l is stored, so a link
// is never stored half made: with true, a platform refusal or outage fails
// the request; with "optional" the link is made without one and warning
// says why. targetChanged (an edit of the target) drops a token the
// request does not replace: it points to the old target.
func (s *Service) attachTpwd(ctx context.Context, l *Link, in *Input, targetChanged bool) (warning string, err error) {
	t := &in.Tpwd
	if !t.Set {
		if targetChanged {
			l.Tpwd = nil
		}
		return "", nil
	}
	now := s.now().UTC()
	switch t.Mode {
	case TpwdNone:
		l.Tpwd = nil
		return "", nil
	case TpwdPaste:
		tok := tokenIn(t.Pasted)
		if tok == "" {
			return "", FieldError(CodeInvalidTpwd, "tpwd", "", "no 淘口令 found in the pasted text: paste the ￥…￥ token (or the whole share text) from the Taobao app or the Alimama console")
		}
		simple := "￥" + tok + "￥"
		l.Tpwd = &Tpwd{Model: t.Pasted, Simple: simple, CreatedAt: now, Source: TpwdPasted}
		return "", nil
	}
	if !targetChanged && l.Tpwd != nil && l.Tpwd.Source == TpwdCreated {
		return "", nil // an edit that keeps the target keeps its minted token
	}
	err = s.mintTpwd(ctx, l, now)
	if err != nil && t.Mode == TpwdOptional {
		s.rules.Log.Warn("淘口令 not minted (tpwd optional): link made without one", "target", l.Target, "err", err)
		return ErrorMessage(err), nil
	}
	return "", err
}

// mintTpwd sets l.Tpwd for "tpwd": true: minted for a promotion link, or
// the token the target itself carries (a share text).
func (s *Service) mintTpwd(ctx context.Context, l *Link, now time.Time) error {
	promo := ""
	switch {
	case remote.IsPromotionLink(l.Target):
		promo = strings.TrimSpace(l.Target)
	case remote.IsPromotionLink(l.Entity.URL):
		promo = l.Entity.URL
	}
	if promo == "" {
		if tok := tokenIn(l.Target); tok != "" {
			l.Tpwd = &Tpwd{Model: "￥" + tok + "￥", Simple: "￥" + tok + "￥", CreatedAt: now, Source: TpwdInput}
			return nil
		}
		return FieldError(CodeNotPromotionLink, "tpwd", "", `the Taobao Open Platform makes a 淘口令 only for an Alimama promotion link: make the target an https://s.click.taobao.com/… or https://uland.taobao.com/… link from the Alimama console or the taobao.tbk.* APIs, paste your own token as "tpwd": "￥…￥", or send "tpwd": "optional" to make the link without one`)
	}
	if s.rules.Tpwd == nil || !s.rules.Tpwd.Enabled() {
		return FieldError(CodeTpwdNotConfigured, "tpwd", "", "minting 淘口令 is not configured on this server: the operator sets --top-app-key and --top-app-secret (a Taobao Open Platform app with the 淘宝客 permission)")
	}
	ctx, cancel := context.WithTimeout(ctx, tpwdTimeout)
	defer cancel()
	m, err := s.rules.Tpwd.Create(ctx, promo)
	if err != nil {
		return tpwdError(err)
	}
	l.Tpwd = &Tpwd{Model: m.Model, Simple: m.Simple, CreatedAt: now, Source: TpwdCreated}
	return nil
}

// tpwdError is the error of a minting failure, with the platform's own
// message: each kind says what to do.
func tpwdError(err error) error {
	e := func(code, format string, args ...any) error {
		fe := FieldError(code, "tpwd", "", format, args...)
		fe.Err = err
		return fe
	}
	var te *remote.TOPError
	switch {
	case errors.Is(err, remote.ErrNotPromotionLink):
		return e(CodeNotPromotionLink, "%s", err.Error())
	case errors.Is(err, resolver.ErrNotConfigured):
		return e(CodeTpwdNotConfigured, "the Taobao Open Platform client is not configured correctly (app key, secret, sign method, gateway)")
	case errors.Is(err, remote.ErrCircuitOpen):
		return e(CodeTpwdUnavailable, "the Taobao Open Platform failed repeatedly just now; hutong pauses calls for a while: retry in a minute, or send \"tpwd\": \"optional\"")
	case errors.As(err, &te):
		pm := platformMessage(te)
		switch {
		case te.Code == 7:
			return e(CodeTpwdRateLimited, "the Taobao Open Platform call limit of this app is reached: %s; retry later", pm)
		case te.Code == 11 || te.Code == 26 || te.Code == 27 || strings.Contains(te.SubCode, "permission"):
			return e(CodeTpwdForbidden, "the Taobao Open Platform app lacks the permission for taobao.tbk.tpwd.create (淘宝客 / affiliate API package): %s", pm)
		case te.Code == 15 && strings.HasPrefix(te.SubCode, "isv."), te.Code == 41:
			return e(CodeTpwdRejected, "the Taobao Open Platform refused this link: %s", pm)
		}
		return e(CodeTpwdUpstream, "the Taobao Open Platform answered an error (check the app key, secret and the server clock for codes 25, 29, 31): %s", pm)
	}
	return e(CodeTpwdUpstream, "the Taobao Open Platform did not answer in time or answered garbage; the link was not made: retry, or send \"tpwd\": \"optional\"")
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
