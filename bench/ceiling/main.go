// Command ceiling is the reference point of hutong's load benchmark: a bare
// fasthttp handler that answers every request with the same 302 a warm
// hutong tap sends (same status, same headers, same 5-byte body), and
// nothing else. Whatever hutong costs above it is hutong's own work.
//
// With --page FILE it answers 200 with that file's bytes as text/html
// instead (the interstitial scenario: hutong renders the page, the
// ceiling sends the same bytes as a constant).
//
//	go run ./bench/ceiling --listen 127.0.0.1:18081
package main

import (
	"flag"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18081", "address to listen on")
	location := flag.String("location", "https://main.m.taobao.com/security-h5-detail/home?id=541989840451", "Location of the 302")
	page := flag.String("page", "", "answer 200 with this file as text/html instead of the 302")
	debug := flag.String("debug-listen", "", "serve pprof profiles on this address (as hutong's --debug-listen)")
	work := flag.Duration("work", 0, "busy-loop this long per request before answering (calibration: what N µs of handler work costs here)")
	flag.Parse()

	prefix := strconv.FormatInt(time.Now().UnixNano()&0xffffffffff, 36) + "-"
	var seq atomic.Uint64
	loc := []byte(*location)
	h := func(ctx *fasthttp.RequestCtx) {
		spin(*work)
		// The same headers as hutong's redirect, request id included.
		ctx.Response.Header.Set("X-Request-Id", prefix+strconv.FormatUint(seq.Add(1), 36))
		ctx.Response.Header.Set("Cache-Control", "private, no-store, max-age=0")
		ctx.Response.Header.SetBytesV("Location", loc)
		ctx.Response.Header.Set("Referrer-Policy", "no-referrer-when-downgrade")
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetStatusCode(fasthttp.StatusFound)
		ctx.SetBodyString("Found")
	}
	if *page != "" {
		body, err := os.ReadFile(*page)
		if err != nil {
			log.Fatal(err)
		}
		h = func(ctx *fasthttp.RequestCtx) {
			spin(*work)
			ctx.Response.Header.Set("X-Request-Id", prefix+strconv.FormatUint(seq.Add(1), 36))
			ctx.Response.Header.Set("Cache-Control", "private, no-store, max-age=0")
			ctx.SetContentType("text/html; charset=utf-8")
			ctx.SetBody(body)
		}
	}
	srv := &fasthttp.Server{
		Handler:               h,
		NoDefaultServerHeader: true,
		ReadBufferSize:        16 << 10,
		ReadTimeout:           5 * time.Second,
		WriteTimeout:          10 * time.Second,
		IdleTimeout:           60 * time.Second,
	}
	if *debug != "" {
		go func() { log.Print(http.ListenAndServe(*debug, nil)) }() // net/http/pprof on the default mux
	}
	log.Printf("ceiling listening on %s", *listen)
	if err := srv.ListenAndServe(*listen); err != nil {
		log.Fatal(err)
	}
}

// spin busy-waits for d of wall time (on a pinned, otherwise idle core that
// is d of CPU): a stand-in for handler work of a known cost.
func spin(d time.Duration) {
	if d <= 0 {
		return
	}
	for t := time.Now(); time.Since(t) < d; {
	}
}
