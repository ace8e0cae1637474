package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// taobao.tbk.tpwd.create (淘宝客-公用-淘口令生成) takes url, "an Alimama
// promotion link obtained through the official channels; do not alter it
// or no token can be made" (text, logo, ext and user_id are kept for old
// callers and documented as having no effect), and answers
// {"tbk_tpwd_create_response":{"data":{"model":…,"password_simple":…},
// "request_id":…}}: model is the form the Taobao app reads on iOS 14 and
// later ("digits + ￥ + url", the rule may change with iOS), password_simple
// the form for every other device (field notes as in the generated models
// of bububa/opentaobao model/tbk/TaobaoTbkTpwdCreateAPIRequest.go and
// TaobaoTbkTpwdCreateMapData.go).

// ErrNotPromotionLink means the URL given to TpwdCreator.Create is not an
// official Alimama promotion link, so the platform would refuse it; nothing
// was sent.
var ErrNotPromotionLink = errors.New("remote: not an Alimama promotion link (https://s.click.taobao.com/… or https://uland.taobao.com/…)")

// maxTpwdLen bounds each form of a minted token kept from an answer.
const maxTpwdLen = 1024

// promotionHosts are the hosts of Alimama promotion links.
var promotionHosts = map[string]bool{"s.click.taobao.com": true, "uland.taobao.com": true}

// IsPromotionLink reports whether raw is an official Alimama promotion
// link: an absolute http(s) URL on s.click.taobao.com or uland.taobao.com
// with a path or query beyond the bare host.
func IsPromotionLink(raw string) bool {
	s := strings.TrimSpace(raw)
	host, err := checkURL(s, func(h string) bool { return promotionHosts[h] })
	if err != nil || host == "" {
		return false
	}
	i := strings.Index(s, host)
	rest := strings.TrimLeft(s[i+len(host):], "/")
	return rest != ""
}

// MintedTpwd is what taobao.tbk.tpwd.create answered: Model for iOS 14 and
// later, Simple for every other device. Both are set (one copies the other
// when the platform answered only one).
type MintedTpwd struct {
	Model  string `json:"model"`
	Simple string `json:"simple"`
}

// TpwdCreator mints 淘口令 tokens with taobao.tbk.tpwd.create. Answers are
// cached by URL (CacheTTL, CacheSize of the config), concurrent calls for
// one URL share a request, and failures are not cached.
//
// Build it with NewTpwdCreator; the zero value is not usable. Safe for
// concurrent use.
type TpwdCreator struct {
	top    *TOPClient
	lookup *cachedLookup[MintedTpwd]
}

// NewTpwdCreator returns a creator configured by cfg. Without AppKey or
// AppSecret it is disabled (Create returns resolver.ErrNotConfigured).
func NewTpwdCreator(cfg TOPConfig) *TpwdCreator {
	top := NewTOPClient(cfg)
	ttl := cfg.CacheTTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	return &TpwdCreator{top: top, lookup: newCachedLookup[MintedTpwd](cfg.CacheSize, ttl, cfg.NegativeTTL, top.now)}
}

// NewTpwdCreatorWith returns a creator that shares top (and so its circuit
// breaker) with a decoder.
func NewTpwdCreatorWith(top *TOPClient) *TpwdCreator {
	return &TpwdCreator{top: top, lookup: newCachedLookup[MintedTpwd](0, 24*time.Hour, 0, top.now)}
}

// Client is the TOPClient of d, to share with a TpwdCreator.
func (d *TOPDecoder) Client() *TOPClient { return d.top }

// Enabled reports whether the creator has credentials and will call TOP.
func (c *TpwdCreator) Enabled() bool { return c.top.Enabled() }

// Create mints a 淘口令 for the promotion link promoURL.
//
// Errors: ErrNotPromotionLink (no request made); resolver.ErrNotConfigured;
// ErrCircuitOpen; a *TOPError for the platform's refusals (invalid
// signature, call limit, no permission, a link it will not take: read
// Msg/SubMsg); ErrUpstream for network errors, timeouts and malformed or
// empty answers.
func (c *TpwdCreator) Create(ctx context.Context, promoURL string) (MintedTpwd, error) {
	u := strings.TrimSpace(promoURL)
	if !IsPromotionLink(u) {
		return MintedTpwd{}, ErrNotPromotionLink
	}
	if err := c.top.usable(); err != nil {
		return MintedTpwd{}, err
	}
	return c.lookup.do(ctx, u, func(ctx context.Context) (MintedTpwd, error) {
		body, err := c.top.Call(ctx, TOPTpwdCreateMethod, map[string]string{"url": u})
		if err != nil {
			return MintedTpwd{}, err
		}
		var r struct {
			Data *struct {
				Model          string `json:"model"`
				PasswordSimple string `json:"password_simple"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return MintedTpwd{}, fmt.Errorf("%w: TOP %s: malformed response: %v", ErrUpstream, TOPTpwdCreateMethod, err)
		}
		if r.Data == nil {
			return MintedTpwd{}, fmt.Errorf("%w: TOP %s answered no data", ErrUpstream, TOPTpwdCreateMethod)
		}
		m := MintedTpwd{Model: cleanTpwd(r.Data.Model), Simple: cleanTpwd(r.Data.PasswordSimple)}
		if m.Model == "" {
			m.Model = m.Simple
		}
		if m.Simple == "" {
			m.Simple = m.Model
		}
		if m.Model == "" {
			return MintedTpwd{}, fmt.Errorf("%w: TOP %s answered no 淘口令", ErrUpstream, TOPTpwdCreateMethod)
		}
		return m, nil
	})
}

// cleanTpwd trims s and drops it when it is oversize or holds control
// characters (it is shown on pages and copied as is).
func cleanTpwd(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxTpwdLen {
		return ""
	}
	for _, r := range s {
		if r < ' ' && r != '\n' || r == 0x7f {
			return ""
		}
	}
	return s
}
