package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/resolver/remote/toptest"
)

// uiWeChatUA is the WeChat persona of the UI's landing preview
// (internal/ui/landing.go, personas): the preview's answer for it is
// compared with a tap from that User-Agent.
const uiWeChatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN"

// TestOneEntityEverywhere runs every input of testdata/links-dev.jsonl
// through `hutong resolve --expand`, GET /api/v1/resolve, GET /r?u=, the
// UI's live preview (/ui/parse) and the UI's landing preview of a link
// made of it (and a tap on that link), against one running hutong with
// short-link expansion (a local server answering as m.tb.cn does) and
// 淘口令 decoding (toptest, the fake Open Platform, which knows none of the
// corpus tokens: every decode fails, so the failure policy is compared
// too), and requires the same entity and the same answer everywhere.
func TestOneEntityEverywhere(t *testing.T) {
	// Every short link expands to an item page whose id derives from the
	// path, except paths containing "x", which fail, and those containing
	// "y", which lead to another short link (a lookup that leads nowhere).
	fake := newFakeShortLinks(t)
	gw := toptest.New(t, "test-app", "test-secret")
	_, base := testMain(t, func(c *config.Serve) {
		c.InitialAPIKey = adminKey
		c.ExpandBaseURL = fake.URL
		c.TOPAppKey, c.TOPAppSecret, c.TOPGateway = gw.AppKey, gw.AppSecret, gw.RestURL()
	})
	cli := []string{"resolve", "--expand", "--expand-base-url", fake.URL,
		"--top-app-key", gw.AppKey, "--top-app-secret", gw.AppSecret, "--top-gateway", gw.RestURL()}
	ui := uiSession(t, base)

	// One 淘口令 the gateway can decode: minted for a promotion link
	// through the API, then tapped bare.
	m := api(t, "POST", base+"/api/v1/links", map[string]any{"target": "https://uland.taobao.com/coupon/edetail?e=consistency&itemId=639750024278", "tpwd": true})
	var minted struct{ Tpwd struct{ Simple string } }
	decodeJSON(t, m.Body, &minted)
	if m.Status != 201 || minted.Tpwd.Simple == "" {
		t.Fatalf("minting a 淘口令: %d %s", m.Status, m.Body)
	}
	inputs := append(corpusInputs(t), minted.Tpwd.Simple)
	// A link made of that token while the platform is down keeps the
	// token's own entity; once it is back, the landing preview decodes it
	// as a tap does (checked after the corpus).
	gw.SetFailing(true)
	made := api(t, "POST", base+"/api/v1/links", map[string]any{"target": minted.Tpwd.Simple})
	gw.SetFailing(false)
	var early struct {
		Code   string
		Entity resolver.Entity
	}
	decodeJSON(t, made.Body, &early)
	if made.Status != 201 || early.Entity.Kind != resolver.KindPassword {
		t.Fatalf("link made while decoding fails: %d %s", made.Status, made.Body)
	}

	var deepened, failed, linked int
	for i, in := range inputs {
		t.Run(fmt.Sprintf("%03d", i+1), func(t *testing.T) {
			// hutong resolve --expand (and without: the text alone)
			_, out, _ := runCLI(t, "", append(cli, in)...)
			cliE, cliErr := cliEntity(t, out)
			_, plainOut, _ := runCLI(t, "", "resolve", in)
			plainE, _ := cliEntity(t, plainOut)

			// GET /api/v1/resolve
			var res struct {
				Entity      resolver.Entity
				Decision    struct{ Action, Location string }
				LookupError string `json:"lookup_error"`
			}
			a := get(t, base+"/api/v1/resolve?"+url.Values{"u": {in}}.Encode(), uiWeChatUA)
			if a.Status != 200 {
				t.Fatalf("/api/v1/resolve: %d %s", a.Status, a.Body)
			}
			decodeJSON(t, a.Body, &res)
			if !reflect.DeepEqual(res.Entity, cliE) {
				t.Fatalf("entity:\n/api/v1/resolve %+v\nhutong resolve  %+v", res.Entity, cliE)
			}
			if (res.LookupError == "") != (cliErr == "") {
				t.Errorf("lookup error: /api/v1/resolve %q; hutong resolve %q", res.LookupError, cliErr)
			}
			if cliErr != "" {
				failed++
			} else if cliE != plainE {
				deepened++
			}

			// GET /r?u= answers what /api/v1/resolve said it would.
			r := get(t, rURL(base, in), uiWeChatUA)
			checkAnswer(t, "/r", r, res.Decision.Action, res.Decision.Location, res.Entity)

			// The UI's live preview shows what the text itself says.
			var parsed struct{ Entity resolver.Entity }
			p := ui.get(t, "/ui/parse?"+url.Values{"u": {in}}.Encode())
			decodeJSON(t, p, &parsed)
			if !reflect.DeepEqual(parsed.Entity, plainE) {
				t.Fatalf("entity:\n/ui/parse      %+v\nhutong resolve %+v", parsed.Entity, plainE)
			}

			// A link made of it: the UI's landing preview for the WeChat
			// persona and a tap on the link answer as /api/v1/resolve.
			if !res.Entity.Known() && res.Entity.Kind != resolver.KindShort && res.Entity.Kind != resolver.KindPassword {
				return // not a link target
			}
			c := api(t, "POST", base+"/api/v1/links", map[string]any{"target": in})
			if c.Status != 201 {
				t.Fatalf("POST /api/v1/links: %d %s", c.Status, c.Body)
			}
			var l struct{ Code string }
			decodeJSON(t, c.Body, &l)
			linked++
			act, loc := landingOf(t, ui.get(t, "/ui/links/"+l.Code), "land.wechat")
			if act != res.Decision.Action || loc != res.Decision.Location {
				t.Errorf("UI landing preview: %s %q; /api/v1/resolve: %s %q", act, loc, res.Decision.Action, res.Decision.Location)
			}
			checkAnswer(t, "/"+l.Code, get(t, base+"/"+l.Code, uiWeChatUA), res.Decision.Action, res.Decision.Location, res.Entity)
		})
	}
	var res struct {
		Decision struct{ Action, Location string }
	}
	decodeJSON(t, get(t, base+"/api/v1/resolve?"+url.Values{"u": {minted.Tpwd.Simple}}.Encode(), uiWeChatUA).Body, &res)
	if act, loc := landingOf(t, ui.get(t, "/ui/links/"+early.Code), "land.wechat"); act != res.Decision.Action || loc != res.Decision.Location {
		t.Errorf("UI landing preview of a stored 淘口令: %s %q; /api/v1/resolve: %s %q", act, loc, res.Decision.Action, res.Decision.Location)
	}
	checkAnswer(t, "/"+early.Code, get(t, base+"/"+early.Code, uiWeChatUA), res.Decision.Action, res.Decision.Location, resolver.Entity{Kind: resolver.KindItem})

	t.Logf("%d inputs deepened, %d lookups failed, %d made into links", deepened, failed, linked)
	if deepened == 0 || failed == 0 || linked == 0 {
		t.Errorf("the corpus should exercise expansion (%d), failure (%d) and links (%d)", deepened, failed, linked)
	}
}

