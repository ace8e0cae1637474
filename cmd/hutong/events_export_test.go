package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/track"
)

// TestEventsExport (a real listener, embedded store): the click events of
// a time range as CSV (?format=csv) and JSON Lines (Accept:
// application/x-ndjson) from GET /api/v1/events, read over several pages
// of the log, and from `hutong events --format csv`, each parsed back: every
// tap once, with its click IDs; a range that ends before the taps holds
// none; a reversed range is a 400 naming the parameter.
func TestEventsExport(t *testing.T) {
	m, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.EventFlushInterval = 20 * time.Millisecond })
	a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "campaign": "d11"})
	if a.Status != 201 {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	var l apiLink
	decodeJSON(t, a.Body, &l)
	start := time.Now()
	const n = 1150 // more than one page (1000) of the log
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	for i := range n {
		u := base + "/" + l.Code
		if i%5 == 0 {
			u += fmt.Sprintf("?gdt_vid=wx%d&utm_source=a,b", i)
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	waitEvents(t, m, n)

	since := url.QueryEscape(start.Add(-time.Second).Format(time.RFC3339Nano))
	checkCSV := func(name, body string, want int) {
		t.Helper()
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v (%d rows)", name, err, len(rows))
		}
		if strings.Join(rows[0], ",") != strings.Join(linkquery.EventColumns, ",") {
			t.Fatalf("%s: header %q", name, rows[0])
		}
		ids, withIDs := map[string]bool{}, 0
		for _, r := range rows[1:] {
			ev := map[string]string{}
			for i, c := range linkquery.EventColumns {
				ev[c] = r[i]
			}
			if ids[ev["id"]] || ev["code"] != l.Code || ev["campaign"] != "d11" || ev["app"] != "wechat" {
				t.Fatalf("%s: row %q twice or not this link's WeChat tap", name, r)
			}
			ids[ev["id"]] = true
			if ev["click_ids"] != "" {
				q, err := url.ParseQuery(ev["click_ids"])
				if err != nil || !strings.HasPrefix(q.Get("gdt_vid"), "wx") || q.Get("utm_source") != "a,b" {
					t.Fatalf("%s: click_ids %q", name, ev["click_ids"])
				}
				withIDs++
			}
		}
		if len(ids) != want || (want == n && withIDs != n/5) {
			t.Fatalf("%s: %d events, %d with click IDs; want %d (%d)", name, len(ids), withIDs, want, n/5)
		}
	}

	r := api(t, "GET", base+"/api/v1/events?format=csv&since="+since, nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), "hutong-events-") {
		t.Fatalf("events csv: %d %v", r.Status, r.Header)
	}
	checkCSV("api csv", r.Body, n)

	r = do(t, "GET", base+"/api/v1/events?since=1h", map[string]string{"Authorization": "Bearer " + adminKey, "Accept": "application/x-ndjson"}, nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-ndjson") {
		t.Fatalf("events jsonl: %d %v", r.Status, r.Header)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(r.Body))
	for sc.Scan() {
		var ev track.LoggedEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Code != l.Code || seen[ev.ID] {
			t.Fatalf("jsonl line %q: %v", sc.Text(), err)
		}
		seen[ev.ID] = true
	}
	if len(seen) != n {
		t.Fatalf("jsonl: %d events; want %d", len(seen), n)
	}

	before := url.QueryEscape(start.Add(-time.Hour).Format(time.RFC3339))
	r = api(t, "GET", base+"/api/v1/events?format=csv&since=2h&until="+before, nil)
	checkCSV("range before the taps", r.Body, 0)
	if r := api(t, "GET", base+"/api/v1/events?format=csv&since=1h&until=2h", nil); r.Status != 400 || !strings.Contains(r.Body, "since must be before until") {
		t.Errorf("reversed range: %d %s; want 400", r.Status, r.Body)
	}
	if r := api(t, "GET", base+"/api/v1/events?format=csv&until=soon", nil); r.Status != 400 || !strings.Contains(r.Body, "until") {
		t.Errorf("bad until: %d %s; want 400 naming until", r.Status, r.Body)
	}

	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if code := run(ctx, []string{"events", "--source", base, "--api-key", adminKey, "--since", "0", "--until", start.Add(-time.Hour).Format(time.RFC3339), "--format", "csv"}, nil, &out, &errb); code != 0 {
		t.Fatalf("cli --until: exit %d %s", code, errb.String())
	}
	checkCSV("cli csv until before the taps", out.String(), 0)
	out.Reset()
	if code := run(ctx, []string{"events", "--source", base, "--api-key", adminKey, "--since", "1h", "--format", "csv"}, nil, &out, &errb); code != 0 {
		t.Fatalf("cli csv: exit %d %s", code, errb.String())
	}
	checkCSV("cli csv", out.String(), n)
	if code := run(ctx, []string{"events", "--source", base, "--api-key", adminKey, "--format", "xml"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--format") {
		t.Errorf("cli --format xml: exit %d %s; want 2 naming --format", code, errb.String())
	}
}
