package resolver

import (
	"testing"

	"github.com/hutong-dev/hutong/internal/deptest"
)

// TestDependencies keeps the resolver pure: standard library only, no
// driver (deptest.Drivers), and no network, HTTP, process or database
// packages even from the standard library.
func TestDependencies(t *testing.T) {
	deptest.NoDrivers(t)
	deptest.Check(t, ".", deptest.Rules{
		StdlibOnly:  true,
		Forbid:      []string{"net/http", "net/rpc", "net/smtp", "os/exec", "database/sql", "plugin"},
		ForbidExact: []string{"net"},
	})
}
