package server

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/shortlink"
)

// ActionCopyTpwd is the action of the event a tap page's beacon records
// when the shopper copies the link's 淘口令. Stats count it under
// action:copy_tpwd (and in the total, beside the tap itself).
const ActionCopyTpwd = "copy_tpwd"

// beaconPath is the path a page posts to when the link's 淘口令 is copied.
func beaconPath(l *shortlink.Link) string {
	p := "/api/v1/beacon/" + l.Code + "?action=" + ActionCopyTpwd
	if l.Domain != "" {
		p += "&domain=" + l.Domain
	}
	return p
}

// handleBeacon records what a tap page reports: POST (or GET)
// /api/v1/beacon/{code}?action=copy_tpwd[&domain=…] answers 204 and
// enqueues one event with that action for the link, through the same
// recorder as taps. No API key: the page is public; an unknown code or
// action is a 404/400 and records nothing.
func (s *Server) handleBeacon(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, cacheNoStore)
	if c.Query("action") != ActionCopyTpwd {
		return errField("action", shortlink.ReasonChoice, "action: want copy_tpwd")
	}
	if s.deps.Links == nil {
		return &shortlink.Error{Code: shortlink.CodeNotFound, Message: "no such link"}
	}
	d, err := s.linkDomain(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	l, err := s.deps.Links.Get(ctx, d, strings.Clone(c.Params("code")))
	if err != nil && shortlink.ErrorCode(err) != shortlink.CodeGone {
		return err
	}
	if s.deps.Events != nil {
		cl := s.deps.Clients.Detect(c.Get(fiber.HeaderUserAgent))
		ev := &track.Event{
			Time:       s.now(),
			Code:       statsKey(l.Domain, l.Code),
			Domain:     l.Domain,
			Campaign:   l.Campaign,
			EntityKind: string(l.Entity.Kind),
			EntityID:   l.Entity.ID,
			App:        string(cl.App),
			OS:         string(cl.OS),
			Device:     string(cl.Device),
			Bot:        cl.Bot,
			Action:     ActionCopyTpwd,
			IP:         s.deps.IPPolicy.ApplyAddr(s.clientIP(c)),
		}
		s.deps.Events.Record(ev)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
