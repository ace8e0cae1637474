package tap

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hutong-dev/hutong/internal/click"
	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// Links is what a tap needs from the short-link layer
// (shortlink.CachedStore). Implementations are safe for concurrent use.
type Links interface {
	// TapAt returns the link for a human tap at now, counting it against a
	// click cap; CodeGone (with the link filled in) when it cannot be used.
	TapAt(ctx context.Context, domain, code string, now time.Time) (shortlink.Link, error)
	// Get returns the link without counting (HEAD, bots).
	Get(ctx context.Context, domain, code string) (shortlink.Link, error)
	// Peek reads the link from the store itself, for the current click
	// count of a capped link.
	Peek(ctx context.Context, domain, code string) (shortlink.Link, error)
}

// ClientDetector classifies a User-Agent (clientinfo.Detector, cached).
type ClientDetector interface {
	Detect(ua string) clientinfo.Client
}

// Rules holds the routing table in force (route.Holder).
type Rules interface {
	Load() *route.Table
}

// Pools is what a tap needs from the domain pools (domains.Registry).
// Implementations are safe for concurrent use and do not allocate.
type Pools interface {
	// Landing returns the landing host for hutong's own pages of a tap on
	// host ("" when its pool has none), and onLanding true when host is a
	// landing domain itself (the tap is the hop from an entry host).
	Landing(host string) (landing string, onLanding bool)
	// CountTap counts one human tap on host (taps in the last hour).
	CountTap(host string)
}

// Config are the collaborators of a Core. Rules and Clients are required.
type Config struct {
	Rules   Rules
	Clients ClientDetector
	// Links serves short-link taps. Nil: every code is not found.
	Links Links
	// Expander and Decoder look up short links and bare 淘口令
	// (resolver.Deepen). Optional: nil turns that lookup off.
	Expander resolver.Expander
	Decoder  resolver.PasswordDecoder
	// ExpandTimeout bounds one lookup. Optional. Default 1.5 s.
	ExpandTimeout time.Duration
	// Record makes taps carry their click event (Tap.Record). Optional.
	Record bool
	// AnonymizeIP turns the client's address into what an event keeps
	// (track.IPPolicy.ApplyAddr). Optional. Default: the address as is.
	AnonymizeIP func(netip.Addr) string
	// Pools counts taps by domain-pool host and sends hutong's own pages to
	// a pool's landing host (Request.Host). Optional.
	Pools Pools
}

// DefaultExpandTimeout is Config.ExpandTimeout's default.
const DefaultExpandTimeout = 1500 * time.Millisecond

// LinkTimeout bounds a cold link lookup; warm taps never wait.
const LinkTimeout = 500 * time.Millisecond

// Core answers taps: plain values in (Request), plain values out (Tap). It
// holds the decision cache. Safe for concurrent use; make one with New.
type Core struct {
	cfg       Config
	decisions *decisions
	pool      sync.Pool
}

// New returns a Core for cfg.
func New(cfg Config) *Core {
	if cfg.ExpandTimeout <= 0 {
		cfg.ExpandTimeout = DefaultExpandTimeout
	}
	c := &Core{cfg: cfg, decisions: newDecisions()}
	c.pool.New = func() any { return new(state) }
	return c
}

// DecisionsCached is how many decisions the cache holds (for tests).
func (c *Core) DecisionsCached() int { return c.decisions.c.EstimatedSize() }

// Request is one tap as plain values. Strings may alias the caller's
// request memory: the core copies whatever it keeps (events, caches).
type Request struct {
	// Code is the short code tapped (shortlink.IsCode) for Tap.Code.
	Code string
	// Domains are the link-store domains the code is looked up under, in
	// order (the first that has it wins): the request's host through the
	// extra domains or the domain pools. Empty: the default domain "".
	Domains []string
	// DomainBuf may back Domains (one domain), so that it costs nothing.
	DomainBuf [1]string
	// UA is the User-Agent; Referer the Referer header.
	UA, Referer string
	// IP is the client's address (after trusted proxies), for the event.
	IP netip.Addr
	// Query is the tap's query, decoded, in order; RawQuery the same
	// query encoded (route.Request.Query: the forward_params the rules pass
	// on to every destination are taken from it).
	Query    []Param
	RawQuery string
	// Head is true for a HEAD request: nothing is counted or recorded.
	Head bool
	// Counted is true for a tap counted already: the hop of a tap on an
	// entry host to its pool's landing host (domain pools), answered as
	// usual but, like HEAD, neither counted against a click cap nor
	// recorded. Code sets it for a tap on a landing host (Config.Pools).
	Counted bool
	// Host is the domain-pool host the tap came in on ("" when pools are
	// off or the host is none of theirs), and Scheme the scheme it came in
	// with: with Config.Pools, Code counts the tap for Host and sends a
	// tap that gets one of hutong's own pages to Scheme://<landing host>.
	Host, Scheme string
	// Now is the time of the tap.
	Now time.Time
}

