package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
)

// TestFirstRunProcess: `hutong serve --data EMPTY` (the real binary, no
// key given) prints the /ui/ address and a first admin key once on
// standard output; the key signs into the API; / redirects to the UI; and
// while it holds data/links.db, `hutong keys list|create` and `hutong link
// list` (no --api-key) work through its API. A second start on the same
// store prints no key.
func TestFirstRunProcess(t *testing.T) {
	data := t.TempDir()
	cmd := exec.Command(hutongBinary(t), "serve", "--listen", "127.0.0.1:0", "--data", data, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "HUTONG_REDIS=", "HUTONG_INITIAL_API_KEY=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	lines := make(chan string, 32)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var uiURL, key string
	var printed []string
	deadline := time.After(30 * time.Second)
	for uiURL == "" || key == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve stopped before printing the sign-in address and key:\n%s", strings.Join(printed, "\n"))
			}
			printed = append(printed, l)
			if m := regexp.MustCompile(`Sign in at\s+(http://\S+/ui/)`).FindStringSubmatch(l); m != nil {
				uiURL = m[1]
			}
			if m := regexp.MustCompile(`with key\s+(htk_\S+)`).FindStringSubmatch(l); m != nil {
				key = m[1]
			}
		case <-deadline:
			t.Fatalf("no sign-in address and key within 30s:\n%s", strings.Join(printed, "\n"))
		}
	}
	base := strings.TrimSuffix(uiURL, "/ui/")

	if a := do(t, "GET", base+"/api/v1/keys", map[string]string{"Authorization": "Bearer " + key}, nil); a.Status != 200 || !strings.Contains(a.Body, `"initial"`) {
		t.Errorf("GET /api/v1/keys with the printed key: got %d %s; want 200 listing the initial key", a.Status, a.Body)
	}
	if a := get(t, base+"/", "Mozilla/5.0"); a.Status != 200 || !strings.Contains(a.Body, `href="/ui/login"`) {
		t.Errorf("GET / signed out: got %d %q; want the home page with a sign-in link", a.Status, a.Body)
	}
	if a := get(t, uiURL, "Mozilla/5.0"); a.Status != 200 && a.Status != 302 && a.Status != 303 {
		t.Errorf("GET %s: got %d; want the UI (a page or its sign-in redirect)", uiURL, a.Status)
	}

	// Store commands while serve holds the file lock.
	code, out, errOut := runCLI(t, "", "keys", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "\tinitial\t") || !strings.Contains(out, "[admin]") {
		t.Fatalf("keys list while serving: exit %d, out %q, err %q; want the initial admin key", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "keys", "create", "--data", data, "--name", "ci", "--scopes", "read")
	secret := regexp.MustCompile(`secret \(shown once\): (htk_\S+)`).FindStringSubmatch(out)
	if code != 0 || secret == nil {
		t.Fatalf("keys create while serving: exit %d, out %q, err %q", code, out, errOut)
	}
	if a := do(t, "GET", base+"/api/v1/links", map[string]string{"Authorization": "Bearer " + secret[1]}, nil); a.Status != 200 {
		t.Errorf("GET /api/v1/links with the key made while serving: got %d %s", a.Status, a.Body)
	}
	if code, out, errOut = runCLI(t, "", "keys", "list", "--data", data); code != 0 || !strings.Contains(out, "\tci\t") {
		t.Errorf("keys list after create: exit %d, out %q, err %q; want the ci key", code, out, errOut)
	}
	t.Setenv("HUTONG_API_KEY", "")
	t.Setenv("HUTONG_SERVER", "")
	if code, out, errOut = runCLI(t, "", "link", "list", "--data", data); code != 0 {
		t.Errorf("link list next to serve, no --api-key: exit %d, out %q, err %q", code, out, errOut)
	}

	// A restart on the same store: no new key, only the address.
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGINT")
	}
	if _, err := os.Stat(filepath.Join(data, controlFile)); !os.IsNotExist(err) {
		t.Errorf("control file after shutdown: %v; want it removed", err)
	}
	code, out, errOut = runCLI(t, "", "keys", "list", "--data", data)
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Errorf("keys list on the stopped store: exit %d, out %q, err %q; want the 2 keys (the local key is never stored)", code, out, errOut)
	}
}

