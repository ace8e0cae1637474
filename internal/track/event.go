// Package track records taps: click events enqueued on the request path into
// a bounded buffer, written in batches by a background writer (a Redis Stream
// plus counters, or the embedded store's own file), spilled to disk when the
// sink is down, aggregated into stats, and handed to ad systems as postbacks.
package track

import "time"

// Event is one tap. JSON field names are the stream/file schema documented in
// the README; keep them stable.
type Event struct {
	// VisitID is unique per tap (also the postback idempotency key base).
	VisitID string    `json:"visit_id"`
	Time    time.Time `json:"time"`
	// Code is the short-link code; for /r taps it is "r:" + a hash of the input.
	Code     string `json:"code"`
	Domain   string `json:"domain,omitempty"`
	Campaign string `json:"campaign,omitempty"`

	EntityKind string `json:"entity_kind"`
	EntityID   string `json:"entity_id,omitempty"`

	App    string `json:"app"`
	OS     string `json:"os"`
	Device string `json:"device"`
	Scene  string `json:"scene,omitempty"`
	Bot    bool   `json:"bot"`
	// Shell is "unknown" for an in-app web-view of an app hutong does not
	// recognise (routed as its OS's browser; clientinfo.Client.UnknownShell),
	// else empty. Stats count it under breakdown "shell".
	Shell string `json:"shell,omitempty"`

	Action     string `json:"action"`
	DestHost   string `json:"dest_host,omitempty"`
	PayChannel string `json:"pay_channel,omitempty"`
	Referrer   string `json:"referrer_host,omitempty"`
	// IP is the client address after the configured privacy policy:
	// truncated (/24, /48) or a keyed hash; never the address in clear.
	IP string `json:"ip,omitempty"`
	// ClickIDs are the ad click IDs on the tapped link (gdt_vid, qz_gdt,
	// click_id, clickid, callback, bd_vid, utm_*), name → value.
	ClickIDs map[string]string `json:"click_ids,omitempty"`
}
