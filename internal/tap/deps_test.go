package tap

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are the packages the tap core must not depend on: the HTTP
// stack and the store and sink drivers stay at the edges.
var forbidden = []string{"github.com/gofiber/fiber", "github.com/valyala/fasthttp", "github.com/redis/go-redis", "go.etcd.io/bbolt"}

// TestDependencies keeps the tap core free of fiber, fasthttp, go-redis and
// bbolt (go list -deps).
//
// Until the link-store drivers leave package shortlink (issue 22, part
// 22c), shortlink itself brings go-redis and bbolt: those are reported as a
// log line, not a failure, and only as long as shortlink has them. Any
// other way in fails.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	tapDeps := goListDeps(t, ".")
	viaShortlink := map[string]bool{}
	for _, p := range goListDeps(t, "github.com/hutong-dev/hutong/shortlink") {
		viaShortlink[p] = true
	}
	for _, p := range tapDeps {
		for _, f := range forbidden {
			if p != f && !strings.HasPrefix(p, f+"/") {
				continue
			}
			if viaShortlink[p] {
				t.Logf("%s comes in through package shortlink (its store drivers); it must go when they move out", p)
				continue
			}
			t.Errorf("internal/tap depends on %s", p)
		}
	}
}

func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
