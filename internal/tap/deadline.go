package tap

import (
	"context"
	"time"
)

// lazyDeadline is context.WithDeadline(context.Background(), d) whose timer
// starts only when Done or Err is first called. It is used from one
// goroutine (the tap's); call stop when done.
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
