package server

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/shortlink"
)

// linkTimeout bounds a cold link lookup; warm taps never wait.
const linkTimeout = 500 * time.Millisecond

// handleCode answers GET/HEAD /{code} through Fiber's router: the paths
// the fast path (fast.go) leaves to Fiber, such as a code with a trailing
// slash or one that is not a valid code (its 404 page).
func (s *Server) handleCode(c *fiber.Ctx) error {
	code := c.Params("code")
	if !shortlink.IsCode(code) {
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	}
	return s.tapCode(c, code)
}

// tapCode answers a tap on a short link: its stored entity, routed for this
// client. HEAD and bots never count against a click cap. code is a valid
// code (shortlink.IsCode; both callers check) and may alias the request's
// memory.
func (s *Server) tapCode(c *fiber.Ctx, code string) error {
	if s.deps.Links == nil {
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	}
	st := tapStatePool.Get().(*tapState)
	defer st.release()
	keys, ok := s.tapKeys(c, &st.key)
	if !ok { // domain pools: a host that is not configured, or retired
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	}
	client := s.deps.Clients.Detect(c.Get(fiber.HeaderUserAgent))

	// A warm tap never waits, so the deadline's timer only starts if a
	// lookup actually selects on Done (a cold load, a capped link's Hit).
	// The deadline, the link and the tap (with its event) live in a pooled
	// tapState: a warm tap allocates none of them.
	now := s.reqNow(c)
	st.ctx.d = now.Add(linkTimeout)
	var err error
	l := &st.link
	for _, domain := range keys { // the first key that has the code
		if c.Method() == fiber.MethodHead || client.Bot {
			*l, err = s.deps.Links.Get(&st.ctx, domain, code)
			if err == nil && l.MaxClicks > 0 {
				*l, err = s.deps.Links.Peek(&st.ctx, domain, code)
			}
			if err == nil {
				err = l.Check(now)
			}
		} else {
			*l, err = s.deps.Links.TapAt(&st.ctx, domain, code, now)
		}
		if shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			break
		}
	}
	if err != nil {
		return s.linkError(c, *l, err)
	}
	t := &st.t
	t.link, t.input, t.entity, t.code, t.client = l, l.Target, l.Entity, l.Code, client
	return s.serveTapClient(c, t)
}

// tapState is the per-request memory of a short-link tap, pooled. Nothing
// keeps a pointer into it once the handler returns: the event is copied
// into the recorder's buffer, decisions and pages are cached by value, and
// a cold load runs under its own context (the caller only selects on ctx).
type tapState struct {
	ctx  lazyDeadline
	key  [1]string // backs tapKeys when domain pools are off
	link shortlink.Link
	t    tap
}

var tapStatePool = sync.Pool{New: func() any { return new(tapState) }}

// release stops the deadline's timer (if a lookup started one), clears
// every pointer the state held and returns it to the pool.
func (st *tapState) release() {
	st.ctx.stop()
	*st = tapState{}
	tapStatePool.Put(st)
}

// linkError answers a link that cannot be used: 404, 410 saying what
// happened, or 503 when the store is down and the link is not cached.
func (s *Server) linkError(c *fiber.Ctx, l shortlink.Link, err error) error {
	switch shortlink.ErrorCode(err) {
	case shortlink.CodeNotFound, shortlink.CodeInvalid:
		return s.infoPage(c, 0, pages.InfoNotFound, "", nil)
	case shortlink.CodeGone:
		k := pages.InfoDisabled
		switch l.StatusAt(s.now()) {
		case shortlink.StatusExpired:
			k = pages.InfoExpired
		case shortlink.StatusExhausted:
			k = pages.InfoClickLimit
		}
		return s.infoPage(c, 0, k, "", nil)
	}
	s.log.Error("link lookup failed", "err", err, "request_id", requestID(c))
	return s.infoPage(c, fiber.StatusServiceUnavailable, pages.InfoInternal, "", nil)
}

// domainOf is the short domain a request is for: its Host when that is one
// of the configured extra domains, else the default domain "".
func (s *Server) domainOf(c *fiber.Ctx) string {
	if len(s.opts.Domains) == 0 {
		return ""
	}
	h := c.Hostname()
	for _, d := range s.opts.Domains {
		if h == d {
			return d
		}
	}
	return ""
}

// lazyDeadline is context.WithDeadline(context.Background(), d) whose timer
// starts only when Done or Err is first called. It is used from one
// goroutine (the handler's); call stop when done.
type lazyDeadline struct {
	d      time.Time
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *lazyDeadline) init() context.Context {
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithDeadline(context.Background(), c.d)
	}
	return c.ctx
}

func (c *lazyDeadline) Deadline() (time.Time, bool) { return c.d, true }
func (c *lazyDeadline) Done() <-chan struct{}       { return c.init().Done() }
func (c *lazyDeadline) Err() error                  { return c.init().Err() }

// Value delegates to the inner context once it exists, so that a child
// WithTimeout finds the parent's cancelCtx and starts no goroutine.
func (c *lazyDeadline) Value(key any) any {
	if c.ctx == nil {
		return nil
	}
	return c.ctx.Value(key)
}

func (c *lazyDeadline) stop() {
	if c.cancel != nil {
		c.cancel()
	}
}
