package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/valyala/fasthttp"

	"github.com/hutong-dev/hutong/internal/server"
	"github.com/hutong-dev/hutong/shortlink"
)

const benchBotUA = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"

// serveOnce answers req with h on a fresh RequestCtx and returns the
// response with its request id blanked out of headers and body (ids differ
// from request to request, nothing else may).
func serveOnce(h fasthttp.RequestHandler, req *fasthttp.Request) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Init(req, benchAddr, nil)
	h(&ctx)
	resp := new(fasthttp.Response)
	ctx.Response.CopyTo(resp)
	if id := resp.Header.Peek("X-Request-Id"); len(id) > 0 {
		resp.SetBody(bytes.ReplaceAll(resp.Body(), id, []byte("RID")))
		resp.Header.Set("X-Request-Id", "RID")
	}
	return resp
}

// TestFastPathMatchesFiber: Serve's handler (a fast path for GET/HEAD
// /{code} in front of Fiber) answers every request byte for byte as
// Fiber's router alone does: taps from each kind of client, HEAD, WeChat's
// query, unknown and invalid codes, reserved words, a trailing slash,
// other methods and routes.
func TestFastPathMatchesFiber(t *testing.T) {
	srv, code, _ := newTestServer(t, nil)
	fast, routed := srv.Handler(), srv.App().Handler()
	for _, tc := range []struct {
		name, method, uri, ua string
		fast                  bool // the fast path takes it
	}{
		{"wechat 302", "GET", "/" + code, benchWeChatUA, true},
		{"interstitial", "GET", "/" + code, benchSafariUA, true},
		{"bot preview", "GET", "/" + code, benchBotUA, true},
		{"HEAD", "HEAD", "/" + code, benchWeChatUA, true},
		{"wechat query", "GET", "/" + code + "?from=singlemessage&isappinstalled=0&gdt_vid=wx0abc", benchWeChatUA, true},
		{"unknown code", "GET", "/Zz9Zz9Z", benchWeChatUA, true},
		{"invalid code", "GET", "/a.b", benchWeChatUA, false},
		{"escaped", "GET", "/%41" + code[1:], benchWeChatUA, false},
		{"trailing slash", "GET", "/" + code + "/", benchWeChatUA, false},
		{"reserved", "GET", "/healthz", benchWeChatUA, false},
		{"reserved, other case", "GET", "/HEALTHZ", benchWeChatUA, false},
		{"api", "GET", "/api", benchWeChatUA, false},
		{"r", "GET", "/r?u=" + benchItem, benchWeChatUA, false},
		{"POST", "POST", "/" + code, benchWeChatUA, false},
		{"root", "GET", "/", benchWeChatUA, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newReq(tc.uri, tc.ua)
			req.Header.SetMethod(tc.method)
			var probe fasthttp.RequestCtx
			probe.Init(req, benchAddr, nil)
			if _, fast := server.TapPath(&probe); fast != tc.fast {
				t.Fatalf("fast path takes it: %v; want %v", fast, tc.fast)
			}
			want := serveOnce(routed, req)
			got := serveOnce(fast, req)
			if got.StatusCode() != want.StatusCode() {
				t.Fatalf("status %d; Fiber answers %d", got.StatusCode(), want.StatusCode())
			}
			if g, w := got.Header.String(), want.Header.String(); g != w {
				t.Errorf("headers:\n%s\nFiber's:\n%s", g, w)
			}
			if !bytes.Equal(got.Body(), want.Body()) {
				t.Errorf("body differs from Fiber's (%d vs %d bytes)", len(got.Body()), len(want.Body()))
			}
		})
	}
}

// TestFastPathMetrics: taps served by the fast path are counted under the
// route pattern /:code, as Fiber's middleware counts the rest.
func TestFastPathMetrics(t *testing.T) {
	srv, code, reg := newTestServer(t, nil)
	h := srv.Handler()
	for range 3 {
		serveOnce(h, newReq("/"+code, benchWeChatUA))
	}
	serveOnce(h, newReq("/Zz9Zz9Z", benchWeChatUA))
	if got := requestCount(t, reg, "/:code", "302"); got != 3 {
		t.Errorf(`requests{route="/:code",status="302"} = %v; want 3`, got)
	}
	if got := requestCount(t, reg, "/:code", "404"); got != 1 {
		t.Errorf(`requests{route="/:code",status="404"} = %v; want 1`, got)
	}
}

