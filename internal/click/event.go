// Package click is the click event of one tap: the type the tap core
// (internal/tap) builds and the recorder (internal/track) writes, in a
// package of its own so that the tap core depends on no sink driver.
// Standard library and resolver (the click-ID list) only.
package click

import (
	"strings"
	"time"

	"github.com/hutong-dev/hutong/resolver"
)

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

// MaxClickIDLen bounds a recorded click ID's value (bytes); longer values
// are cut, to bound event size.
const MaxClickIDLen = 2048

// AddClickID records name=value in m if name is a click-ID parameter
// (resolver.IsClickIDParam), allocating m on first use, and returns m. name
// and value are copied, so byte slices borrowed from a request are safe to
// pass. Values longer than MaxClickIDLen bytes are cut.
func AddClickID(m map[string]string, name, value []byte) map[string]string {
	if !resolver.IsClickIDParam(string(name)) { // no allocation: compiler optimises the conversion
		return m
	}
	if len(value) > MaxClickIDLen {
		value = value[:MaxClickIDLen]
	}
	if m == nil {
		m = make(map[string]string, 2)
	}
	m[string(name)] = string(value)
	return m
}

// AddClickIDString is AddClickID for strings that may alias request
// memory: name and value are cloned when recorded.
func AddClickIDString(m map[string]string, name, value string) map[string]string {
	if !resolver.IsClickIDParam(name) {
		return m
	}
	if len(value) > MaxClickIDLen {
		value = value[:MaxClickIDLen]
	}
	if m == nil {
		m = make(map[string]string, 2)
	}
	m[strings.Clone(name)] = strings.Clone(value)
	return m
}
