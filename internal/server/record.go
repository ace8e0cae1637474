package server

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/track"
)

// record enqueues the tap's click event; it never blocks (the recorder
// drops and counts when its buffer is full). Every string put in the event
// is owned memory: entity fields come from the cached link or the cloned
// input, client fields are constants or cached strings, and request values
// are copied.
func (s *Server) record(c *fiber.Ctx, t *tap) {
	if s.deps.Events == nil {
		return
	}
	// VisitID is left empty: the recorder's writer fills it, off the
	// request path.
	// The event lives in the tap (pooled for short-link taps); Record
	// copies it into the recorder's buffer.
	ev := &t.ev
	*ev = track.Event{
		Time:       s.reqNow(c),
		Code:       t.code,
		EntityKind: string(t.entity.Kind),
		EntityID:   t.entity.ID,
		App:        string(t.client.App),
		OS:         string(t.client.OS),
		Device:     string(t.client.Device),
		Scene:      string(t.client.Scene),
		Bot:        t.client.Bot,
		Shell:      shellOf(t.client.UnknownShell),
		Action:     string(t.dec.Action),
		DestHost:   hostOf(t.dec.Location),
		PayChannel: t.dec.PayChannel,
		// hostOf returns a substring of its argument: clone the header
		// first, fasthttp reuses its buffer once the handler returns.
		Referrer: hostOf(strings.Clone(c.Get(fiber.HeaderReferer))),
		IP:       s.deps.IPPolicy.ApplyAddr(s.clientIP(c)),
	}
	if t.link != nil {
		ev.Domain, ev.Campaign = t.link.Domain, t.link.Campaign
		ev.Code = statsKey(t.link.Domain, t.link.Code)
	}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		ev.ClickIDs = track.AddClickID(ev.ClickIDs, k, v)
	})
	s.deps.Events.Record(ev)
}

// statsKey is the code events and counters of a link are kept under: the
// code on the default domain, "domain/code" on the others (codes are unique
// per domain only).
func statsKey(domain, code string) string {
	if domain == "" {
		return code
	}
	return domain + "/" + code
}

// clientIP is the address of the person who tapped. The TCP peer, unless it
// is a trusted proxy: then X-Forwarded-For is read from the right, skipping
// trusted proxies, and the first other address is the client (entries to
// its left are whatever the client sent and can be forged).
func (s *Server) clientIP(c *fiber.Ctx) netip.Addr {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer
	}
	xff := c.Get(fiber.HeaderXForwardedFor)
	for xff != "" {
		i := strings.LastIndexByte(xff, ',')
		part := strings.TrimSpace(xff[i+1:])
		xff = xff[:max(i, 0)]
		a, err := netip.ParseAddr(part)
		if err != nil {
			break
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a
		}
		if i < 0 {
			break
		}
	}
	return peer
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// shellOf is an event's Shell: "unknown" for an unrecognised in-app
// web-view.
func shellOf(unknown bool) string {
	if unknown {
		return "unknown"
	}
	return ""
}