func requestCount(t *testing.T, reg *prometheus.Registry, route, status string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "hutong_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "route") == route && label(m, "status") == status && label(m, "method") == "GET" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// panicLinks panics on every lookup.
type panicLinks struct{ server.Links }

func (panicLinks) TapAt(context.Context, string, string, time.Time) (shortlink.Link, error) {
	panic("store exploded")
}

// errorPanicLinks panics with an error that carries a status.
type errorPanicLinks struct{ server.Links }

func (errorPanicLinks) TapAt(context.Context, string, string, time.Time) (shortlink.Link, error) {
	panic(fiber.ErrServiceUnavailable)
}

// TestFastPathRecoversErrorValue: a panic with an error keeps it, as
// Fiber's recover middleware does (a *fiber.Error's status included).
func TestFastPathRecoversErrorValue(t *testing.T) {
	srv, code, _ := newTestServer(t, func(l server.Links) server.Links { return errorPanicLinks{l} })
	req := newReq("/"+code, benchWeChatUA)
	got, want := serveOnce(srv.Handler(), req), serveOnce(srv.App().Handler(), req)
	if got.StatusCode() != fiber.StatusServiceUnavailable || want.StatusCode() != got.StatusCode() {
		t.Fatalf("after panic(fiber.ErrServiceUnavailable): status %d (Fiber: %d); want 503", got.StatusCode(), want.StatusCode())
	}
}

// TestFastPathRecovers: a panic on the fast path becomes the same 500 page
// Fiber's recover middleware makes, counted as a 500, and the next request
// is served.
func TestFastPathRecovers(t *testing.T) {
	srv, code, reg := newTestServer(t, func(l server.Links) server.Links { return panicLinks{l} })
	fast, routed := srv.Handler(), srv.App().Handler()
	req := newReq("/"+code, benchWeChatUA)
	got, want := serveOnce(fast, req), serveOnce(routed, req)
	if got.StatusCode() != fasthttp.StatusInternalServerError || want.StatusCode() != got.StatusCode() {
		t.Fatalf("after a panic: status %d (Fiber: %d); want 500", got.StatusCode(), want.StatusCode())
	}
	if !bytes.Equal(got.Body(), want.Body()) || !strings.Contains(string(got.Body()), "RID") {
		t.Errorf("500 page differs from Fiber's or lacks the request id:\n%s", got.Body())
	}
	if n := requestCount(t, reg, "/:code", "500"); n != 2 {
		t.Errorf(`requests{route="/:code",status="500"} = %v; want 2 (one per path)`, n)
	}
	if r := serveOnce(fast, newReq("/healthz", benchWeChatUA)); r.StatusCode() != 200 {
		t.Errorf("after the panic /healthz answers %d", r.StatusCode())
	}
}

// TestUnknownShellMetric: a tap from an app web-view hutong does not know is
// counted by its OS in hutong_client_unknown_total; a known app is not.
func TestUnknownShellMetric(t *testing.T) {
	// Real UA (testdata/ua-dev.jsonl, matomo device-detector fixture).
	const shell = "Mozilla/5.0 (Linux; Android 10; SM-T865 Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.110 Safari/537.36"
	srv, code, reg := newTestServer(t, nil)
	h := srv.Handler()
	serveOnce(h, newReq("/"+code, shell))
	serveOnce(h, newReq("/"+code, shell))
	serveOnce(h, newReq("/"+code, benchWeChatUA))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "hutong_client_unknown_total" {
			for _, m := range mf.GetMetric() {
				got[label(m, "family")] = m.GetCounter().GetValue()
			}
		}
	}
	if len(got) != 1 || got["android"] != 2 {
		t.Errorf("hutong_client_unknown_total = %v; want {android: 2}", got)
	}
}
