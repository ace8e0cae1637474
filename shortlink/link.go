// Package shortlink is the short-link domain: the Link model, code generation
// and aliases, expiry and click caps, the Store contract (implemented by
// shortlink/boltstore, embedded, and shortlink/redisstore; checked by
// shortlink/storetest), and the hot in-process cache in front of it
// (CachedStore, which the tap core reads). It links no store driver
// (TestDependencies).
//
// Making a link is one use case, Service.Make (Edit changes one, MakeMany
// and Import take bulk rows), called alike by the HTTP API, the bulk
// import, the web UI's forms and the CLI. Its Input is what a person
// typed (target, alias, domain, expiry, click cap, tags, campaign, UTM,
// route overrides, 淘口令 request); Rules are the install's checks that
// shortlink cannot know by itself (served domains, the routing table's
// allowlist, the click-ID names, resolver.Deepen for a short link or
// 淘口令 target, the 淘口令 minter), given once with Service.WithRules.
// Every refusal is an *Error: a kind (Code*), the input Field at fault and
// the rule (Reason*), with a message that names what to fix; each surface
// maps it in one place (the API to an HTTP status and JSON, the UI to a
// message in the page's language next to the field). TestMakeRules is the
// table of every rule.
//
// What is computed at read time lives beside it: the short and QR URLs
// from the domain pools (internal/domains.URLs), and sorted lists and
// exports with click counts (internal/linkquery).
package shortlink

import (
	"maps"
	"slices"
	"time"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
)

// Link is one short link. A link belongs to one short domain (Domain, ""
// meaning the install's default domain); Code is unique per domain.
type Link struct {
	Code   string `json:"code"`
	Domain string `json:"domain,omitempty"`
	// Target is the input the link was created from, as given (URL, share
	// text, token); Entity is what the resolver made of it, stored so a tap
	// needs no re-parsing.
	Target string          `json:"target"`
	Entity resolver.Entity `json:"entity"`

	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// MaxClicks caps human taps; 0 means no cap.
	MaxClicks int64 `json:"max_clicks,omitempty"`
	// Clicks is the number of human taps counted against MaxClicks.
	Clicks   int64 `json:"clicks"`
	Disabled bool  `json:"disabled,omitempty"`

	Route route.Overrides `json:"route,omitempty"`

	Tags     []string `json:"tags,omitempty"`
	Campaign string   `json:"campaign,omitempty"`
	// UTM parameters added to the destination (utm_source, …: name → value).
	UTM map[string]string `json:"utm,omitempty"`
	// ForwardClickIDs lists the ad click-ID parameters (gdt_vid, click_id, …)
	// that this link passes on to the destination.
	ForwardClickIDs []string `json:"forward_click_ids,omitempty"`

	// Preview card fields (Open Graph), defaulting to the share text title.
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Image       string `json:"image,omitempty"`

	// Tpwd is the link's 淘口令, shown with a copy button where the Taobao
	// app cannot be opened directly. Nil: none.
	Tpwd *Tpwd `json:"tpwd,omitempty"`

	// QRLogo names the stored logo (LogoStore) drawn in this link's QR
	// code when it is asked for with ?logo=1; empty: the install-wide
	// logo. A deleted logo falls back to the install-wide one.
	QRLogo string `json:"qr_logo,omitempty"`

	// Version is the store's revision of the link: 1 after Create, +1 on
	// every Update. Update with a non-zero Version succeeds only if it
	// matches the stored one (optimistic concurrency).
	Version int64 `json:"version,omitempty"`
}

// Status is whether a link answers taps.
type Status string

// Statuses, in the order StatusAt checks them.
const (
	StatusActive    Status = "active"
	StatusDisabled  Status = "disabled"
	StatusExpired   Status = "expired"
	StatusExhausted Status = "exhausted" // Clicks reached MaxClicks
)

// StatusAt returns the link's status at now.
func (l *Link) StatusAt(now time.Time) Status {
	switch {
	case l.Disabled:
		return StatusDisabled
	case l.ExpiresAt != nil && !now.Before(*l.ExpiresAt):
		return StatusExpired
	case l.MaxClicks > 0 && l.Clicks >= l.MaxClicks:
		return StatusExhausted
	}
	return StatusActive
}

// Check returns nil when the link is active at now and an *Error with
// CodeGone saying why otherwise.
func (l *Link) Check(now time.Time) error {
	switch l.StatusAt(now) {
	case StatusDisabled:
		return errDisabled
	case StatusExpired:
		return errExpired
	case StatusExhausted:
		return errExhausted
	}
	return nil
}

// Shared, immutable gone errors, so the tap path does not allocate.
var (
	errDisabled  = &Error{Code: CodeGone, Message: "this link has been disabled"}
	errExpired   = &Error{Code: CodeGone, Message: "this link has expired"}
	errExhausted = &Error{Code: CodeGone, Message: "this link has reached its click limit"}
)

// Clone returns a deep copy of l: links returned by the cache share their
// slices and maps with the cache, so clone one before modifying it.
func (l Link) Clone() Link {
	if l.ExpiresAt != nil {
		t := *l.ExpiresAt
		l.ExpiresAt = &t
	}
	l.Tags = slices.Clone(l.Tags)
	l.UTM = maps.Clone(l.UTM)
	l.ForwardClickIDs = slices.Clone(l.ForwardClickIDs)
	l.Tpwd = l.Tpwd.clone()
	return l
}

// key is the identity of a link inside a store and the cache.
type key struct{ domain, code string }
