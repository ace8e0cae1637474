package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/maypok86/otter/v2"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// decisionCacheSize bounds the decision cache: about 0.5 KiB an entry.
const decisionCacheSize = 20000

// decisionKey is everything a short-link tap's decision depends on when the
// tap carries no query parameters that could be forwarded: the rules in
// force, the link's identity and revision (a re-created code has another
// CreatedAt, an edit another Version) and the parts of the client the router
// reads (class, pay channel and intent choice derive from these).
type decisionKey struct {
	table        *route.Table
	domain, code string
	created      int64
	version      int64
	app          clientinfo.App
	os           clientinfo.OS
	device       clientinfo.Device
	browser      string
	bot          bool
}

// pageCacheBytes bounds the rendered-page cache (interstitials of warm
// short-link taps, about 5 KB each).
const pageCacheBytes = 8 << 20

// pageKey names one rendered page: the decision's key plus the language.
type pageKey struct {
	decisionKey
	lang pages.Lang
}

// decisions caches routing decisions of warm short-link taps, so a repeated
// (link, client class) costs a map lookup instead of template expansion.
// Safe for concurrent use; Decision values are immutable.
type decisions struct {
	c *otter.Cache[decisionKey, route.Decision]
	// pages holds rendered interstitials for the same taps, so the
	// html/template work is done once per (link, client class, language).
	pages *otter.Cache[pageKey, []byte]
}

func newDecisions() *decisions {
	return &decisions{
		c: otter.Must(&otter.Options[decisionKey, route.Decision]{
			MaximumSize:     decisionCacheSize,
			InitialCapacity: 1024,
		}),
		pages: otter.Must(&otter.Options[pageKey, []byte]{
			MaximumWeight: pageCacheBytes,
			Weigher:       func(_ pageKey, b []byte) uint32 { return uint32(len(b)) + 128 },
		}),
	}
}

// cacheable reports whether a tap's decision may come from the cache: a
// short link with a stored entity that needs no lookup, and a query none of
// whose parameters reaches the destination (neither the rules'
// forward_params nor the link's forward_click_ids name it; WeChat's from
// and isappinstalled never do). Such a query does not change the decision.
func cacheable(c *fiber.Ctx, t *tap, table *route.Table) bool {
	if t.link == nil || t.entity.Kind == resolver.KindShort || t.entity.Kind == resolver.KindPassword {
		return false
	}
	ok := true
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		if ok && (table.ForwardsClickID(string(k)) || contains(t.link.ForwardClickIDs, string(k))) {
			ok = false
		}
	})
	return ok
}

func keyOf(table *route.Table, l *shortlink.Link, cl *clientinfo.Client) decisionKey {
	return decisionKey{
		table: table, domain: l.Domain, code: l.Code, created: l.CreatedAt.UnixNano(), version: l.Version,
		app: cl.App, os: cl.OS, device: cl.Device, browser: cl.Browser, bot: cl.Bot,
	}
}
