// Package tap is the core of a tap on a hutong link, without HTTP: plain Go
// values in (a Request), plain Go values out (a Tap: the link, the client,
// the routing decision, the page to answer with and the click event). It
// links neither the HTTP stack nor a store driver (TestDependencies).
//
// # One tap, start to end
//
// GET /Xk3fQ9a from WeChat, on a warm link. Each step names where it is;
// none of them calls back into the step before.
//
//  1. Request in (internal/server). fast.go's Handler sees a GET of "/" +
//     a valid code (tapPath) and calls code.go's tapCode, which takes a Tap
//     from the pool (Core.Acquire), maps the Host header to the link-store
//     domains to look in (tapKeys: the domain pools; Req.Host is the pool
//     host, Req.Scheme the scheme the tap came in with) and copies what the
//     core reads of the request into Tap.Req (readTap: User-Agent, HEAD,
//     time, query, and for the event the Referer and the client address).
//     Nothing past this point sees a *fiber.Ctx.
//  2. The link (Core.Code, this package). Links.TapAt (shortlink.CachedStore)
//     answers from the in-process cache, counting the tap against a click
//     cap when the link has one; HEAD and bots use Links.Get and never
//     count. A link that cannot be used becomes Answer{Page: PageUnusable}
//     (404, 410 saying why, 503 when the store is down and the link is not
//     cached) and the tap ends there, with nothing recorded.
//  3. Who tapped (Core.serve → decide). The client is classified once per
//     User-Agent (clientinfo, cached); WeChat's share scene comes from the
//     query (clientinfo.SceneOf: from=singlemessage, groupmessage,
//     timeline, …).
//  4. What it points to (lookup). A stored entity that is an m.tb.cn short
//     link or a bare 淘口令 is deepened (resolver.Deepen, bounded by
//     Config.ExpandTimeout); a failure keeps the entity and sets
//     Tap.LookupErr, and the router then leads to the copy/guide page,
//     never a dead end.
//  5. The decision (decide). A warm short-link tap whose query forwards
//     nothing reuses the cached route.Decision for (table, link version,
//     app, OS, device, browser, bot) — the decision cache, deccache.go, with its doorkeeper —
//     else route.Table.Decide decides, with the link's overrides and the
//     forwarded query (Forward: utm_*, click IDs, the forward_params the
//     rules name).
//  6. The event (record, event.go). When recording is on and it is not a
//     HEAD, Tap.Event is filled in place (click.Event: code, entity, app,
//     OS, scene, action, pay channel, click IDs, anonymised address) and
//     Tap.Record set. The core never writes it anywhere itself.
//  7. The answer (answerFor). The decision's action becomes a Page:
//     PageRedirect (302 to Decision.Location), PageJSON (mini programs),
//     PageInterstitial, PageGuide, PagePreview (bots) or PageInfo. On a
//     domain-pool host (Config.Pools, Core.Code) the tap is counted for the
//     host, and one of hutong's own pages becomes a 302 to the pool's
//     landing host, where that hop is answered but not counted or recorded
//     again (Req.Counted).
//  8. Response out (internal/server). code.go's answer counts metrics,
//     hands Tap.Event to the recorder (internal/track: batched in memory,
//     one stream entry per batch) and calls tap.go's respond, which writes
//     the 302 or renders the page (render.go; pages cached per
//     Tap.CacheKey). tapCode's deferred Core.Release returns the Tap to
//     the pool: a warm tap allocates nothing for the link, the tap or its
//     event (BenchmarkCore, TestCoreAllocs).
//
// GET /r?u=<input> takes the same path with Core.Input in step 2 (the
// input parsed by resolver.Parse instead of a stored link), and
// GET /api/v1/resolve stops after step 5 (Core.Resolve: nothing counted or
// recorded).
package tap
