// Package shortlink is the short-link domain: the Link model, code generation
// and aliases, expiry and click caps, the Store interface with its embedded
// (bbolt) and Redis implementations, and the hot in-process cache in front of
// them.
package shortlink

import (
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
}