// TestFirstRunKeyOnce: on a Main (real listener) with an empty store and no
// --initial-api-key a first admin key is made and printed with the /ui/
// address; with --initial-api-key none is; --root-redirect off gives /
// the not-found page, a URL sends / there.
func TestFirstRunKeyOnce(t *testing.T) {
	m, base := testMain(t, func(c *config.Serve) { c.RootRedirect = "https://example.com/welcome" })
	if m.FirstKey == "" {
		t.Fatal("no first admin key on an empty store")
	}
	var b strings.Builder
	m.printFirstRun(&b)
	if !strings.Contains(b.String(), base+"/ui/") || !strings.Contains(b.String(), m.FirstKey) {
		t.Errorf("first-run message %q: want the UI address %s/ui/ and the key", b.String(), base)
	}
	if a := get(t, base+"/", "Mozilla/5.0"); a.Status != 302 || a.Location != "https://example.com/welcome" {
		t.Errorf("GET / with --root-redirect URL: got %d %q", a.Status, a.Location)
	}
	var keys struct{ Keys []struct{ Name string } }
	a := do(t, "GET", base+"/api/v1/keys", map[string]string{"Authorization": "Bearer " + m.FirstKey}, nil)
	decodeJSON(t, a.Body, &keys)
	if len(keys.Keys) != 1 || keys.Keys[0].Name != "initial" {
		t.Errorf("keys: %s; want exactly the initial key", a.Body)
	}

	m2, base2 := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.RootRedirect = "off" })
	if m2.FirstKey != "" {
		t.Errorf("FirstKey %q with --initial-api-key; want none made", m2.FirstKey)
	}
	if a := get(t, base2+"/", "Mozilla/5.0"); a.Status != 404 {
		t.Errorf("GET / with --root-redirect off: got %d; want 404", a.Status)
	}
	b.Reset()
	m2.printFirstRun(&b)
	if strings.Contains(b.String(), "htk_") || !strings.Contains(b.String(), "/ui/") {
		t.Errorf("message without a first key: %q", b.String())
	}
	var ctl control
	raw, err := os.ReadFile(filepath.Join(m2.Config.Data, controlFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ctl); err != nil || ctl.URL != base2 {
		t.Errorf("control file %s: want url %s", raw, base2)
	}
	if fi, _ := os.Stat(filepath.Join(m2.Config.Data, controlFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("control file mode %v; want 0600", fi.Mode().Perm())
	}
}

// TestRootHomeAndNotFoundURL (a real listener): by default GET / is the
// home page with a sign-in link for a visitor, and the UI for a browser
// signed into it (the hint cookie a sign-in sets); --not-found-url sends
// taps on unknown codes (and malformed ones) to the operator's URL and
// only there, while existing links still redirect as usual.
func TestRootHomeAndNotFoundURL(t *testing.T) {
	m, base := testMain(t, func(c *config.Serve) {
		c.InitialAPIKey = adminKey
		c.NotFoundURL = "https://shop.example/sorry"
	})
	if m.Config.RootRedirect != "auto" {
		t.Errorf("--root-redirect default %q; want auto", m.Config.RootRedirect)
	}
	a := do(t, "GET", base+"/", map[string]string{"Accept-Language": "en"}, nil)
	if a.Status != 200 || !strings.Contains(a.Body, `href="/ui/login"`) || !strings.Contains(a.Body, "hutong short links") {
		t.Errorf("GET / signed out: %d %q; want 200, the home page with a sign-in link", a.Status, a.Body)
	}
	if zh := do(t, "GET", base+"/", map[string]string{"Accept-Language": "zh-CN"}, nil); !strings.Contains(zh.Body, "登录管理后台") {
		t.Errorf("GET / in Chinese: %q", zh.Body)
	}
	// Signing in through the form sets the hint cookie on path /.
	login := do(t, "GET", base+"/ui/login", nil, nil)
	var pre, csrf string
	for _, c := range (&http.Response{Header: login.Header}).Cookies() {
		if c.Name == "hutong_ui_pre" {
			pre = c.Value
		}
	}
	if i := strings.Index(login.Body, `name="csrf" value="`); i >= 0 {
		csrf = login.Body[i+len(`name="csrf" value="`):]
		csrf = csrf[:strings.IndexByte(csrf, '"')]
	}
	form := url.Values{"key": {adminKey}, "csrf": {csrf}, "next": {"/ui/links"}}
	in := do(t, "POST", base+"/ui/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "hutong_ui_pre=" + pre}, strings.NewReader(form.Encode()))
	var hint *http.Cookie
	for _, c := range (&http.Response{Header: in.Header}).Cookies() {
		if c.Name == "hutong_ui_in" {
			hint = c
		}
	}
	if in.Status != 303 || hint == nil || hint.Path != "/" || !hint.HttpOnly {
		t.Fatalf("sign-in: %d, hint cookie %+v; want 303 and an HttpOnly cookie on path /", in.Status, hint)
	}
	if a := do(t, "GET", base+"/", map[string]string{"Cookie": "hutong_ui_in=1"}, nil); a.Status != 302 || a.Location != "/ui/" {
		t.Errorf("GET / signed in: %d %q; want 302 /ui/", a.Status, a.Location)
	}

	for _, p := range []string{"/nosuchcode", "/zz9?next=https://evil.example/", "/bad!code", "/nosuchcode/"} {
		if a := get(t, base+p, "Mozilla/5.0"); a.Status != 302 || a.Location != "https://shop.example/sorry" {
			t.Errorf("GET %s with --not-found-url: %d %q; want 302 to the configured URL", p, a.Status, a.Location)
		}
	}
	made := api(t, "POST", base+"/api/v1/links", map[string]any{"target": "https://item.taobao.com/item.htm?id=520813250866", "alias": "known1"})
	if made.Status != 201 {
		t.Fatalf("create: %d %s", made.Status, made.Body)
	}
	if a := get(t, base+"/known1", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0"); a.Status != 302 || !strings.Contains(a.Location, "520813250866") {
		t.Errorf("existing link: %d %q", a.Status, a.Location)
	}
	// A disabled link says so (410), it is not sent to the not-found URL.
	if r := api(t, "PATCH", base+"/api/v1/links/known1", map[string]any{"disabled": true}); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if a := get(t, base+"/known1", "Mozilla/5.0"); a.Status != 410 {
		t.Errorf("disabled link: %d %q; want 410", a.Status, a.Location)
	}

	// Without --not-found-url an unknown code gets hutong's 404 page.
	_, base2 := testMain(t, nil)
	if a := get(t, base2+"/nosuchcode", "Mozilla/5.0"); a.Status != 404 {
		t.Errorf("GET /nosuchcode by default: %d; want 404", a.Status)
	}
}
