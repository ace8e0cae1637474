// Package resolver turns anything a person might paste or tap — a Taobao or
// Tmall URL, an m.tb.cn short link, an app scheme, a 淘口令 share text, a link
// buried in HTML, markdown, JSON or a wrapper URL — into one Entity.
//
// The package is pure: no I/O, no globals, no clock. Every function is safe
// for concurrent use. Lookups that need the network (short-link expansion,
// 淘口令 decoding) are described by the Expander and PasswordDecoder
// interfaces and implemented in resolver/remote.
//
// # Wrappers
//
// A non-Taobao URL that carries a Taobao-family link in a query parameter,
// its fragment or its path (a redirector such as link.zhihu.com, a shopping
// agent such as pandabuy or sugargoo, a landing page) resolves to the inner
// entity, with Entity.Via set to the wrapper's host. The inner link may be
// raw, percent-encoded, double-encoded or half-encoded; its host is validated
// after decoding. The corpus describes such inputs as a top-level "unknown"
// (the wrapper page itself) with an "embedded" entity: Parse returns the
// embedded one, and Via != "" tells the caller it came from a wrapper. A
// Taobao-family page wrapping another family link (tbopen:// h5Url=, a login
// redirect) resolves to the inner entity without Via.
//
// # Host checks
//
// A host is Taobao-family only by an exact registrable-domain match after
// validation (IsTaobaoHost): URLs are split as browsers split them (the
// authority ends at '/', '\', '?' or '#'; userinfo ends at the last '@'),
// and hosts with percent-escapes or non-ASCII characters are rejected, so
// look-alikes, userinfo and backslash tricks and IDN homographs are unknown.
// Entity IDs are digits (items, shops, live rooms), [A-Za-z0-9._-] (short
// codes, shop domains) or [A-Za-z0-9] (tokens), and Canonical is built from
// the entity, never copied from the input.
//
// # Parameters
//
// ClassifyParam and FilterQuery implement the parameter policy of
// ROUTING.md. Params keeps identity, affiliate and sharer parameters
// verbatim; Canonical keeps identity (as the entity's fields) and affiliate
// parameters in their original order and encoding. Parameters the policy
// does not know are dropped from both: only parameters whose meaning is
// known reach a destination.
package resolver

// Platform is the marketplace an entity belongs to.
type Platform string

// Platforms.
const (
	PlatformTaobao  Platform = "taobao"
	PlatformTmall   Platform = "tmall"
	PlatformUnknown Platform = "unknown"
)

// Kind is what an entity is.
type Kind string

// Kinds, as fixed by the resolve contract in DESIGN.md.
const (
	KindItem     Kind = "item"
	KindShop     Kind = "shop"
	KindLive     Kind = "live"
	KindShort    Kind = "short"    // m.tb.cn-style short link; ID is the code
	KindPassword Kind = "password" // a bare 淘口令 token; ID is the token
	KindSearch   Kind = "search"
	KindCoupon   Kind = "coupon" // uland / s.click affiliate and coupon links
	KindUnknown  Kind = "unknown"
)

// IDType says what Entity.ID means.
type IDType string

// ID types, as fixed by the resolve contract in DESIGN.md.
const (
	IDItem       IDType = "item_id"
	IDShop       IDType = "shop_id"
	IDSeller     IDType = "seller_id"
	IDShopDomain IDType = "shop_domain"
	IDLive       IDType = "live_id"
	IDShortCode  IDType = "short_code"
	IDTpwd       IDType = "tpwd"
	IDNone       IDType = "none"
)

// Entity is the Taobao-family thing an input points to.
//
// The zero value is not meaningful; Parse always returns Platform, Kind and
// IDType set (PlatformUnknown, KindUnknown, IDNone for unknown input).
// JSON field names are part of the `hutong resolve` contract.
type Entity struct {
	Platform Platform `json:"platform"`
	Kind     Kind     `json:"kind"`
	ID       string   `json:"id"`
	IDType   IDType   `json:"id_type"`

	// SKU is the skuId of an item link, when present.
	SKU string `json:"sku,omitempty"`
	// SellerID is the seller (user) id when a shop link carries one beside
	// the shop id or domain.
	SellerID string `json:"seller_id,omitempty"`
	// ActivityID is a coupon activity (uland.taobao.com activityId).
	ActivityID string `json:"activity_id,omitempty"`
	// LiveFeedID is the feedId of a live room when it differs from ID.
	LiveFeedID string `json:"feed_id,omitempty"`
	// Query is the search keyword of a search page.
	Query string `json:"q,omitempty"`
	// Tpwd is the 淘口令 token found in a share text (without its brackets).
	Tpwd string `json:"tpwd,omitempty"`
	// Title is the title a share text carried (【…】 or 「…」), when any.
	Title string `json:"title,omitempty"`
	// URL is the Taobao-family URL found in the input, as found (scheme
	// added when it was protocol-relative or bare), before any policy.
	URL string `json:"url,omitempty"`
	// Canonical is the entity's canonical https URL with noise and sharer
	// parameters stripped and identity/affiliate parameters kept. Empty when
	// the entity has no web page (a bare token, an unknown input).
	Canonical string `json:"canonical,omitempty"`
	// Params is the query string (encoded, "a=1&b=2", original order) of the
	// parameters the policy keeps for the destination: identity, affiliate
	// and sharer classes, verbatim. Empty when there are none.
	Params string `json:"params,omitempty"`
	// Via is the host of a non-Taobao wrapper (redirector, shopping agent,
	// landing page) the entity was found inside.
	Via string `json:"via,omitempty"`
}

// Known reports whether the entity is a Taobao-family entity of a known kind.
func (e Entity) Known() bool { return e.Kind != KindUnknown && e.Kind != "" }
