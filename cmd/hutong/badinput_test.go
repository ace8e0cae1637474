package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/resolver"
)

// jsonError checks that a 4xx answer is the JSON error shape with a
// message, and returns the error object.
func jsonError(t *testing.T, what string, a answer) (code, message, field string) {
	t.Helper()
	if !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: %d with Content-Type %q; want JSON: %.200s", what, a.Status, a.Header.Get("Content-Type"), a.Body)
		return
	}
	var b struct {
		Error struct{ Code, Message, Field string }
	}
	if err := json.Unmarshal([]byte(a.Body), &b); err != nil || b.Error.Message == "" {
		t.Errorf("%s: %d body %.200q is not {\"error\":{\"message\":…}}", what, a.Status, a.Body)
	}
	return b.Error.Code, b.Error.Message, b.Error.Field
}

// TestBadValuesRefused sends every bad value of issue 23 through POST,
// PATCH, bulk and key creation of a running hutong: each answers 4xx with
// a JSON message naming the field, and nothing changes.
func TestBadValuesRefused(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey })
	const item = "https://item.taobao.com/item.htm?id=123456789"
	a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": item, "alias": "keepme", "title": "before"})
	if a.Status != 201 {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	before := api(t, "GET", base+"/api/v1/links/keepme", nil).Body
	countLinks := func() int {
		var p struct{ Links []json.RawMessage }
		decodeJSON(t, api(t, "GET", base+"/api/v1/links?limit=100", nil).Body, &p)
		return len(p.Links)
	}
	n0 := countLinks()
	long := strings.Repeat("x", 100<<10)
	cases := []struct {
		name, method, path, body, field string
		status                          int
	}{
		{"post/target invalid utf-8", "POST", "/links", `{"target":"` + item + "\xff\xfe" + `"}`, "", 400},
		{"post/title invalid utf-8", "POST", "/links", `{"target":"` + item + `","title":"a` + "\xc3\x28" + `"}`, "", 400},
		{"post/title NUL", "POST", "/links", `{"target":"` + item + `","title":"a\u0000b"}`, "title", 400},
		{"post/target NUL", "POST", "/links", `{"target":"` + item + `\u0000"}`, "target", 400},
		{"post/description NUL", "POST", "/links", `{"target":"` + item + `","description":"\u0000"}`, "description", 400},
		{"post/campaign escape", "POST", "/links", `{"target":"` + item + `","campaign":"a\u001b[31m"}`, "campaign", 400},
		{"post/tag NUL", "POST", "/links", `{"target":"` + item + `","tags":["a\u0000"]}`, "tags", 400},
		{"post/expires year 0", "POST", "/links", `{"target":"` + item + `","expires_at":"0000-01-01T00:00:00Z"}`, "expires_at", 400},
		{"post/expires past", "POST", "/links", `{"target":"` + item + `","expires_at":"2001-01-01T00:00:00Z"}`, "expires_at", 400},
		{"post/quantity 1e9", "POST", "/links", `{"target":"` + item + `","route":{"buy_now":true,"quantity":1000000000}}`, "route.quantity", 400},
		{"post/utm 100KB", "POST", "/links", `{"target":"` + item + `","utm":{"utm_source":"` + long + `"}}`, "utm.utm_source", 400},
		{"post/javascript wrapper", "POST", "/links", `{"target":"javascript:alert(1)//` + item + `"}`, "target", 400},
		{"post/text/plain", "POST", "/links", `{"target":"` + item + `"}`, "", 415},
		{"patch/title invalid utf-8", "PATCH", "/links/keepme", `{"title":"` + "\xff" + `"}`, "", 400},
		{"patch/title NUL", "PATCH", "/links/keepme", `{"title":"\u0000"}`, "title", 400},
		{"patch/expires year 0", "PATCH", "/links/keepme", `{"expires_at":"0000-01-01T00:00:00Z"}`, "expires_at", 400},
		{"patch/expires past", "PATCH", "/links/keepme", `{"expires_at":"2001-01-01T00:00:00Z"}`, "expires_at", 400},
		{"patch/quantity 1e9", "PATCH", "/links/keepme", `{"route":{"quantity":1000000000}}`, "route.quantity", 400},
		{"patch/utm 100KB", "PATCH", "/links/keepme", `{"utm":{"utm_campaign":"` + long + `"}}`, "utm.utm_campaign", 400},
		{"patch/target javascript", "PATCH", "/links/keepme", `{"target":"javascript:alert(1)//` + item + `"}`, "target", 400},
		{"patch/text/plain", "PATCH", "/links/keepme", `{"title":"after"}`, "", 415},
		{"keys/name 1MB", "POST", "/keys", `{"name":"` + strings.Repeat("k", 1<<20) + `","scopes":["read"]}`, "name", 400},
		{"keys/name NUL", "POST", "/keys", `{"name":"a\u0000","scopes":["read"]}`, "name", 400},
		{"keys/text/plain", "POST", "/keys", `{"name":"ci","scopes":["read"]}`, "", 415},
		{"list/garbage cursor", "GET", "/links?cursor=AAAA", "", "cursor", 400},
		{"list/forged cursor", "GET", "/links?cursor=" + url.QueryEscape("x.AGtlZXBtZQ"), "", "cursor", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"Authorization": "Bearer " + adminKey, "Content-Type": "application/json"}
			if strings.HasSuffix(tc.name, "text/plain") {
				hdr["Content-Type"] = "text/plain"
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			a := do(t, tc.method, base+"/api/v1"+tc.path, hdr, body)
			if a.Status != tc.status {
				t.Fatalf("%d %.300s; want %d", a.Status, a.Body, tc.status)
			}
			_, _, field := jsonError(t, tc.name, a)
			if tc.field != "" && field != tc.field {
				t.Errorf("error.field = %q; want %q (%.300s)", field, tc.field, a.Body)
			}
		})
	}
	// Bulk rows go through the same rules, row by row.
	bulk := `{"target":"` + item + `","title":"\u0000"}` + "\n" + `{"target":"javascript:x//` + item + `"}` + "\n" + `{"target":"` + item + `","route":{"quantity":1000000000}}`
	a = do(t, "POST", base+"/api/v1/links/bulk", map[string]string{"Authorization": "Bearer " + adminKey, "Content-Type": "application/x-ndjson"}, strings.NewReader(bulk))
	var br struct{ Created, Failed int }
	decodeJSON(t, a.Body, &br)
	if br.Created != 0 || br.Failed != 3 {
		t.Errorf("bulk of 3 bad rows: created %d failed %d; want 0, 3: %s", br.Created, br.Failed, a.Body)
	}
	if got := api(t, "GET", base+"/api/v1/links/keepme", nil).Body; got != before {
		t.Errorf("the link changed after refused PATCHes:\n got %s\nwant %s", got, before)
	}
	if n := countLinks(); n != n0 {
		t.Errorf("%d links after refused creates; want %d", n, n0)
	}
	// A Taobao URL wrapped in another host is stored as the canonical URL.
	a = api(t, "POST", base+"/api/v1/links", map[string]any{"target": "https://evil.example/go?u=" + item})
	if a.Status == 201 {
		var l struct{ Target string }
		decodeJSON(t, a.Body, &l)
		if want := resolver.Parse(item).Canonical; l.Target != want {
			t.Errorf("wrapped target stored as %q; want the canonical %q", l.Target, want)
		}
	} else if a.Status >= 500 {
		t.Errorf("wrapped target: %d", a.Status)
	}
}

