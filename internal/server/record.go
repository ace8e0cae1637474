package server

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	tapcore "github.com/hutong-dev/hutong/internal/tap"
)

// statsKey is the code a link's events and counters are kept under
// (tapcore.StatsKey).
func statsKey(domain, code string) string { return tapcore.StatsKey(domain, code) }

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
