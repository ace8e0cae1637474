package shortlink

import (
	"strings"
	"time"
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
