package tap_test

import (
	"testing"

	"github.com/hutong-dev/hutong/internal/tap"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// BenchmarkCore is the tap core alone (no HTTP): a warm short-link tap
// from WeChat (decision cached), the same with WeChat's share parameters
// and a click ID, one from Safari (interstitial decision) and an input
// tap (/r, decided every time). Allocation budgets: TestCoreAllocs.
func BenchmarkCore(b *testing.B) {
	e := newEnv(b, nil)
	l := e.link(b, shortlink.Link{})
	cases := []struct {
		name string
		r    tap.Request
		in   string
	}{
		{name: "code", r: req(wechatUA, "")},
		{name: "code_wechat_params", r: req(wechatUA, "from=singlemessage&isappinstalled=0&gdt_vid=wx0abcdefghijk")},
		{name: "code_safari", r: req(safariUA, "")},
		{name: "input", r: req(wechatUA, ""), in: item},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e.tap(c.r, l.Code, c.in) // warm: link cache, decision doorkeeper
			e.tap(c.r, l.Code, c.in)
			b.ReportAllocs()
			for b.Loop() {
				e.tap(c.r, l.Code, c.in)
			}
		})
	}
}

// tap runs one tap through the core as the server does.
func (e *env) tap(r tap.Request, code, in string) *tap.Tap {
	t := e.core.Acquire()
	q := t.Req.Query
	t.Req = r
	t.Req.Query = append(q, r.Query...)
	if in != "" {
		e.core.Input(t, in, resolver.Parse(in))
	} else {
		t.Req.Code = code
		e.core.Code(t)
	}
	e.core.Release(t)
	return t
}

// TestCoreAllocs holds the core's allocation budget: a warm short-link tap
// allocates only the event's IP string (here formatted by the core; the
// server's IP policy does the same); WeChat's parameters with one click ID
// add the event's click-ID map and its copies and the app-installed flag.
func TestCoreAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	e := newEnv(t, nil)
	l := e.link(t, shortlink.Link{})
	for _, c := range []struct {
		name  string
		r     tap.Request
		allow float64
	}{
		{"code", req(wechatUA, ""), 1},
		{"code_wechat_params", req(wechatUA, "from=singlemessage&isappinstalled=0&gdt_vid=wx0abcdefghijk"), 6},
	} {
		e.tap(c.r, l.Code, "")
		e.tap(c.r, l.Code, "")
		n := testing.AllocsPerRun(200, func() { e.tap(c.r, l.Code, "") })
		t.Logf("%s: %.1f allocs per tap", c.name, n)
		if n > c.allow {
			t.Errorf("%s: %.1f allocs per tap; want at most %.0f", c.name, n, c.allow)
		}
	}
}
