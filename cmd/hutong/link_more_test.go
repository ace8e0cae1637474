package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
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

// TestHelpUsageLines: every subcommand of every command group (link,
// keys, domains: each line of hutong's usage whose second word lists
// subcommands) answers --help with exit 0, a usage line naming its
// required arguments, and exactly its own flags (keys list has no --name,
// domains list no --reason or --grace). A new subcommand without an
// entry in want, or a stale entry, fails the test.
func TestHelpUsageLines(t *testing.T) {
	client := []string{"api-key", "data", "server"}
	store := []string{"data", "redis"}
	type help struct {
		arg   string   // in the usage line
		flags []string // besides the group's common ones
	}
	want := map[string]map[string]help{
		"link": {
			"create":  {"TARGET", append([]string{"alias", "buy-now", "campaign", "domain", "expires", "max-clicks", "prefer-web", "qr-logo", "qty", "sku", "tags", "title", "tpwd", "utm", "wechat-tpwd-guide"}, client...)},
			"get":     {"CODE", client},
			"delete":  {"CODE", client},
			"list":    {"[flags]", append([]string{"all", "campaign", "q", "tag"}, client...)},
			"import":  {"FILE.csv", append([]string{"csv-out"}, client...)},
			"export":  {"--format", append([]string{"campaign", "format", "o", "q", "sort", "tag"}, client...)},
			"stats":   {"CODE", append([]string{"by", "campaign", "csv", "from", "to"}, client...)},
			"update":  {"CODE", append([]string{"campaign", "description", "domain", "expires", "max-clicks", "qr-logo", "tags", "target", "title"}, client...)},
			"disable": {"CODE...", append([]string{"domain"}, client...)},
			"enable":  {"CODE...", append([]string{"domain"}, client...)},
		},
		"keys": {
			"create": {"--name NAME", append([]string{"name", "scopes"}, store...)},
			"list":   {"[flags]", store},
			"revoke": {"[flags] KEY-ID", store},
		},
		"logos": {
			"add":  {"NAME FILE", client},
			"list": {"[flags]", append([]string{"json"}, client...)},
			"rm":   {"NAME", client},
		},
		"domains": {
			"list":    {"[flags]", append([]string{"json"}, client...)},
			"add":     {"HOST", append([]string{"icp", "pool", "priority", "reason", "role", "status"}, client...)},
			"block":   {"HOST", append([]string{"reason"}, client...)},
			"unblock": {"HOST", append([]string{"reason"}, client...)},
			"retire":  {"HOST", append([]string{"grace", "reason"}, client...)},
		},
	}
	_, top, _ := runCLI(t, "", "--help")
	groups := map[string][]string{}
	for _, line := range strings.Split(top, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "hutong" && strings.Contains(f[2], "|") && !strings.HasPrefix(f[2], "-") {
			groups[f[1]] = strings.Split(f[2], "|")
		}
	}
	if len(groups) != len(want) {
		t.Errorf("command groups in hutong --help: %v; want %d (link, keys, logos, domains)", groups, len(want))
	}
	flagRe := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	for group, subs := range groups {
		if _, out, _ := runCLI(t, "", group, "--help"); !strings.HasPrefix(out, "usage: hutong "+group+" "+strings.Join(subs, "|")) {
			t.Errorf("%s --help: %q; want the subcommands of hutong --help, %s", group, out, strings.Join(subs, "|"))
		}
		if len(subs) != len(want[group]) {
			t.Errorf("%s: subcommands %v; the test knows %d: add the new ones to want", group, subs, len(want[group]))
		}
		for _, sub := range subs {
			w, ok := want[group][sub]
			if !ok {
				t.Errorf("%s %s: not in want: say which flags its --help lists", group, sub)
				continue
			}
			code, _, out := runCLI(t, "", group, sub, "--help")
			first := strings.SplitN(out, "\n", 2)[0]
			if code != 0 || !strings.HasPrefix(first, "usage: hutong "+group+" "+sub+" ") || !strings.Contains(first, w.arg) {
				t.Errorf("%s %s --help: exit %d, %q; want exit 0 and a usage line with %s", group, sub, code, first, w.arg)
			}
			var got []string
			for _, m := range flagRe.FindAllStringSubmatch(out, -1) {
				got = append(got, m[1])
			}
			wantFlags := slices.Clone(w.flags)
			slices.Sort(wantFlags)
			if !slices.Equal(got, wantFlags) { // PrintDefaults lists them sorted
				t.Errorf("%s %s --help lists flags %v; want %v", group, sub, got, wantFlags)
			}
		}
	}
}
