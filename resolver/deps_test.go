package resolver

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the resolver pure: standard library only, and no
// network, HTTP, Fiber or Redis packages even from the standard library.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}|{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	forbidden := []string{"net", "net/http", "net/rpc", "net/smtp", "os/exec", "database/sql", "plugin"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		nonStd, path, _ := strings.Cut(line, "|")
		if nonStd != "" && path != "github.com/hutong-dev/hutong/resolver" {
			t.Errorf("resolver depends on non-standard package %s", path)
		}
		for _, f := range forbidden {
			if path == f || strings.HasPrefix(path, f+"/") && f != "net" {
				t.Errorf("resolver depends on forbidden package %s", path)
			}
		}
		for _, w := range []string{"fiber", "fasthttp", "redis"} {
			if strings.Contains(path, w) {
				t.Errorf("resolver depends on %s", path)
			}
		}
	}
}