// checkAnswer holds a tap's answer to the decision /api/v1/resolve gave.
func checkAnswer(t *testing.T, what string, a answer, action, location string, e resolver.Entity) {
	t.Helper()
	switch {
	case action == "redirect":
		if a.Status != 302 || a.Location != location {
			t.Errorf("%s: %d %q; want 302 to %q", what, a.Status, a.Location, location)
		}
	case !e.Known() && e.Kind != resolver.KindShort && e.Kind != resolver.KindPassword:
		if a.Status != 400 {
			t.Errorf("%s: %d; want 400 for an input hutong does not understand", what, a.Status)
		}
	default:
		if a.Status != 200 || a.Location != "" {
			t.Errorf("%s: %d %q; want the %s page", what, a.Status, a.Location, action)
		}
	}
}

// cliEntity is the entity of one `hutong resolve` line: the embedded
// Taobao entity of a wrapper URL, as taps route it.
func cliEntity(t *testing.T, line string) (resolver.Entity, string) {
	t.Helper()
	var out struct {
		resolver.Entity
		Tpwd      string           `json:"tpwd"`
		Canonical string           `json:"canonical"`
		Embedded  *resolver.Entity `json:"embedded"`
		Error     string           `json:"error"`
	}
	decodeJSON(t, line, &out)
	e := out.Entity
	e.Tpwd, e.Canonical = out.Tpwd, out.Canonical
	if out.Embedded != nil {
		e = *out.Embedded
	}
	return e, out.Error
}

func corpusInputs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "links-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ins []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var row struct{ Input string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, row.Input)
	}
	return ins
}

func newFakeShortLinks(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "x") {
			http.Error(w, "gone", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if strings.Contains(r.URL.Path, "y") {
			io.WriteString(w, `<html><head><script>var url = 'https://m.tb.cn/h.again';</script></head></html>`)
			return
		}
		h := fnv.New32a()
		io.WriteString(h, r.URL.Path)
		fmt.Fprintf(w, `<html><head><script>var url = 'https://item.taobao.com/item.htm?id=6%011d\x26spm=a.b';</script></head></html>`, h.Sum32())
	}))
	t.Cleanup(s.Close)
	return s
}

type uiClient struct {
	base string
	c    *http.Client
}

// uiSession signs in to the web UI with the admin key.
func uiSession(t *testing.T, base string) *uiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &uiClient{base, &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: noFollow.CheckRedirect}}
	login := u.get(t, "/ui/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)
	if m == nil {
		t.Fatalf("no csrf on the login page:\n%.1000s", login)
	}
	resp, err := u.c.PostForm(base+"/ui/login", url.Values{"csrf": {m[1]}, "key": {adminKey}, "next": {"/ui/links"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return u
}

func (u *uiClient) get(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u.base+path, nil)
	req.Header.Set("Accept-Language", "en")
	resp, err := u.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %.500s", path, resp.StatusCode, b)
	}
	return string(b)
}

var landingRE = regexp.MustCompile(`(?s)<li data-who="([^"]+)" data-action="([^"]+)">(.*?)</li>`)
var locRE = regexp.MustCompile(`<p class="url small loc">([^<]*)</p>`)

// landingOf is the action and location the link page's landing preview
// shows for persona who.
func landingOf(t *testing.T, page, who string) (action, location string) {
	t.Helper()
	for _, m := range landingRE.FindAllStringSubmatch(page, -1) {
		if m[1] != who {
			continue
		}
		if l := locRE.FindStringSubmatch(m[3]); l != nil {
			location = html.UnescapeString(l[1])
		}
		return m[2], location
	}
	t.Fatalf("no landing for %s on the link page:\n%.2000s", who, page)
	return "", ""
}
