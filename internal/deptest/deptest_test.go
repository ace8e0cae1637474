package deptest

import (
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/hutong-dev/hutong/"

// TestViolationsFindsDrivers: a package that does link the drivers is
// caught, each with a chain from the package to the driver, so the check
// can fail.
func TestViolationsFindsDrivers(t *testing.T) {
	vs, err := Violations(mod+"cmd/hutong", Rules{Forbid: Drivers})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"github.com/gofiber/fiber/v2", "github.com/redis/go-redis/v9", "go.etcd.io/bbolt"} {
		i := slices.IndexFunc(vs, func(v Violation) bool { return v.Path == want })
		if i < 0 {
			t.Errorf("cmd/hutong: no violation for %s; got %v", want, vs)
			continue
		}
		c := vs[i].Chain
		if len(c) < 2 || c[0] != mod+"cmd/hutong" || c[len(c)-1] != want {
			t.Errorf("chain to %s = %v; want cmd/hutong first, %s last", want, c, want)
		}
	}
}

// TestViolationsClean: the resolver links none of the drivers and only
// the standard library; shortlink is not standard-only (otter), which
// StdlibOnly reports.
func TestViolationsClean(t *testing.T) {
	if vs, err := Violations(mod+"resolver", Rules{Forbid: Drivers, StdlibOnly: true}); err != nil || len(vs) != 0 {
		t.Errorf("resolver: violations %v, err %v; want none", vs, err)
	}
	vs, err := Violations(mod+"shortlink", Rules{StdlibOnly: true, Allow: []string{mod}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(vs, func(v Violation) bool { return strings.HasPrefix(v.Path, "github.com/maypok86/otter") }) {
		t.Errorf("shortlink with StdlibOnly: %v; want otter reported", vs)
	}
}

func TestUnder(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"go.etcd.io/bbolt", true},
		{"go.etcd.io/bbolt/errors", true},
		{"go.etcd.io/bboltx", false},
		{"github.com/redis/go-redis/v9/internal/pool", true},
		{"github.com/redis/go-redisx", false},
	} {
		if got := under(tc.path, Drivers); got != tc.want {
			t.Errorf("under(%q, Drivers) = %v; want %v", tc.path, got, tc.want)
		}
	}
}

func TestBadPackage(t *testing.T) {
	if _, err := Violations(mod+"no/such/package", Rules{}); err == nil {
		t.Error("Violations of a missing package: nil error; want one")
	}
}
