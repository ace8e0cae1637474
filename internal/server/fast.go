package server

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/valyala/fasthttp"

	"github.com/hutong-dev/hutong/shortlink"
)

// codeRoute is the route label of short-link taps in metrics and logs, the
// pattern Fiber registers them under.
const codeRoute = "/:code"

// Handler returns the fasthttp handler that Serve serves: a warm tap, GET
// or HEAD of /{code} with a valid code, goes straight to the tap code with
// the request id, panic recovery and metrics done inline; every other
// request goes through Fiber's router and middleware. The two answer the
// same: the fast path takes only what Fiber would route to /:code (every
// first path segment hutong routes itself is a reserved word, which is
// never a valid code), and anything it declines, Fiber still answers.
//
// Call it after every route is registered (New does).
func (s *Server) Handler() fasthttp.RequestHandler {
	fiberH := s.app.Handler()
	return func(rctx *fasthttp.RequestCtx) {
		code, ok := tapPath(rctx)
		if !ok {
			fiberH(rctx)
			return
		}
		c := s.app.AcquireCtx(rctx)
		s.serveCodeFast(c, code)
		s.app.ReleaseCtx(c)
	}
}

// tapPath reports whether rctx is a GET or HEAD of "/" + a valid short code,
// and returns the code (aliasing the request's memory).
func tapPath(rctx *fasthttp.RequestCtx) (string, bool) {
	if !rctx.IsGet() && !rctx.IsHead() {
		return "", false
	}
	p := rctx.URI().PathOriginal()
	if len(p) < 2 || p[0] != '/' {
		return "", false
	}
	code := utils.UnsafeString(p[1:])
	if !shortlink.IsCode(code) {
		return "", false
	}
	return code, true
}

// serveCodeFast is what Fiber's middleware chain (recover, requestID,
// metrics) and router do for a /{code} request, inline.
func (s *Server) serveCodeFast(c *fiber.Ctx, code string) {
	start := requestStart(c)
	s.setRequestID(c)
	err := s.tapCodeRecover(c, code)
	if err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	if s.metrics != nil {
		s.metrics.observe(c, codeRoute, start, err)
	}
}

// tapCodeRecover runs tapCode and turns a panic into an error, as Fiber's
// recover middleware does for the routed path.
func (s *Server) tapCodeRecover(c *fiber.Ctx, code string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logPanic(c, r)
			if e, ok := r.(error); ok { // as Fiber's recover middleware
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	return s.tapCode(c, code)
}
