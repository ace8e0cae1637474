// Package e2etest finds what the headless-browser tests need: node, Debian's
// Chromium and playwright-core in the repository's e2e/ folder.
//
// Browser tests run when HUTONG_E2E is set (scripts/test sets it) or
// CI=true; they skip when something is missing, except under CI=true, where
// that fails the test. HUTONG_TEST_SHORT=1 (or go test -short) skips them.
package e2etest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Env is where the browser test's tools are.
type Env struct {
	// Node is the node binary; Chromium the browser (CHROMIUM, default
	// /usr/bin/chromium); Dir the repository's e2e/ folder (scripts,
	// node_modules); Artifacts its artifacts/ folder for screenshots.
	Node, Chromium, Dir, Artifacts string
}

// Require returns the browser test's tools, or skips t (fails it under
// CI=true) saying what is missing.
func Require(t testing.TB) Env {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if os.Getenv("HUTONG_TEST_SHORT") != "" || testing.Short() {
		t.Skip("short mode: browser test skipped")
	}
	if os.Getenv("HUTONG_E2E") == "" && !ci {
		t.Skip("HUTONG_E2E unset: browser test skipped (scripts/test sets it)")
	}
	missing := func(what string) {
		t.Helper()
		if ci {
			t.Fatalf("CI=true and %s", what)
		}
		t.Skip(what)
	}
	var e Env
	var err error
	if e.Node, err = exec.LookPath("node"); err != nil {
		missing("node is not installed (apt-get install nodejs npm)")
	}
	if e.Chromium = os.Getenv("CHROMIUM"); e.Chromium == "" {
		e.Chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(e.Chromium); err != nil {
		missing(e.Chromium + " is missing (apt-get install chromium)")
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("e2etest: cannot locate the repository")
	}
	e.Dir = filepath.Join(filepath.Dir(file), "..", "..", "e2e")
	if _, err := os.Stat(filepath.Join(e.Dir, "node_modules", "playwright-core")); err != nil {
		missing("playwright-core is not installed (cd e2e && npm install)")
	}
	e.Artifacts = filepath.Join(e.Dir, "artifacts")
	return e
}
