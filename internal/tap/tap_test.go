package tap_test

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/internal/tap"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
)

const (
	wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN"
	safariUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	botUA    = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
	item     = "https://item.taobao.com/item.htm?id=541989840451"
	h5       = "https://main.m.taobao.com/security-h5-detail/home?id=541989840451"
)

// env is a tap core over a real embedded link store (bbolt behind the hot
// cache), the real client detector and the default routing table.
type env struct {
	core  *tap.Core
	svc   *shortlink.Service
	links *shortlink.CachedStore
	now   time.Time
}

func newEnv(t testing.TB, tweak func(*tap.Config)) *env {
	t.Helper()
	bs, err := boltstore.Open(filepath.Join(t.TempDir(), "links.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	links, err := shortlink.NewCachedStore(bs, shortlink.CacheConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { links.Close() })
	table, err := route.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tap.Config{
		Rules: route.NewHolder(table), Clients: clientinfo.NewDetector(clientinfo.Config{}),
		Links: links, Record: true,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	return &env{core: tap.New(cfg), svc: shortlink.NewService(links, shortlink.ServiceConfig{}), links: links, now: time.Now()}
}

func (e *env) link(t testing.TB, l shortlink.Link) shortlink.Link {
	t.Helper()
	if l.Target == "" {
		l.Target = item
	}
	l.Entity = resolver.Parse(l.Target)
	l, err := e.svc.Create(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// req is a Request from a query string, as the server decodes it.
func req(ua, query string) tap.Request {
	r := tap.Request{UA: ua, RawQuery: query, IP: netip.MustParseAddr("203.0.113.7"), Now: time.Now()}
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		r.Query = append(r.Query, tap.Param{Key: k, Value: v})
	}
	return r
}

type want struct {
	page     tap.Page
	status   int
	info     pages.InfoKind
	location string // prefix
	action   route.Action
	record   bool
	clickIDs map[string]string
	scene    clientinfo.Scene
}

func check(t *testing.T, got *tap.Tap, w want) {
	t.Helper()
	if got.Answer.Page != w.page || got.Answer.Status != w.status || got.Answer.Info != w.info {
		t.Errorf("answer: got %+v; want page %d status %d info %v", got.Answer, w.page, w.status, w.info)
	}
	if !strings.HasPrefix(got.Decision.Location, w.location) || (w.location == "") != (got.Decision.Location == "") && w.page == tap.PageRedirect {
		t.Errorf("location: got %q; want prefix %q", got.Decision.Location, w.location)
	}
	if w.action != "" && got.Decision.Action != w.action {
		t.Errorf("action: got %s; want %s", got.Decision.Action, w.action)
	}
	if got.Record != w.record {
		t.Errorf("record: got %v; want %v", got.Record, w.record)
	}
	if w.record && (got.Event.Action != string(got.Decision.Action) || got.Event.IP != "203.0.113.7" || got.Event.EntityID != "541989840451") {
		t.Errorf("event: got %+v", got.Event)
	}
	if len(got.Event.ClickIDs) != len(w.clickIDs) {
		t.Errorf("click ids: got %v; want %v", got.Event.ClickIDs, w.clickIDs)
	}
	for k, v := range w.clickIDs {
		if got.Event.ClickIDs[k] != v {
			t.Errorf("click id %s: got %q; want %q", k, got.Event.ClickIDs[k], v)
		}
	}
	if got.Client.Scene != w.scene {
		t.Errorf("scene: got %q; want %q", got.Client.Scene, w.scene)
	}
}

// TestCode is the table of short-link taps through the core, no server.
func TestCode(t *testing.T) {
	e := newEnv(t, nil)
	plain := e.link(t, shortlink.Link{})
	past := time.Now().Add(-time.Hour)
	expired := e.link(t, shortlink.Link{})
	expired.ExpiresAt = &past
	if _, err := e.svc.Update(context.Background(), expired); err != nil {
		t.Fatal(err)
	}
	disabled := e.link(t, shortlink.Link{Disabled: true})
	fwd := e.link(t, shortlink.Link{ForwardClickIDs: []string{"gdt_vid"}, UTM: map[string]string{"utm_source": "wx"}})

	tests := []struct {
		name  string
		code  string
		req   tap.Request
		check func(*testing.T, *tap.Tap)
		want  want
	}{
		{name: "wechat redirects to the H5 page", code: plain.Code, req: req(wechatUA, ""),
			want: want{page: tap.PageRedirect, status: 302, location: h5, action: route.ActionRedirect, record: true}},
		{name: "share scene and click ids", code: plain.Code, req: req(wechatUA, "from=singlemessage&isappinstalled=0&gdt_vid=wx0abc&spm=x"),
			want: want{page: tap.PageRedirect, status: 302, location: h5, record: true, clickIDs: map[string]string{"gdt_vid": "wx0abc"}, scene: clientinfo.SceneChat}},
		{name: "forwarded click id and utm reach the destination", code: fwd.Code, req: req(wechatUA, "gdt_vid=wx0abc"),
			check: func(t *testing.T, got *tap.Tap) {
				if !strings.Contains(got.Decision.Location, "utm_source=wx") || !strings.Contains(got.Decision.Location, "gdt_vid=wx0abc") {
					t.Errorf("location %q lacks utm_source and gdt_vid", got.Decision.Location)
				}
				if _, keyed := got.CacheKey(); keyed {
					t.Error("a tap whose query is forwarded has a cached decision")
				}
			},
			want: want{page: tap.PageRedirect, status: 302, location: h5, record: true, clickIDs: map[string]string{"gdt_vid": "wx0abc"}}},
		{name: "safari gets the interstitial", code: plain.Code, req: req(safariUA, ""),
			want: want{page: tap.PageInterstitial, status: 200, action: route.ActionInterstitial, location: "https://", record: true}},
		{name: "a bot gets the preview", code: plain.Code, req: req(botUA, ""),
			want: want{page: tap.PagePreview, status: 200, action: route.ActionPreview, record: true}},
		{name: "HEAD records nothing", code: plain.Code, req: func() tap.Request { r := req(wechatUA, "gdt_vid=1"); r.Head = true; return r }(),
			want: want{page: tap.PageRedirect, status: 302, location: h5}},
		{name: "unknown code", code: "nope123", req: req(wechatUA, ""),
			want: want{page: tap.PageUnusable, info: pages.InfoNotFound}},
		{name: "unknown domain", code: plain.Code, req: func() tap.Request { r := req(wechatUA, ""); r.Domains = []string{"other.test"}; return r }(),
			want: want{page: tap.PageUnusable, info: pages.InfoNotFound}},
		{name: "expired link", code: expired.Code, req: req(wechatUA, ""),
			want: want{page: tap.PageUnusable, info: pages.InfoExpired}},
		{name: "disabled link", code: disabled.Code, req: req(wechatUA, ""),
			want: want{page: tap.PageUnusable, info: pages.InfoDisabled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.core.Acquire()
			defer e.core.Release(got)
			got.Req = tt.req
			got.Req.Code = tt.code
			e.core.Code(got)
			check(t, got, tt.want)
			if tt.check != nil {
				tt.check(t, got)
			}
			if tt.want.record && (got.Event.Code != tt.code || got.Link == nil || got.Link.Code != tt.code) {
				t.Errorf("event code %q, link %v; want %s", got.Event.Code, got.Link, tt.code)
			}
		})
	}
}

// TestDecisionCache: a warm link's decision is cached from its second tap
// on (the doorkeeper), and a cached decision is the decision.
func TestDecisionCache(t *testing.T) {
	e := newEnv(t, nil)
	l := e.link(t, shortlink.Link{})
	var first string
	for i, wantKeyed := range []bool{false, true, true} {
		got := e.core.Acquire()
		got.Req = req(wechatUA, "from=timeline")
		got.Req.Code = l.Code
		e.core.Code(got)
		if _, keyed := got.CacheKey(); keyed != wantKeyed {
			t.Errorf("tap %d: keyed %v; want %v", i+1, keyed, wantKeyed)
		}
		if i == 0 {
			first = got.Decision.Location
		} else if got.Decision.Location != first {
			t.Errorf("tap %d: location %q; want %q", i+1, got.Decision.Location, first)
		}
		e.core.Release(got)
	}
	if n := e.core.DecisionsCached(); n != 1 {
		t.Errorf("cached decisions: %d; want 1", n)
	}
}

type failingExpander struct{}

func (failingExpander) Expand(context.Context, string) (string, error) {
	return "", errors.New("upstream down")
}

// TestInputAndResolve: /r and /api/v1/resolve through the core.
func TestInputAndResolve(t *testing.T) {
	e := newEnv(t, func(c *tap.Config) { c.Expander = failingExpander{} })

	got := e.core.Acquire()
	got.Req = req(wechatUA, "u=x&click_id=c1")
	e.core.Input(got, item, resolver.Parse(item))
	check(t, got, want{page: tap.PageRedirect, status: 302, location: h5, record: true, clickIDs: map[string]string{"click_id": "c1"}})
	if got.Link != nil || got.Event.Code != tap.InputCode(item) || !strings.HasPrefix(got.Event.Code, "r:") {
		t.Errorf("input tap: link %v, event code %q", got.Link, got.Event.Code)
	}
	e.core.Release(got)

	// A short link that cannot be expanded: the guide, with why.
	share := "【淘宝】https://m.tb.cn/h.5zxz3j69cN5go4k?tk=XUymWKIqxIz 「x」"
	got = e.core.Acquire()
	got.Req = req(wechatUA, "")
	e.core.Input(got, share, resolver.Parse(share))
	if got.LookupErr == nil || got.Expansion != -1 || got.Entity.Kind != resolver.KindShort || got.Answer.Page != tap.PageGuide {
		t.Errorf("failed expansion: lookup err %v, expansion %d, entity %s, page %d; want an error, -1, short, the guide",
			got.LookupErr, got.Expansion, got.Entity.Kind, got.Answer.Page)
	}
	if got.CopyText() != "XUymWKIqxIz" {
		t.Errorf("copy: got %q; want the token", got.CopyText())
	}
	e.core.Release(got)

	got = e.core.Acquire()
	got.Req = req(safariUA, "")
	e.core.Resolve(got, item)
	if got.Answer.Page != tap.PageJSON || got.Record || got.Client.UA != safariUA || got.Decision.Action != route.ActionInterstitial {
		t.Errorf("resolve: page %d, record %v, UA %q, action %s", got.Answer.Page, got.Record, got.Client.UA, got.Decision.Action)
	}
	e.core.Release(got)
}

// TestReleaseClears: a released tap keeps nothing of the last request but
// its query's capacity.
func TestReleaseClears(t *testing.T) {
	e := newEnv(t, nil)
	l := e.link(t, shortlink.Link{})
	got := e.core.Acquire()
	got.Req = req(wechatUA, "gdt_vid=1&b=2")
	got.Req.Code = l.Code
	e.core.Code(got)
	q := got.Req.Query[:cap(got.Req.Query)]
	e.core.Release(got)
	for i, p := range q {
		if p != (tap.Param{}) {
			t.Errorf("query[%d] kept %+v after Release", i, p)
		}
	}
}

// TestCodePools: on a domain-pool host the core counts a human tap for the
// host; a tap that gets hutong's own page goes to the pool's landing host
// (same code and query, the scheme it came in with), where the hop is
// answered but neither counted nor recorded; WeChat's 302 stays on the
// entry host, as does a link pinned to the entry host. With a real
// domains.Registry.
func TestCodePools(t *testing.T) {
	reg := &domains.Registry{}
	reg.Set([]domains.Domain{
		{Host: "s1.test", Pool: domains.DefaultPool, Role: domains.Entry, Status: domains.Active},
		{Host: "l1.test", Pool: domains.DefaultPool, Role: domains.Landing, Status: domains.Active},
	})
	e := newEnv(t, func(c *tap.Config) { c.Pools = reg })
	plain := e.link(t, shortlink.Link{})
	pinned := e.link(t, shortlink.Link{Domain: "s1.test"})
	tapOn := func(host, code, ua, query string) *tap.Tap {
		got := e.core.Acquire()
		got.Req = req(ua, query)
		got.Req.Code, got.Req.Host, got.Req.Scheme = code, host, "https"
		if code == pinned.Code {
			got.Req.Domains = []string{"s1.test"}
		}
		e.core.Code(got)
		return got
	}
	got := tapOn("s1.test", plain.Code, safariUA, "gdt_vid=wx0abc")
	check(t, got, want{page: tap.PageRedirect, status: 302, location: "https://l1.test/" + plain.Code + "?gdt_vid=wx0abc",
		action: route.ActionInterstitial, record: true, clickIDs: map[string]string{"gdt_vid": "wx0abc"}})
	e.core.Release(got)
	got = tapOn("l1.test", plain.Code, safariUA, "gdt_vid=wx0abc") // the hop
	check(t, got, want{page: tap.PageInterstitial, status: 200, action: route.ActionInterstitial, location: "https://"})
	if !got.Req.Counted {
		t.Error("the hop on the landing host is not marked counted")
	}
	e.core.Release(got)
	got = tapOn("s1.test", plain.Code, wechatUA, "")
	check(t, got, want{page: tap.PageRedirect, status: 302, location: h5, action: route.ActionRedirect, record: true})
	e.core.Release(got)
	got = tapOn("s1.test", pinned.Code, safariUA, "")
	check(t, got, want{page: tap.PageInterstitial, status: 200, action: route.ActionInterstitial, location: "https://", record: true})
	e.core.Release(got)
	got = tapOn("s1.test", plain.Code, botUA, "")
	if got.Answer.Page != tap.PageRedirect || !strings.HasPrefix(got.Decision.Location, "https://l1.test/") {
		t.Errorf("bot on the entry host: %+v %q; want the landing host's preview", got.Answer, got.Decision.Location)
	}
	e.core.Release(got)
	// Counted: the three human taps on s1.test, not the hop, not the bot.
	if taps := reg.TakeTaps(); taps["s1.test"] != 3 || taps["l1.test"] != 0 {
		t.Errorf("taps by host %v; want s1.test 3, l1.test none", taps)
	}
	// Landing blocked: the entry host serves its pages itself.
	reg.Set([]domains.Domain{
		{Host: "s1.test", Pool: domains.DefaultPool, Role: domains.Entry, Status: domains.Active},
		{Host: "l1.test", Pool: domains.DefaultPool, Role: domains.Landing, Status: domains.Blocked},
	})
	got = tapOn("s1.test", plain.Code, safariUA, "")
	check(t, got, want{page: tap.PageInterstitial, status: 200, action: route.ActionInterstitial, location: "https://", record: true})
	e.core.Release(got)
}