// TestOversizeChunkedBodyIsJSON413: a chunked body over the limit gets
// the JSON error, as a Content-Length one does.
func TestOversizeChunkedBodyIsJSON413(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey })
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "POST /api/v1/links HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", adminKey)
	chunk := strings.Repeat("a", 1<<20)
	go func() {
		for range 12 { // 12 MiB > the 8 MiB default limit
			fmt.Fprintf(w, "%x\r\n%s\r\n", len(chunk), chunk)
		}
		fmt.Fprintf(w, "0\r\n\r\n")
		w.Flush()
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("status %d; want 413", resp.StatusCode)
	}
	jsonError(t, "chunked 413", answer{Status: resp.StatusCode, Header: resp.Header, Body: string(b)})
}

// TestBadInputEveryOpenAPIRoute sends hostile path parameters, queries,
// bodies and content types to every operation in openapi.json of a
// running hutong: no answer is a 5xx, and every 4xx is JSON.
func TestBadInputEveryOpenAPIRoute(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey })
	raw, err := os.ReadFile("../../internal/server/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	pathValues := []string{"%00", "%ff%fe", strings.Repeat("a", 5000), "..%2f..%2fetc", "%0d%0aSet-Cookie:x", "%E2%80%AE", "null", "-1"}
	queryValues := []string{"\x00", "\xff", strings.Repeat("9", 400), "-1", "1e99", "NaN", "../../", "javascript:alert(1)", "\r\nX: y", "2026-13-45", "%"}
	bodies := []struct{ ct, body string }{
		{"application/json", `{`},
		{"application/json", `[]`},
		{"application/json", `{"target":1}`},
		{"application/json", strings.Repeat("[", 10000)},
		{"application/json", "{\"target\":\"\xff\"}"},
		{"application/json", `{"target":"https://item.taobao.com/item.htm?id=1"}{}`},
		{"text/plain", `{"target":"https://item.taobao.com/item.htm?id=1"}`},
		{"text/csv", "target\n\x00\xff\n"},
		{"application/x-ndjson", "{\"target\":\"\x00\"}\n{"},
		{"multipart/form-data; boundary=x", "--x\r\n"},
		{"", "\x00\x01\x02"},
	}
	param := regexp.MustCompile(`\{([a-z]+)\}`)
	n := 0
	check := func(what string, a answer) {
		t.Helper()
		n++
		if a.Status >= 500 {
			t.Errorf("%s: %d %.200s", what, a.Status, a.Body)
		} else if a.Status >= 400 {
			jsonError(t, what, a)
		}
	}
	for p, ops := range doc.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			for _, auth := range []string{"Bearer " + adminKey, "Bearer wrong", ""} {
				hdr := map[string]string{"Authorization": auth}
				for _, v := range pathValues {
					u := base + "/api/v1" + param.ReplaceAllString(p, v)
					check(method+" "+u, do(t, method, u, hdr, nil))
				}
				for _, prm := range op.Parameters {
					if prm.In != "query" {
						continue
					}
					for _, v := range queryValues {
						u := base + "/api/v1" + param.ReplaceAllString(p, "abc123") + "?" + prm.Name + "=" + url.QueryEscape(v)
						check(method+" "+u, do(t, method, u, hdr, nil))
					}
				}
				if method == "POST" || method == "PATCH" {
					for _, b := range bodies {
						h := map[string]string{"Authorization": auth, "Content-Type": b.ct}
						u := base + "/api/v1" + param.ReplaceAllString(p, "abc123")
						check(fmt.Sprintf("%s %s [%s %.40q]", method, u, b.ct, b.body), do(t, method, u, h, strings.NewReader(b.body)))
					}
				}
			}
		}
	}
	t.Logf("%d bad-input requests, no 5xx", n)
}

