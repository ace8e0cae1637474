// Package deptest checks, from a package's own tests, what the package
// links: it runs `go list -deps -json` and fails on forbidden imports,
// naming the chain of imports that brought each one in. It keeps the core
// packages (resolver, shortlink, route, clientinfo, pages, the tap core)
// free of the HTTP server stack and the storage drivers, which live at the
// edges (internal/server, shortlink/redisstore, shortlink/boltstore).
//
// A package adds the check with one test:
//
//	func TestDependencies(t *testing.T) { deptest.NoDrivers(t) }
//
// It needs the go command on PATH (it is there under `go test`). Safe for
// concurrent use; no state.
package deptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Drivers are the import paths (each with everything under it) the core
// packages must not link: Fiber and fasthttp (the HTTP entrance), go-redis
// and bbolt (the store drivers).
var Drivers = []string{
	"github.com/gofiber/fiber",
	"github.com/valyala/fasthttp",
	"github.com/redis/go-redis",
	"go.etcd.io/bbolt",
}

// Rules say what a package may link. The zero value allows everything.
type Rules struct {
	// Forbid lists import paths the package must not depend on, directly
	// or not; "a/b" also forbids "a/b/c" and "a/b/v2", not "a/bc".
	Forbid []string
	// ForbidExact lists import paths forbidden themselves, not what is
	// under them ("net" but not "net/url").
	ForbidExact []string
	// StdlibOnly, when set, forbids every package outside the standard
	// library except the package itself (and its own module's packages
	// listed in Allow).
	StdlibOnly bool
	// Allow lists non-standard import paths StdlibOnly lets through.
	Allow []string
}

// Violation is one forbidden dependency.
type Violation struct {
	// Path is the forbidden package.
	Path string
	// Chain is how the checked package reaches it: the checked package
	// first, Path last.
	Chain []string
}

func (v Violation) String() string { return strings.Join(v.Chain, " → ") }

// NoDrivers fails t when the package under test (the test's working
// directory) depends on any of Drivers.
func NoDrivers(t testing.TB) {
	t.Helper()
	Check(t, ".", Rules{Forbid: Drivers})
}

// Check fails t for every dependency of pkg (an import path, or "." for
// the package under test) that r forbids, one error each, with its chain.
func Check(t testing.TB, pkg string, r Rules) {
	t.Helper()
	vs, err := Violations(pkg, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("forbidden dependency %s: %s", v.Path, v)
	}
}

// listed is the part of `go list -json` this package reads.
type listed struct {
	ImportPath string
	Imports    []string
	Standard   bool
	DepOnly    bool
	Error      *struct{ Err string }
}

// Violations returns the dependencies of pkg (an import path, or "." for
// the package in the current directory) that r forbids, in `go list -deps`
// order (dependencies before their importers). Of a forbidden package's own
// dependencies only those reached another way are reported: bbolt is one
// violation, not one per bbolt package. It fails when the go
// command does, or when pkg does not load.
func Violations(pkg string, r Rules) ([]Violation, error) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Standard,DepOnly,Error", pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("deptest: go list -deps %s: %v\n%s", pkg, err, stderr.Bytes())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("deptest: reading go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("deptest: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	var root string
	byPath := make(map[string]*listed, len(pkgs))
	for i := range pkgs {
		byPath[pkgs[i].ImportPath] = &pkgs[i]
		if !pkgs[i].DepOnly {
			root = pkgs[i].ImportPath
		}
	}
	if root == "" {
		return nil, fmt.Errorf("deptest: go list -deps %s named no package", pkg)
	}
	// Breadth first from root: parent gives a shortest import chain.
	parent := map[string]string{root: ""}
	for queue := []string{root}; len(queue) > 0; queue = queue[1:] {
		p := byPath[queue[0]]
		if p == nil {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := parent[imp]; !seen {
				parent[imp] = p.ImportPath
				queue = append(queue, imp)
			}
		}
	}
	var vs []Violation
	for _, p := range pkgs {
		if p.ImportPath == root || !r.forbids(&p) {
			continue
		}
		var chain []string
		inside := false // reached through another forbidden package: reported there
		for at := p.ImportPath; at != ""; at = parent[at] {
			chain = append([]string{at}, chain...)
			if q := byPath[at]; at != p.ImportPath && at != root && q != nil && r.forbids(q) {
				inside = true
			}
		}
		if !inside {
			vs = append(vs, Violation{Path: p.ImportPath, Chain: chain})
		}
	}
	return vs, nil
}

func (r *Rules) forbids(p *listed) bool {
	if under(p.ImportPath, r.Forbid) || slices.Contains(r.ForbidExact, p.ImportPath) {
		return true
	}
	return r.StdlibOnly && !p.Standard && !under(p.ImportPath, r.Allow)
}

// under reports whether path is one of prefixes or below one.
func under(path string, prefixes []string) bool {
	for _, f := range prefixes {
		if path == f || strings.HasPrefix(path, f+"/") {
			return true
		}
	}
	return false
}
