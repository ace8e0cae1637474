package server_test

// Benchmarks of the whole tap path through Fiber and fasthttp, in memory (no
// socket): a request is copied into a fasthttp.RequestCtx and handed to the
// app's handler, with every cache warm, the event recorder running and the
// Prometheus middleware on, as hutong serve wires them. BenchmarkCeiling is
// the same 302 from a bare fasthttp handler, the in-process analogue of
// bench/ceiling. They report time and allocations only; the load benchmark
// (bench/run.sh, BENCHMARKS.md) measures the service over TCP.
//
//	go test ./internal/server -run '^$' -bench . -benchmem
//	go test ./internal/server -run '^$' -bench 'Handler/code$' -cpuprofile cpu.out -memprofile mem.out

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/internal/server"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
)

const (
	benchWeChatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN"
	benchSafariUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	benchItem     = "https://item.taobao.com/item.htm?id=541989840451"
)

// discardSink accepts every batch and answers no queries.
type discardSink struct{ events atomic.Int64 }

func (s *discardSink) WriteBatch(_ context.Context, b *track.Batch) (bool, error) {
	s.events.Add(int64(len(b.Events)))
	return true, nil
}
func (*discardSink) Stats(context.Context, string, time.Time, time.Time, string) (*track.Stats, error) {
	return &track.Stats{}, nil
}
func (*discardSink) CampaignStats(context.Context, string, time.Time, time.Time, string) (*track.Stats, error) {
	return &track.Stats{}, nil
}
func (*discardSink) Events(context.Context, string, int) (*track.EventPage, error) {
	return &track.EventPage{}, nil
}

// benchServer builds a Server the way hutong serve does (embedded store
// behind the link cache, cached UA detection, default rules, recorder,
// metrics) and returns its fasthttp handler and a link's code.
func benchServer(b testing.TB) (fasthttp.RequestHandler, string) {
	b.Helper()
	srv, code, _ := newTestServer(b, nil)
	return srv.Handler(), code
}

// newTestServer builds the Server benchServer serves, with links in front
// of the store when links is not nil, and returns it, a link's code and the
// metrics registry.
func newTestServer(b testing.TB, wrap func(server.Links) server.Links, tweak ...func(*server.Deps)) (*server.Server, string, *prometheus.Registry) {
	b.Helper()
	dir := b.TempDir()
	bs, err := boltstore.Open(filepath.Join(dir, "links.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	links, err := shortlink.NewCachedStore(bs, shortlink.CacheConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { links.Close() })
	svc := shortlink.NewService(links, shortlink.ServiceConfig{})
	l, err := svc.Create(context.Background(), shortlink.Link{Target: benchItem, Entity: resolver.Parse(benchItem)})
	if err != nil {
		b.Fatal(err)
	}
	table, err := route.New()
	if err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	rec, err := track.New(&discardSink{}, track.Config{SpillDir: dir, Registerer: reg})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rec.Close(context.Background()) })
	pg, err := pages.New()
	if err != nil {
		b.Fatal(err)
	}
	var tapLinks server.Links = links
	if wrap != nil {
		tapLinks = wrap(links)
	}
	deps := server.Deps{
		Rules:    route.NewHolder(table),
		Clients:  clientinfo.NewDetector(clientinfo.Config{}),
		Pages:    pg,
		Links:    tapLinks,
		Keys:     links,
		Service:  svc,
		Events:   rec,
		IPPolicy: track.IPPolicy{Mode: track.IPTruncate},
		Metrics:  server.NewMetrics(reg),
		Gatherer: reg,
	}
	for _, f := range tweak {
		f(&deps)
	}
	srv, err := server.New(deps, server.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return srv, l.Code, reg
}

var benchAddr = &net.TCPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 40000}