// sameSite: a /ui path a browser resolves on this host.
func sameSite(loc string) bool {
	u, err := url.Parse(loc)
	return err == nil && strings.HasPrefix(loc, "/ui") && !strings.HasPrefix(loc, "//") &&
		!strings.ContainsAny(loc, "\\\r\n\t") && u.Host == "" && u.Scheme == "" && u.User == nil
}

var nextField = regexp.MustCompile(`name="next" value="([^"]*)"`)

// TestOpenRedirectsRefused: hostile targets through /r?u=, the UI's next=
// and link creation never produce a Location outside the allowlist.
func TestOpenRedirectsRefused(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey })
	attacks := []string{
		"https://evil.com/item.htm?id=1",
		"https://item.taobao.com.evil.com/item.htm?id=1",
		"https://evil-taobao.com/item.htm?id=1",
		"https://taobao.com.evil.com/",
		"https://evil.com/?u=item.taobao.com",
		"https://item.taobao.com@evil.com/item.htm?id=1",
		"https://evil.com\\@item.taobao.com/item.htm?id=1",
		"https://evil.com%2f@item.taobao.com/",
		"https://evil.com%23.taobao.com/",
		"https://%65vil.com/item.htm?id=1",
		"https://item.taobao.com%2eevil.com/",
		"https://xn--tobao-lya.com/item.htm?id=1",
		"https://tаobao.com/item.htm?id=1", // Cyrillic а
		"https://item.taobao.com\r\nLocation: https://evil.com/",
		"https://item.taobao.com%0d%0aLocation:%20https://evil.com/",
		"javascript:alert(1)//https://item.taobao.com/item.htm?id=1",
		"data:text/html,<script>alert(1)</script>",
		"vbscript:msgbox(1)",
		"//evil.com/item.htm?id=1",
		"\\\\evil.com\\item.htm",
		"https:evil.com",
		"ftp://item.taobao.com/item.htm?id=1",
		"https://evil.com:443@item.taobao.com:80@evil.com/",
		"https://[::1]/item.htm?id=1",
		"https://127.0.0.1/item.htm?id=1",
		"https://2130706433/",
		"https://evil.com/item.taobao.com/item.htm?id=1",
	}
	allowed := func(loc string) bool {
		if loc == "" || strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, "/\\") {
			return true // no redirect, or one inside hutong
		}
		u, err := url.Parse(loc)
		if err != nil {
			return false
		}
		if u.Scheme == "tbopen" || u.Scheme == "intent" || u.Scheme == "taobao" || u.Scheme == "tmall" {
			return true
		}
		_, ok := resolver.IsTaobaoHost(u.Hostname())
		return ok && (u.Scheme == "https" || u.Scheme == "http") && u.User == nil
	}
	uas := []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323a) NetType/WIFI Language/zh_CN",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
	}
	for _, in := range attacks {
		for _, ua := range uas {
			a := get(t, rURL(base, in), ua)
			if a.Status >= 300 && a.Status < 400 && !allowed(a.Location) {
				t.Errorf("/r?u=%q: %d to %q", in, a.Status, a.Location)
			}
			if a.Status >= 500 {
				t.Errorf("/r?u=%q: %d", in, a.Status)
			}
			if strings.Contains(a.Body, "evil.com") && strings.Contains(strings.ToLower(a.Body), "http-equiv=\"refresh\"") {
				t.Errorf("/r?u=%q: a meta refresh page mentions evil.com", in)
			}
		}
		// Creating a link from it: refused, or stored as the canonical URL.
		a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": in})
		if a.Status == 201 {
			var l struct{ Code, Target string }
			decodeJSON(t, a.Body, &l)
			if u, err := url.Parse(l.Target); err != nil || !allowed(l.Target) || u.Scheme == "" {
				t.Errorf("POST target %q stored as %q", in, l.Target)
			}
			for _, ua := range uas {
				if tap := get(t, base+"/"+l.Code, ua); tap.Status >= 300 && tap.Status < 400 && !allowed(tap.Location) {
					t.Errorf("tap on a link made from %q: %d to %q", in, tap.Status, tap.Location)
				}
			}
		} else if a.Status >= 500 {
			t.Errorf("POST target %q: %d", in, a.Status)
		}
	}
	nexts := []string{"https://evil.com/", "//evil.com/", "/\\evil.com", "/ui//evil.com", "/ui/\\evil.com", "/ui/%0d%0aLocation:evil.com",
		"/ui/../../evil", "javascript:alert(1)", "/ui@evil.com", "http:/evil.com", "\t//evil.com", "/%2fevil.com", "/ui/links\r\nX: y"}
	for _, nx := range nexts {
		a := get(t, base+"/ui/lang?to=en&next="+url.QueryEscape(nx), uas[1])
		loc := a.Location
		if a.Status >= 300 && a.Status < 400 && !sameSite(loc) {
			t.Errorf("/ui/lang?next=%q: %d to %q", nx, a.Status, loc)
		}
		a = get(t, base+"/ui/login?next="+url.QueryEscape(nx), uas[1])
		// The sign-in form carries next on: only a same-site /ui path
		// (percent-escapes and dot segments stay on this host).
		if m := nextField.FindStringSubmatch(a.Body); a.Status >= 500 || m == nil || !sameSite(m[1]) {
			t.Errorf("/ui/login?next=%q: %d, the form's next is %q", nx, a.Status, m)
		}
	}
}
