package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/e2etest"
)

// TestDomainsPageInBrowser drives the Domains page in headless Chromium
// (e2e/domains.mjs) against the whole service with two domains: states,
// the host in use, taps in the last hour by domain (three taps on s1.test
// first), who changed what, the banner once none is healthy, phone width,
// no CSP error. Runs and skips as TestWebUIInBrowser does.
func TestDomainsPageInBrowser(t *testing.T) {
	env := e2etest.Require(t)
	const key = "htk_e2e_domains_key_0123456789abcdef"
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = key; c.Domains = []string{"s1.test", "s2.test"} })
	a := do(t, "POST", base+"/api/v1/links", map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"},
		strings.NewReader(`{"target":"`+itemTaobao+`"}`))
	var l struct{ Code string }
	decodeJSON(t, a.Body, &l)
	for range 3 {
		if got := tapOnHost(t, base, l.Code, "s1.test"); got.Status != 302 {
			t.Fatalf("tap on s1.test: %d; want 302", got.Status)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.Node, filepath.Join(env.Dir, "domains.mjs"), base, filepath.Join(env.Dir, "artifacts"), key)
	cmd.Dir = env.Dir
	cmd.Env = append(os.Environ(), "CHROMIUM="+env.Chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node e2e/domains.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser checks failed: %v", err)
	}
}