// Param returns the value of the first query parameter named key, or "".
func (r *Request) Param(key string) string {
	for i := range r.Query {
		if r.Query[i].Key == key {
			return r.Query[i].Value
		}
	}
	return ""
}

// Page is what a tap is answered with.
type Page uint8

const (
	// PageRedirect: 302 to Decision.Location.
	PageRedirect Page = iota
	// PageJSON: the decision as JSON (mini programs).
	PageJSON
	// PageInterstitial: try the app, fall back to the web page.
	PageInterstitial
	// PageGuide: the "open in browser" / copy-the-token guide.
	PageGuide
	// PagePreview: the share-card preview for bots.
	PagePreview
	// PageInfo: the decision's info page (kind Info, Status 200), with the
	// text to copy, Copy.
	PageInfo
	// PageUnusable: the link cannot be used (not found, gone, or the store
	// is down and the link is not cached): the info page of kind Info with
	// Status (0: the kind's own). Nothing was decided or recorded.
	PageUnusable
)

// Answer is how to answer a tap: which page, with what status.
type Answer struct {
	Page   Page
	Status int
	Info   pages.InfoKind
	Copy   string
}

// Tap is one tap being answered: what was tapped, by whom, the decision,
// the answer and the click event. Get one with Core.Acquire, fill Req, pass
// it to Core.Code, Core.Input or Core.Resolve, and Release it when the
// answer is written; nothing may keep a pointer into it after that.
type Tap struct {
	// Req is the request, filled by the caller.
	Req Request

	// Link is the short link tapped; nil for an input (/r).
	Link *shortlink.Link
	// Input is the raw input (link target or u=), for copy buttons.
	Input string
	// Code is the short code, or "r:<hash>" for an input.
	Code     string
	Entity   resolver.Entity
	Client   clientinfo.Client
	Decision route.Decision
	// Answer says what to write.
	Answer Answer
	// Err is set when the link store failed (Answer: 503): the caller
	// logs it.
	Err error
	// LookupErr is set when a short link could not be expanded or a
	// 淘口令 not decoded (resolver.Deepen); the entity is what the text says.
	LookupErr error
	// Expansion is +1 when a short link was expanded, -1 when that failed
	// (metrics), 0 when none was tried.
	Expansion int8
	// Record is true when Event is to be recorded (Config.Record, not HEAD).
	Record bool
	// Event is the tap's click event (VisitID left to the recorder).
	Event click.Event

	key   decisionKey
	keyed bool
	st    *state
}

// state is the per-request memory of a tap, pooled: a warm tap allocates
// none of the deadline, the link, the tap or its event.
type state struct {
	ctx  lazyDeadline
	link shortlink.Link
	t    Tap
}

// Acquire returns an empty Tap from the pool.
func (c *Core) Acquire() *Tap {
	st := c.pool.Get().(*state)
	st.t.st = st
	return &st.t
}

// Release stops the lookup deadline's timer (if one started), clears
// every pointer the tap held and returns it to the pool. Req.Query keeps
// its capacity.
func (c *Core) Release(t *Tap) {
	st := t.st
	st.ctx.stop()
	q := t.Req.Query[:0]
	clear(q[:cap(q)])
	*st = state{}
	st.t.Req.Query = q
	c.pool.Put(st)
}

// CacheKey is the key of the tap's cached decision, and whether it has one
// (a warm short-link tap whose decision is cached, or was admitted on
// this miss): a renderer may cache the tap's page under it.
func (t *Tap) CacheKey() (DecisionKey, bool) { return t.key, t.keyed }

// Code answers a tap on the short link t.Req.Code under t.Req.Domains: its
// stored entity, routed for this client. HEAD and bots never count against
// a click cap. On a domain-pool host (Req.Host) the tap is counted for the
// host, and one that gets hutong's own page (interstitial, guide, preview)
// is sent to the pool's landing host instead, where that hop is neither
// counted nor recorded again; WeChat's direct 302 stays on the entry host.
func (c *Core) Code(t *Tap) {
	r := &t.Req
	if r.Host == "" || c.cfg.Pools == nil {
		c.code(t)
		return
	}
	landing, onLanding := c.cfg.Pools.Landing(r.Host)
	r.Counted = r.Counted || onLanding
	c.code(t)
	if !r.Head && !r.Counted && !t.Client.Bot {
		c.cfg.Pools.CountTap(r.Host)
	}
	// A link pinned to this host (its own domain) is not on the landing host.
	if landing != "" && t.Link != nil && t.Link.Domain == "" && ownPage(t.Answer.Page) {
		u := r.Scheme + "://" + landing + "/" + r.Code
		if r.RawQuery != "" {
			u += "?" + r.RawQuery
		}
		t.Answer = Answer{Page: PageRedirect, Status: 302}
		t.Decision.Location = u
	}
}

