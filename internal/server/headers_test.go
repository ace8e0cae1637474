package server

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// TestCanonicalHeaderNames: the names respond and setRequestID set with
// SetCanonical are spelled as fasthttp normalises them. A name in another
// form would be sent in that form and missed by Peek, which normalises the
// name it looks up.
func TestCanonicalHeaderNames(t *testing.T) {
	for _, k := range [][]byte{hdrCacheControl, hdrLocation, hdrReferrerPolicy, hdrXRequestID} {
		var h fasthttp.ResponseHeader
		h.Set(string(k), "v")
		var got string
		h.VisitAll(func(key, _ []byte) {
			if string(key) != "Content-Type" && string(key) != "Server" {
				got = string(key)
			}
		})
		if got != string(k) {
			t.Errorf("fasthttp normalises %q to %q", k, got)
		}
		var c fasthttp.ResponseHeader
		c.SetCanonical(k, []byte("v"))
		if string(c.Peek(string(k))) != "v" {
			t.Errorf("Peek(%q) misses the header SetCanonical set", k)
		}
	}
}

// TestSetLocationStripsNewlines: a location holding CR or LF (which the
// router never builds) still cannot inject a header. setLocation relies on
// fasthttp's SetCanonical stripping them; this holds a fasthttp upgrade to
// it.
func TestSetLocationStripsNewlines(t *testing.T) {
	app := fiber.New()
	for _, tc := range []struct{ loc, want string }{
		{"https://main.m.taobao.com/a?id=1", "https://main.m.taobao.com/a?id=1"},
		{"https://a.taobao.com/\r\nSet-Cookie: x=1", "https://a.taobao.com/  Set-Cookie: x=1"},
		{"https://a.taobao.com/\nX: y", "https://a.taobao.com/ X: y"},
	} {
		var rctx fasthttp.RequestCtx
		c := app.AcquireCtx(&rctx)
		setLocation(c, tc.loc)
		if got := string(rctx.Response.Header.Peek("Location")); got != tc.want {
			t.Errorf("setLocation(%q): Location %q; want %q", tc.loc, got, tc.want)
		}
		if v := rctx.Response.Header.Peek("Set-Cookie"); len(v) != 0 {
			t.Errorf("setLocation(%q) set a cookie", tc.loc)
		}
		app.ReleaseCtx(c)
	}
}
