package server_test

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/internal/server"
)

// poolServer is benchServer with a default pool of hut.ong (the Host
// newReq sends) and a spare: a tap looks the code up under "hut.ong"
// first (a cached miss), then under the pool's "".
func poolServer(b testing.TB) (fasthttp.RequestHandler, string) {
	b.Helper()
	ds, err := domains.FromList([]string{"hut.ong", "spare.example"}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	reg := &domains.Registry{}
	reg.Set(ds)
	srv, code, _ := newTestServer(b, nil, func(d *server.Deps) { d.Domain.Registry = reg })
	return srv.Handler(), code
}

// BenchmarkHandlerPools is BenchmarkHandler's warm WeChat tap with domain
// pools on.
func BenchmarkHandlerPools(b *testing.B) {
	h, code := poolServer(b)
	run(b, h, newReq("/"+code, benchWeChatUA), fasthttp.StatusFound)
}

// TestWarmTapAllocationsPools: the host check and the second lookup cost
// no allocation (same budget as TestWarmTapAllocations), and an
// unconfigured Host is a 404.
func TestWarmTapAllocationsPools(t *testing.T) {
	h, code := poolServer(t)
	req := newReq("/"+code, benchWeChatUA)
	var ctx fasthttp.RequestCtx
	serve := func() {
		ctx.Init(req, benchAddr, nil)
		h(&ctx)
	}
	serve()
	if got := ctx.Response.StatusCode(); got != fasthttp.StatusFound {
		t.Fatalf("status %d; want 302", got)
	}
	if n := testing.AllocsPerRun(2000, serve); n > 4 {
		t.Errorf("a warm tap with pools allocates %.2f times; want at most 4", n)
	}
	evil := newReq("/"+code, benchWeChatUA)
	evil.Header.SetHost("evil.test")
	ctx.Init(evil, benchAddr, nil)
	h(&ctx)
	if got := ctx.Response.StatusCode(); got != fasthttp.StatusNotFound {
		t.Errorf("Host evil.test: status %d; want 404", got)
	}
}
