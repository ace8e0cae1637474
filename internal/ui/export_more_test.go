package ui_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/ui"
)

// TestEventsExportButton: the overview's export form downloads the click
// events of the chosen range as CSV (parsed back: one row per tap, the
// link's code) or JSON Lines; a range it does not offer is a 400 page in
// the page's language.
func TestEventsExportButton(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {"ev-me"}, "action": {"create"}})
	for range 4 {
		b.get("/ev-me?from=groupmessage&gdt_vid=g1", "User-Agent", wechatUA)
	}
	b.get("/ui/overview").must(t, http.StatusOK, `action="/ui/events/export"`, `name="since"`, "Export click events")
	var rows [][]string
	for deadline := time.Now().Add(5 * time.Second); ; {
		p := b.get("/ui/events/export?since=1d&format=csv")
		if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d %v", p.Status, p.Header)
		}
		var err error
		if rows, err = csv.NewReader(strings.NewReader(p.Body)).ReadAll(); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(rows) != 5 || strings.Join(rows[0], ",") != strings.Join(linkquery.EventColumns, ",") {
		t.Fatalf("export rows %q; want the header and 4 taps", rows)
	}
	for _, r := range rows[1:] {
		if r[2] != "ev-me" || r[10] != "group" || r[18] != "gdt_vid=g1" {
			t.Errorf("row %q: want code ev-me, scene group, click_ids gdt_vid=g1", r)
		}
	}
	j := b.get("/ui/events/export?since=all&format=jsonl")
	if j.Status != http.StatusOK || strings.Count(j.Body, "\n") != 4 || !strings.Contains(j.Body, `"code":"ev-me"`) {
		t.Errorf("jsonl export: %d %q", j.Status, j.Body)
	}
	b.get("/ui/events/export?since=99y").must(t, http.StatusBadRequest, "That range is not valid.")
	b.lang = "zh-CN"
	b.cookies["hutong_ui_lang"] = "zh-CN"
	b.get("/ui/events/export?since=99y").must(t, http.StatusBadRequest, "时间范围无效")
}

// TestSignedInHint: sign-in sets the path-/ hint cookie that lets GET /
// send the browser to the UI, and sign-out clears it; GET / without it is
// the home page with a sign-in link.
func TestSignedInHint(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.get("/").must(t, http.StatusOK, `href="/ui/login"`, "Sign in")
	tok := b.signIn(adminKey)
	if b.cookies[ui.SignedInCookie] == "" {
		t.Fatal("no hint cookie after sign-in")
	}
	if p := b.get("/"); p.Status != http.StatusFound || p.Header.Get("Location") != "/ui/" {
		t.Fatalf("GET / signed in: %d %q", p.Status, p.Header.Get("Location"))
	}
	b.post("/ui/logout", url.Values{"csrf": {tok}})
	if b.cookies[ui.SignedInCookie] != "" {
		t.Fatal("hint cookie kept after sign-out")
	}
	b.get("/").must(t, http.StatusOK, `href="/ui/login"`)
}

// TestTagPage: a tag's page sums its links' taps with the campaign page's
// charts and breakdowns (values named in the page's language), lists its
// links by clicks, and the list's and link page's tag chips lead to it.
func TestTagPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	for _, a := range []string{"tag-a", "tag-b"} {
		b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {a}, "tags": {"夏季 sale;x"}, "action": {"create"}})
	}
	b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {"tag-c"}, "tags": {"other"}, "action": {"create"}})
	for _, a := range []string{"tag-a", "tag-a", "tag-b", "tag-c"} {
		b.get("/"+a+"?from=groupmessage", "User-Agent", wechatUA)
	}
	path := "/ui/tags/" + url.PathEscape("夏季 sale")
	var p page
	for deadline := time.Now().Add(5 * time.Second); ; {
		p = b.get(path)
		if strings.Contains(p.Body, `<strong id="stat-human">3</strong>`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.must(t, http.StatusOK, `<strong id="stat-human">3</strong>`, "Tag", `class="tschart"`, "tag-a", "tag-b", "2 links")
	if strings.Contains(p.Body, "tag-c") {
		t.Error("tag page lists a link without the tag")
	}
	b.get("/ui/links").must(t, http.StatusOK, `href="`+path+`"`)
	b.get("/ui/links/tag-a").must(t, http.StatusOK, `href="`+path+`"`)
	b.get("/ui/tags/nope").must(t, http.StatusOK, "No link has this tag yet.")
	b.cookies["hutong_ui_lang"] = "zh-CN"
	b.get(path).must(t, http.StatusOK, "标签", "群聊")
}

// TestImportRowErrorsInChinese: on a Chinese page every bulk-import row
// error is worded in Chinese (target not understood, alias taken or
// malformed, a field too long), not shortlink's English.
func TestImportRowErrorsInChinese(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.lang = "zh-CN"
	tok := b.signIn(adminKey)
	csvFile := "target,alias,campaign\n" +
		"https://item.taobao.com/item.htm?id=7,zh-one,\n" +
		"https://example.com/not-taobao,zh-two,\n" +
		"https://item.taobao.com/item.htm?id=8,zh-one,\n" +
		"https://item.taobao.com/item.htm?id=9,a!,\n" +
		"https://item.taobao.com/item.htm?id=10,zh-four," + strings.Repeat("c", 200) + "\n"
	r := b.postMultipart("/ui/import", map[string]string{"csrf": tok, "format": "auto"}, "links.csv", []byte(csvFile))
	r.must(t, http.StatusOK, "hutong 看不懂", "这个后缀已被使用", "后缀只能用", "“活动”太长了")
	for _, en := range []string{"not a Taobao", "taken", "may contain only", "longer than the limit"} {
		if strings.Contains(r.Body, en) {
			t.Errorf("Chinese import page shows English %q", en)
		}
	}
}

// TestEnglishPlurals: a count of one is singular in English (1 person,
// 1 bot, in the totals and the chart's titles), plural otherwise.
func TestEnglishPlurals(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {"one-tap"}, "action": {"create"}})
	b.get("/one-tap", "User-Agent", wechatUA)
	var p page
	for deadline := time.Now().Add(5 * time.Second); ; {
		p = b.get("/ui/links/one-tap")
		if strings.Contains(p.Body, `<strong id="stat-human">1</strong>`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.must(t, http.StatusOK, `<strong id="stat-human">1</strong> person`, `<strong id="stat-bot">0</strong> bots`, ": 1 person, 0 bots</title>")
	b.get("/ui/overview").must(t, http.StatusOK, `<strong id="ov-today">1</strong> person today`)
}
