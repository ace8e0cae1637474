// Package route decides what a tap gets: entity kind × client → action, with
// URL templates per entity and target, loaded from embedded defaults and an
// optional rules file. A Table is immutable once built and safe for
// concurrent use; reloading builds a new Table and swaps it atomically.
package route

import (
	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/resolver"
)

// Action is what the service answers with.
type Action string

// Actions.
const (
	// ActionRedirect answers 302 to Decision.Location.
	ActionRedirect Action = "redirect"
	// ActionInterstitial answers a page whose button opens the app
	// (Decision.AppURL / IntentURL) and falls back to Decision.Location.
	ActionInterstitial Action = "interstitial"
	// ActionGuide answers the "open in browser" guide (WeChat, no direct path).
	ActionGuide Action = "guide"
	// ActionJSON answers the decision as JSON (WeChat mini-program web-view).
	ActionJSON Action = "json"
	// ActionPreview answers an Open Graph card (link-preview bots).
	ActionPreview Action = "preview"
	// ActionInfo answers an info / copy-link page (unknown or not allowed).
	ActionInfo Action = "info"
)

// Pay channels carried by a decision.
const (
	PayWeChat = "wechat"
	PayAlipay = "alipay"
)

// Overrides are per-link routing options stored with a short link.
// The zero value changes nothing.
type Overrides struct {
	// PreferWeb turns the interstitial into a plain 302 to the web page.
	PreferWeb bool `json:"prefer_web,omitempty"`
	// BuyNow routes item taps to the checkout (BUY_H5) with SKU and Quantity.
	BuyNow   bool   `json:"buy_now,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Quantity int    `json:"quantity,omitempty"`
	// NoCheckout sends buy-now taps to ITEM_H5 + skuId instead of BUY_H5.
	NoCheckout bool `json:"no_checkout,omitempty"`
	// DesktopURL replaces the destination for desktop clients. It must be
	// on the allowlist (validated when the link is saved and again when used).
	DesktopURL string `json:"desktop_url,omitempty"`
	// WeChatTpwdGuide makes WeChat and WeCom taps on a link that holds a
	// 淘口令 get the guide page that leads with the token and its copy
	// button, instead of the default 302 to the H5 page. The table does
	// not read it (it does not know the link's token): the server applies
	// it after the decision. No effect on a link without a 淘口令.
	WeChatTpwdGuide bool `json:"wechat_tpwd_guide,omitempty"`
}

// TpwdGuide reports whether a tap by cl, which the table decided d, gets
// instead the guide page that leads with the link's 淘口令: only when the
// link opted in (o.WeChatTpwdGuide), holds a 淘口令 (hasTpwd), the tapper
// is WeChat or WeCom in-app (not a bot, not the desktop client, not a mini
// program) and d has a page to continue to. Taps and the UI's landing
// preview both ask it.
func TpwdGuide(o *Overrides, hasTpwd bool, cl *clientinfo.Client, d *Decision) bool {
	if !o.WeChatTpwdGuide || !hasTpwd || d.Location == "" || cl.Bot {
		return false
	}
	return cl.App == clientinfo.AppWeChat || cl.App == clientinfo.AppWeCom
}

// Request is everything a routing decision depends on.
type Request struct {
	Entity    resolver.Entity
	Client    clientinfo.Client
	Overrides Overrides
	// Forward holds extra parameters to append to the destination, already
	// filtered by the caller's forwarding policy (UTM parameters a link adds,
	// ad click IDs a link or rule forwards), encoded as a query string.
	Forward string
	// Query is the raw query string of the tapped hutong URL (optional).
	// Decide forwards from it only the parameters the rules file's
	// forward_params names (default none); WeChat's from/isappinstalled
	// never reach the destination.
	Query string
}

// Decision is the outcome of routing one tap. JSON field names are part of
// the /api/v1/resolve answer.
type Decision struct {
	Action Action `json:"action"`
	// Target names the template used (item_h5, item_pc, buy_h5, shop_h5, …),
	// or "desktop_url" when a link's DesktopURL was used.
	Target string `json:"target,omitempty"`
	// Location is the destination: the 302 Location for ActionRedirect, the
	// fallback for ActionInterstitial. Always an allow-listed http(s) URL,
	// never a custom scheme. Empty when there is none.
	Location string `json:"location,omitempty"`
	// H5 and PC are the mobile-web and desktop pages for the entity.
	H5 string `json:"h5,omitempty"`
	PC string `json:"pc,omitempty"`
	// AppURL is the tbopen:// scheme that opens the Taobao app on a tap;
	// IntentURL the Android intent:// form. Only ever used behind a button.
	AppURL    string `json:"app_url,omitempty"`
	IntentURL string `json:"intent_url,omitempty"`
	// SKU and Quantity are set on buy-now decisions (Overrides, else the
	// entity's SKU; quantity at least 1), for mini programs and click events.
	SKU      string `json:"sku,omitempty"`
	Quantity int    `json:"quantity,omitempty"`
	// PayChannel is "wechat", "alipay" or empty (ROUTING.md, Paying with WeChat
	// Pay). It is set on every decision, whatever the action.
	PayChannel string `json:"pay_channel,omitempty"`
	// Reason explains a guide/info decision in a few words (for logs and pages).
	Reason string `json:"reason,omitempty"`
	// Class is the client class (row of the routing table) the tap fell in.
	Class Class `json:"class,omitempty"`
	// Copy is text for a guide/info page to offer for copying: the 淘口令
	// token of a password entity, or the link of a short or unknown entity.
	// It is plain text, never a link to follow (it is not allow-listed).
	Copy string `json:"copy,omitempty"`
}
