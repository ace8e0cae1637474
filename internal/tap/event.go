package tap

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/hutong-dev/hutong/internal/click"
)

// record fills the tap's click event. Every string put in the event is
// owned memory: entity fields come from the cached link or the caller's
// owned input, client fields are constants or cached strings, and request
// values are copied.
func (c *Core) record(t *Tap) {
	r := &t.Req
	t.Record = true
	ev := &t.Event
	// VisitID is left empty: the recorder's writer fills it, off the
	// request path.
	*ev = click.Event{
		Time:       r.Now,
		Code:       t.Code,
		EntityKind: string(t.Entity.Kind),
		EntityID:   t.Entity.ID,
		App:        string(t.Client.App),
		OS:         string(t.Client.OS),
		Device:     string(t.Client.Device),
		Scene:      string(t.Client.Scene),
		Bot:        t.Client.Bot,
		Shell:      shellOf(t.Client.UnknownShell),
		Action:     string(t.Decision.Action),
		DestHost:   HostOf(t.Decision.Location),
		PayChannel: t.Decision.PayChannel,
		// HostOf returns a substring of its argument: clone the header
		// first, it may alias request memory.
		Referrer: HostOf(strings.Clone(r.Referer)),
	}
	if c.cfg.AnonymizeIP != nil {
		ev.IP = c.cfg.AnonymizeIP(r.IP)
	} else if r.IP.IsValid() {
		ev.IP = r.IP.String()
	}
	if t.Link != nil {
		ev.Domain, ev.Campaign = t.Link.Domain, t.Link.Campaign
		ev.Code = StatsKey(t.Link.Domain, t.Link.Code)
	}
	for i := range r.Query {
		ev.ClickIDs = click.AddClickIDString(ev.ClickIDs, r.Query[i].Key, r.Query[i].Value)
	}
}

// StatsKey is the code events and counters of a link are kept under: the
// code on the default domain, "domain/code" on the others (codes are unique
// per domain only).
func StatsKey(domain, code string) string {
	if domain == "" {
		return code
	}
	return domain + "/" + code
}

// InputCode names an input's tap (/r) in events: "r:" and the first 12
// hex digits of the input's SHA-256 (the input itself may hold a share
// text).
func InputCode(in string) string {
	sum := sha256.Sum256([]byte(in))
	return "r:" + hex.EncodeToString(sum[:6])
}

// shellOf is an event's Shell: "unknown" for an unrecognised in-app
// web-view.
func shellOf(unknown bool) string {
	if unknown {
		return "unknown"
	}
	return ""
}

// HostOf returns the host of an absolute URL ("scheme://[userinfo@]host[:port]/…"),
// without the port and IPv6 brackets, lower-cased as given, or "". It does
// not allocate: the result is a substring of raw (clone it if raw is
// borrowed memory).
func HostOf(raw string) string {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return ""
	}
	h := raw[i+3:]
	if j := strings.IndexAny(h, "/?#\\"); j >= 0 {
		h = h[:j]
	}
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if strings.HasPrefix(h, "[") {
		if j := strings.IndexByte(h, ']'); j > 0 {
			return h[1:j]
		}
		return ""
	}
	if j := strings.IndexByte(h, ':'); j >= 0 {
		h = h[:j]
	}
	return h
}
