package shortlink_test

import (
	"testing"

	"github.com/hutong-dev/hutong/internal/deptest"
)

// TestDependencies keeps shortlink free of the HTTP server stack and
// the store drivers (Fiber, fasthttp, go-redis, bbolt): they live at the
// edges, in internal/server and the shortlink/*store packages.
func TestDependencies(t *testing.T) { deptest.NoDrivers(t) }
