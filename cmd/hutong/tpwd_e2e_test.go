package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/e2etest"
	"github.com/hutong-dev/hutong/resolver/remote/toptest"
)

// TestTpwdInBrowser drives the 淘口令 copy button in headless Chromium
// (e2e/tpwd.mjs, playwright-core) against the whole service on 127.0.0.1:0
// with the fake Open Platform gateway: a link minted with "tpwd": true and
// route.wechat_tpwd_guide, opened by WeChat on iOS 17 and on Android (the
// guide page) and by Safari on iOS and Chrome on Android (the
// interstitial). Each copy button is clicked through the Clipboard API,
// through the execCommand('copy') fallback WeChat's web-views need, and
// with both refused; the clipboard must hold the tapper's form (iOS 14+ →
// model) and every click's beacon must be answered 204. Then the link's
// stats must count exactly those clicks as action copy_tpwd, and the events
// must say who copied (app and OS). Screenshots go to e2e/artifacts/.
//
// It runs when HUTONG_E2E is set (scripts/test sets it) or CI=true, and
// skips when node, /usr/bin/chromium or playwright-core are missing —
// except under CI=true, where that fails. HUTONG_TEST_SHORT=1 skips it.
func TestTpwdInBrowser(t *testing.T) {
	env := e2etest.Require(t)
	gw := toptest.New(t, topKey, topSecret)
	m, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; topTweak(gw, "md5")(c) })

	a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": promoLink, "tpwd": true, "route": map[string]any{"wechat_tpwd_guide": true}})
	var l tpwdLink
	decodeJSON(t, a.Body, &l)
	if a.Status != 201 || l.Tpwd == nil || l.Tpwd.Model == l.Tpwd.Simple {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	// Where the pages' web button must lead: the 302 a WeChat tap on the
	// same target gets without the switch.
	a = api(t, "POST", base+"/api/v1/links", map[string]any{"target": promoLink, "tpwd": true})
	var plain tpwdLink
	decodeJSON(t, a.Body, &plain)
	p := get(t, base+"/"+plain.Code, uaWeChatIOS17)
	web := p.Header.Get("Location")
	if p.Status != 302 || web == "" {
		t.Fatalf("WeChat tap without the switch: %d %q; want a 302", p.Status, web)
	}

	spec, _ := json.Marshal(map[string]string{"link": l.ShortURL, "web": web, "model": l.Tpwd.Model, "simple": l.Tpwd.Simple})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.Node, filepath.Join(env.Dir, "tpwd.mjs"), env.Artifacts, string(spec))
	cmd.Dir = env.Dir
	cmd.Env = append(os.Environ(), "CHROMIUM="+env.Chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node e2e/tpwd.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser checks failed: %v", err)
	}

	// Three copy clicks per tapper, each answered 204 in the browser …
	want := map[string]int{"wechat-ios": 3, "wechat-android": 3, "safari-ios": 3, "chrome-android": 3}
	var got map[string]int
	mm := regexp.MustCompile(`(?m)^BEACONS (.*)$`).FindSubmatch(out)
	if mm == nil || json.Unmarshal(mm[1], &got) != nil {
		t.Fatalf("no BEACONS line in the script's output")
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("beacons answered 204 for %s = %d; want %d", k, got[k], n)
		}
	}
	// … and counted: 12 page views, 12 copies (the short-link copy button
	// posts none), plus the one 302 above on the other link.
	evs := waitEvents(t, m, 12+12+1)
	type who struct{ app, os string }
	copies := map[who]int{}
	views := 0
	for _, e := range evs {
		switch {
		case e.Action == "copy_tpwd" && e.Code == l.Code:
			copies[who{e.App, e.OS}]++
		case e.Code == l.Code:
			views++
		}
	}
	wantCopies := map[who]int{{"wechat", "ios"}: 3, {"wechat", "android"}: 3, {"browser", "ios"}: 3, {"browser", "android"}: 3}
	if len(copies) != len(wantCopies) || views != 12 {
		t.Fatalf("events: copies %v, page views %d; want copies %v, 12 views", copies, views, wantCopies)
	}
	for k, n := range wantCopies {
		if copies[k] != n {
			t.Errorf("copy_tpwd events from %s/%s = %d; want %d", k.app, k.os, copies[k], n)
		}
	}
	var st struct {
		Total, Human int
		Breakdown    struct{ Action map[string]int }
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := api(t, "GET", base+"/api/v1/links/"+l.Code+"/stats", nil)
		decodeJSON(t, s.Body, &st)
		if st.Breakdown.Action["copy_tpwd"] == 12 || time.Now().After(deadline) {
			if st.Breakdown.Action["copy_tpwd"] != 12 || st.Total != 24 {
				t.Fatalf("stats: %s; want action copy_tpwd 12 of total 24", s.Body)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(string(out), "all checks passed") {
		t.Fatal("the script did not report success")
	}
	if n := len(gw.Calls()); n != 1 {
		t.Errorf("platform calls = %d; want 1 (two links, one promotion URL: the second create is a cache hit; taps and copies never call)", n)
	}
}
