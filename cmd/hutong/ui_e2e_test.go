package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/e2etest"
)

// TestWebUIInBrowser drives the web UI in headless Chromium (e2e/ui.mjs,
// playwright-core) against the whole service on 127.0.0.1:0: sign in,
// create a link from a share text, download its QR code, open the short
// link with a WeChat User-Agent and land where the routing table says, see
// the click on the detail page; plus list, edit, import, delete and the
// language switch. Screenshots (desktop and phone width) go to e2e/artifacts/.
//
// It runs when HUTONG_E2E is set (scripts/test sets it) or CI=true, and
// skips when node, /usr/bin/chromium or playwright-core are missing —
// except under CI=true, where that fails. HUTONG_TEST_SHORT=1 skips it.
func TestWebUIInBrowser(t *testing.T) {
	env := e2etest.Require(t)
	node, chromium, e2e := env.Node, env.Chromium, env.Dir

	const key = "htk_e2e_web_ui_key_0123456789abcdef"
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = key })

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2e, "ui.mjs"), base, filepath.Join(e2e, "artifacts"), key)
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node e2e/ui.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser checks failed: %v", err)
	}
}
