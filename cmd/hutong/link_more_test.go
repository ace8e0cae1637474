package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/linkquery"
)

// TestLinkCLI drives hutong link create|import|export|stats|update|
// disable|enable against a real listening server: import exits 1 when a
// row fails (and still creates the others), exports parse back, and each
// subcommand's --help lists only its own flags.
func TestLinkCLI(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey })
	t.Setenv("HUTONG_SERVER", base)
	t.Setenv("HUTONG_API_KEY", "")
	m := func(args ...string) []string { return append(args, "--server", base, "--api-key", adminKey) }

	code, out, errOut := runCLI(t, "", m("link", "create", "--alias", "cli-one", "--tags", "a,b;c", "--title", "标题", "--utm", "utm_source=wechat", itemTmall)...)
	var l struct {
		Code, Title string
		Tags        []string
		UTM         map[string]string
	}
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || l.Code != "cli-one" || !slices.Equal(l.Tags, []string{"a,b", "c"}) || l.Title != "标题" || l.UTM["utm_source"] != "wechat" {
		t.Fatalf("link create: exit %d %s %s", code, out, errOut)
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("target,alias\n"+itemTaobao+",cli-two\n"), 0o644)
	if code, out, errOut = runCLI(t, "", m("link", "import", good)...); code != 0 {
		t.Errorf("import of good rows: exit %d %s %s", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("target,alias\n"+itemTaobao+",cli-three\nnot a taobao link,cli-four\n"), 0o644)
	for _, extra := range [][]string{nil, {"--csv-out"}} {
		alias := "cli-three"
		if extra != nil {
			os.WriteFile(bad, []byte("target,alias\n"+itemTaobao+",cli-five\nnot a taobao link,cli-six\n"), 0o644)
			alias = "cli-five"
		}
		code, out, errOut = runCLI(t, "", m(append([]string{"link", "import", bad}, extra...)...)...)
		if code != 1 || !strings.Contains(errOut, "1 of 2 rows failed") || !strings.Contains(out, alias) {
			t.Errorf("import with a bad row %v: exit %d, out %q, err %q; want exit 1 naming the failure, %s created", extra, code, out, errOut, alias)
		}
	}

	code, out, errOut = runCLI(t, "", m("link", "export", "--sort", "code")...)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || !slices.Equal(recs[0], linkquery.CSVColumns) || len(recs) != 5 || recs[1][0] != "cli-five" {
		t.Errorf("link export: exit %d %v %q %s", code, err, out, errOut)
	}
	jl := filepath.Join(dir, "links.jsonl")
	if code, _, errOut = runCLI(t, "", m("link", "export", "--format", "jsonl", "--q", "cli-one", "-o", jl)...); code != 0 {
		t.Fatalf("export jsonl: %d %s", code, errOut)
	}
	b, _ := os.ReadFile(jl)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"code":"cli-one"`) {
		t.Errorf("export jsonl -o: %q", b)
	}

	get(t, base+"/cli-one", corpusUA(t, "wechat/ios"))
	waitClicks(t, base, "cli-one", 1)
	code, out, errOut = runCLI(t, "", m("link", "stats", "--csv", "cli-one")...)
	recs, err = csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || recs[len(recs)-1][0] != "total" || recs[len(recs)-1][2] != "1" {
		t.Errorf("link stats --csv: exit %d %v %q %s", code, err, out, errOut)
	}
	if code, out, _ = runCLI(t, "", m("link", "stats", "cli-one")...); code != 0 || !strings.Contains(out, `"total_human": 1`) {
		t.Errorf("link stats: exit %d %s", code, out)
	}

	code, out, errOut = runCLI(t, "", m("link", "update", "--campaign", "spring", "--tags", "", "cli-one")...)
	if code != 0 || !strings.Contains(out, `"campaign": "spring"`) || strings.Contains(out, `"tags"`) {
		t.Errorf("link update: exit %d %s %s", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "", m("link", "disable", "cli-one", "cli-two")...); code != 0 || out != "disabled cli-one\ndisabled cli-two\n" {
		t.Errorf("link disable: exit %d %q", code, out)
	}
	if g := get(t, base+"/cli-two", "Mozilla/5.0"); g.Status != 410 {
		t.Errorf("disabled link tap: %d", g.Status)
	}
	if code, _, _ = runCLI(t, "", m("link", "enable", "cli-two")...); code != 0 {
		t.Errorf("link enable: exit %d", code)
	}
	if code, _, errOut = runCLI(t, "", m("link", "update", "cli-two")...); code != 2 || !strings.Contains(errOut, "nothing to change") {
		t.Errorf("update with no flags: exit %d %s; want a usage error", code, errOut)
	}
	if code, _, errOut = runCLI(t, "", "link", "stats"); code != 2 || !strings.Contains(errOut, "CODE") {
		t.Errorf("stats without CODE: exit %d %s", code, errOut)
	}

	// --help of a subcommand: its own flags (and the connection ones) only.
	_, _, help := runCLI(t, "", "link", "export", "--help")
	if !strings.Contains(help, "-sort") || strings.Contains(help, "-max-clicks") || strings.Contains(help, "-alias") {
		t.Errorf("link export --help:\n%s", help)
	}
	_, _, help = runCLI(t, "", "link", "disable", "--help")
	if strings.Contains(help, "-sort") || strings.Contains(help, "-title") {
		t.Errorf("link disable --help:\n%s", help)
	}
}

// TestResolveExpandExitStatus: resolve --expand prints a line for every
// input and exits 1 when a lookup failed (a short link whose server
// answers 500), 0 when all succeeded.
func TestResolveExpandExitStatus(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/h.good" {
			http.Redirect(w, r, itemTaobao, http.StatusFound)
			return
		}
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer fake.Close()
	code, out, errOut := runCLI(t, "", "resolve", "--expand", "--expand-base-url", fake.URL, "https://m.tb.cn/h.good", "https://m.tb.cn/h.bad")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 1 || len(lines) != 2 || !strings.Contains(lines[1], `"error"`) || !strings.Contains(errOut, "1 of 2 inputs") {
		t.Errorf("one failed expansion: exit %d, out %q, err %q; want exit 1 with both lines", code, out, errOut)
	}
	if code, out, errOut = runCLI(t, "", "resolve", "--expand", "--expand-base-url", fake.URL, "https://m.tb.cn/h.good"); code != 0 || !strings.Contains(out, `"expanded"`) {
		t.Errorf("good expansion: exit %d, out %q, err %q", code, out, errOut)
	}
}

// TestHelpUsageLines: every link and keys subcommand's --help starts with
// a usage line naming its required arguments, exits 0, and lists only its
// own flags (keys list has no --name or --scopes).
func TestHelpUsageLines(t *testing.T) {
	for sub, arg := range map[string]string{"create": "TARGET", "get": "CODE", "delete": "CODE", "list": "[flags]", "import": "FILE.csv",
		"export": "--format", "stats": "CODE", "update": "CODE", "disable": "CODE...", "enable": "CODE..."} {
		code, _, help := runCLI(t, "", "link", sub, "--help")
		if code != 0 || !strings.HasPrefix(help, "usage: hutong link "+sub+" ") || !strings.Contains(strings.SplitN(help, "\n", 2)[0], arg) {
			t.Errorf("link %s --help: exit %d, %q; want exit 0 and a usage line with %s", sub, code, help, arg)
		}
	}
	code, _, help := runCLI(t, "", "keys", "list", "--help")
	if code != 0 || !strings.HasPrefix(help, "usage: hutong keys list") || strings.Contains(help, "-name") || strings.Contains(help, "-scopes") {
		t.Errorf("keys list --help: exit %d\n%s", code, help)
	}
	if _, _, help := runCLI(t, "", "keys", "revoke", "--help"); !strings.HasPrefix(help, "usage: hutong keys revoke [flags] KEY-ID") {
		t.Errorf("keys revoke --help:\n%s", help)
	}
}
