package server

import (
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
	ev := &track.Event{
		VisitID:    track.NewVisitID(),
		Time:       s.now(),
		Code:       t.code,
		EntityKind: string(t.entity.Kind),
		EntityID:   t.entity.ID,
		App:        string(t.client.App),
		OS:         string(t.client.OS),
		Device:     string(t.client.Device),
		Scene:      string(t.client.Scene),
		Bot:        t.client.Bot,
		Action:     string(t.dec.Action),
		DestHost:   hostOf(t.dec.Location),
		PayChannel: t.dec.PayChannel,
		// hostOf returns a substring of its argument: clone the header
		// first, fasthttp reuses its buffer once the handler returns.
		Referrer: hostOf(strings.Clone(c.Get(fiber.HeaderReferer))),
		IP:       s.deps.IPPolicy.Apply(c.IP()),
	}
	if t.link != nil {
		ev.Domain, ev.Campaign = t.link.Domain, t.link.Campaign
	}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		ev.ClickIDs = track.AddClickID(ev.ClickIDs, k, v)
	})
	s.deps.Events.Record(ev)
}