// ownPage reports whether p is one of hutong's own pages, served on a
// pool's landing host.
func ownPage(p Page) bool {
	return p == PageInterstitial || p == PageGuide || p == PagePreview
}

// code is Code without the domain pools.
func (c *Core) code(t *Tap) {
	r := &t.Req
	if c.cfg.Links == nil {
		t.Answer = Answer{Page: PageUnusable, Info: pages.InfoNotFound}
		return
	}
	t.Client = c.cfg.Clients.Detect(r.UA)
	domains := r.Domains
	if len(domains) == 0 {
		domains = defaultDomain[:]
	}
	// A warm tap never waits, so the deadline's timer only starts if a
	// lookup actually selects on Done (a cold load, a capped link's Hit).
	st := t.st
	st.ctx.d = r.Now.Add(LinkTimeout)
	var err error
	l := &st.link
	for _, domain := range domains { // the first key that has the code
		if r.Head || r.Counted || t.Client.Bot {
			*l, err = c.cfg.Links.Get(&st.ctx, domain, r.Code)
			if err == nil && l.MaxClicks > 0 {
				*l, err = c.cfg.Links.Peek(&st.ctx, domain, r.Code)
			}
			if err == nil {
				err = l.Check(r.Now)
			}
		} else {
			*l, err = c.cfg.Links.TapAt(&st.ctx, domain, r.Code, r.Now)
		}
		if shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			break
		}
	}
	if err != nil {
		t.Answer = linkError(*l, err, r.Now)
		if t.Answer.Status == 503 {
			t.Err = err
		}
		return
	}
	t.Link, t.Input, t.Entity, t.Code = l, l.Target, l.Entity, l.Code
	c.serve(t)
}

var defaultDomain = [1]string{""}

// linkError answers a link that cannot be used: 404, 410 saying what
// happened, or 503 when the store is down and the link is not cached.
func linkError(l shortlink.Link, err error, now time.Time) Answer {
	switch shortlink.ErrorCode(err) {
	case shortlink.CodeNotFound, shortlink.CodeInvalid:
		return Answer{Page: PageUnusable, Info: pages.InfoNotFound}
	case shortlink.CodeGone:
		k := pages.InfoDisabled
		switch l.StatusAt(now) {
		case shortlink.StatusExpired:
			k = pages.InfoExpired
		case shortlink.StatusExhausted:
			k = pages.InfoClickLimit
		}
		return Answer{Page: PageUnusable, Info: k}
	}
	return Answer{Page: PageUnusable, Status: 503, Info: pages.InfoInternal}
}

// Input answers a tap on an input (GET /r?u=): in (owned by the caller,
// kept in the tap) parsed as e, which the caller has checked is something
// hutong routes (resolver.Entity.Known, a short link or a 淘口令).
func (c *Core) Input(t *Tap, in string, e resolver.Entity) {
	t.Input, t.Entity, t.Code = in, e, InputCode(in)
	t.Client = c.cfg.Clients.Detect(t.Req.UA)
	c.serve(t)
}

// Resolve is what a tap on in (owned) would get, without the tap: no
// event, no click counted, no 淘口令 guide of a link (GET /api/v1/resolve).
// The client keeps its User-Agent (copied).
func (c *Core) Resolve(t *Tap, in string) {
	t.Input, t.Entity, t.Code = in, resolver.Parse(in), InputCode(in)
	t.Client = c.cfg.Clients.Detect(t.Req.UA)
	t.Client.UA = strings.Clone(t.Req.UA)
	c.decide(t)
	t.Answer = Answer{Page: PageJSON}
}

// serve routes a tap whose client is classified, builds its event and
// chooses the answer.
func (c *Core) serve(t *Tap) {
	c.decide(t)
	if t.tpwdGuide() {
		t.Decision.Action = route.ActionGuide // WeChat, when the link opted in: lead with its 淘口令
	}
	if c.cfg.Record && !t.Req.Head && !t.Req.Counted {
		c.record(t)
	}
	t.Answer = answerFor(t)
}