// run serves req once to check the status (and warm every cache), then b.N
// times.
func run(b *testing.B, h fasthttp.RequestHandler, req *fasthttp.Request, want int) {
	b.Helper()
	var ctx fasthttp.RequestCtx
	ctx.Init(req, benchAddr, nil)
	h(&ctx)
	if got := ctx.Response.StatusCode(); got != want {
		b.Fatalf("GET %s: status %d; want %d\n%s", req.URI(), got, want, ctx.Response.Body())
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx.Init(req, benchAddr, nil)
		h(&ctx)
	}
}

func newReq(uri, ua string) *fasthttp.Request {
	req := new(fasthttp.Request)
	req.SetRequestURI(uri)
	req.Header.SetHost("hut.ong")
	req.Header.Set("User-Agent", ua)
	return req
}

// BenchmarkHandler is a warm tap through the whole app: /{code} (the short
// link, WeChat: a 302), /r?u= (WeChat: a 302), the same short link from
// iOS Safari (the interstitial page) and /{code} with WeChat's from= and an
// ad click ID (what real WeChat taps carry).
func BenchmarkHandler(b *testing.B) {
	h, code := benchServer(b)
	b.Run("code", func(b *testing.B) {
		run(b, h, newReq("/"+code, benchWeChatUA), fasthttp.StatusFound)
	})
	b.Run("code_wechat_params", func(b *testing.B) {
		run(b, h, newReq("/"+code+"?from=singlemessage&isappinstalled=0&gdt_vid=wx0abcdefghijk", benchWeChatUA), fasthttp.StatusFound)
	})
	b.Run("r", func(b *testing.B) {
		run(b, h, newReq("/r?u="+benchItem, benchWeChatUA), fasthttp.StatusFound)
	})
	b.Run("interstitial", func(b *testing.B) {
		run(b, h, newReq("/"+code, benchSafariUA), fasthttp.StatusOK)
	})
}

// BenchmarkCeiling is the floor: a bare fasthttp handler writing the same
// 302 headers hutong writes.
func BenchmarkCeiling(b *testing.B) {
	var seq atomic.Uint64
	loc := []byte("https://main.m.taobao.com/security-h5-detail/home?id=541989840451")
	h := func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("X-Request-Id", "bench-"+strconv.FormatUint(seq.Add(1), 36))
		ctx.Response.Header.Set("Cache-Control", "private, no-store, max-age=0")
		ctx.Response.Header.SetBytesV("Location", loc)
		ctx.Response.Header.Set("Referrer-Policy", "no-referrer-when-downgrade")
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetStatusCode(fasthttp.StatusFound)
		ctx.SetBodyString("Found")
	}
	run(b, h, newReq("/AbCdEf7", benchWeChatUA), fasthttp.StatusFound)
}

// TestWarmTapAllocations pins the warm short-link tap's allocations (the
// in-memory handler above, WeChat → 302, recorder and metrics on): the
// request's state is pooled, so what is left is the test's own
// RequestCtx.Init, the event's truncated IP string and the visit id the
// event writer makes in the background (counted here too: AllocsPerRun
// reads process-wide counters). 6 before the state was pooled.
func TestWarmTapAllocations(t *testing.T) {
	h, code := benchServer(t)
	for _, tc := range []struct {
		name, uri, ua string
		status, max   int
	}{
		{"302", "/" + code, benchWeChatUA, fasthttp.StatusFound, 4},
		{"interstitial", "/" + code, benchSafariUA, fasthttp.StatusOK, 4},
	} {
		req := newReq(tc.uri, tc.ua)
		var ctx fasthttp.RequestCtx
		serve := func() {
			ctx.Init(req, benchAddr, nil)
			h(&ctx)
		}
		serve()
		if got := ctx.Response.StatusCode(); got != tc.status {
			t.Fatalf("%s: status %d; want %d", tc.name, got, tc.status)
		}
		if n := testing.AllocsPerRun(2000, serve); n > float64(tc.max) {
			t.Errorf("%s: a warm tap allocates %.2f times; want at most %d", tc.name, n, tc.max)
		}
	}
}