// answerFor is the page for t's decision.
func answerFor(t *Tap) Answer {
	switch t.Decision.Action {
	case route.ActionRedirect:
		return Answer{Page: PageRedirect, Status: 302}
	case route.ActionJSON:
		return Answer{Page: PageJSON, Status: 200}
	case route.ActionInterstitial:
		return Answer{Page: PageInterstitial, Status: 200}
	case route.ActionGuide:
		return Answer{Page: PageGuide, Status: 200}
	case route.ActionPreview:
		return Answer{Page: PagePreview, Status: 200}
	}
	return Answer{Page: PageInfo, Status: 200, Info: pages.InfoUnsupported, Copy: t.CopyText()}
}

// decide fills t.Decision for t.Client: it reads WeChat's share scene, looks
// up a short link or 淘口令 that needs it, and routes, reusing a cached
// decision for a warm short-link tap whose query forwards nothing.
func (c *Core) decide(t *Tap) {
	r := &t.Req
	t.Client.Scene, t.Client.AppInstalled = clientinfo.SceneOf(r.Param(clientinfo.ParamFrom), r.Param(clientinfo.ParamIsAppInstalled), t.Client.App)
	c.lookup(t)

	table := c.cfg.Rules.Load()
	if cacheable(t, table) {
		t.key = keyOf(table, t.Link, &t.Client)
		if d, ok := c.decisions.c.GetIfPresent(t.key); ok {
			t.Decision, t.keyed = d, true
			return
		}
		t.Decision = table.Decide(route.Request{Entity: t.Entity, Client: t.Client, Overrides: t.Link.Route, Forward: Forward(t.Link, r.Query)})
		// A key's first miss is not cached (nor is its page): see doorkeeper.
		if c.decisions.door.admit(&t.key) {
			c.decisions.c.Set(t.key, t.Decision)
			t.keyed = true
		}
		return
	}
	req := route.Request{Entity: t.Entity, Client: t.Client, Forward: Forward(t.Link, r.Query), Query: r.RawQuery}
	if t.Link != nil {
		req.Overrides = t.Link.Route
	}
	t.Decision = table.Decide(req)
}

// lookup replaces a short link or a bare 淘口令 by what it points to
// (resolver.Deepen), within the configured timeout. On failure the entity
// stays as it is and the router sends the person to the guide/info page
// with the link or token to copy; t.LookupErr says why.
func (c *Core) lookup(t *Tap) {
	if !resolver.CanDeepen(t.Entity, c.cfg.Expander, c.cfg.Decoder) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ExpandTimeout)
	defer cancel()
	e, _, err := resolver.Deepen(ctx, t.Entity, c.cfg.Expander, c.cfg.Decoder)
	if t.Entity.Kind == resolver.KindShort {
		t.Expansion = 1
		if err != nil && !errors.Is(err, resolver.ErrLedToUnknown) {
			t.Expansion = -1
		}
	}
	if err != nil {
		t.LookupErr = err
		return
	}
	t.Entity = e
}

// CopyText is what a person should copy when no direct path exists: the
// share text's token when there is one, else the link as given.
func (t *Tap) CopyText() string {
	if t.Entity.Tpwd != "" {
		return t.Entity.Tpwd
	}
	if t.Entity.URL != "" {
		return t.Entity.URL
	}
	return t.Input
}

// WantsModelTpwd reports whether the tapper gets the iOS 14+ form of a
// link's 淘口令: iOS 14 or later, or iOS of unknown version (iOS 14 is from
// 2020).
func WantsModelTpwd(cl *clientinfo.Client) bool {
	if cl.OS != clientinfo.OSiOS {
		return false
	}
	v := cl.OSVersion
	if i := strings.IndexByte(v, '.'); i >= 0 {
		v = v[:i]
	}
	n, err := strconv.Atoi(v)
	return err != nil || n >= 14
}

// LinkTpwd is the link's 淘口令 in the form for this tapper, or "".
func (t *Tap) LinkTpwd() string {
	if t.Link == nil || t.Link.Tpwd == nil {
		return ""
	}
	return t.Link.Tpwd.For(WantsModelTpwd(&t.Client))
}

// tpwdGuide reports whether a WeChat or WeCom tap gets the guide page
// that leads with the link's 淘口令 (and a button to the web page) instead
// of the routing table's answer (by default the 302 to the H5 page, as
// ROUTING.md's table says): only on a link that opted in with
// route.wechat_tpwd_guide and holds a 淘口令 (route.TpwdGuide). WeChat
// cannot open the Taobao app, a copied token can, at the cost of one step.
func (t *Tap) tpwdGuide() bool {
	return t.Link != nil && route.TpwdGuide(&t.Link.Route, t.Link.Tpwd != nil, &t.Client, &t.Decision)
}
