package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/linkquery"
)

// waitClicks polls GET /api/v1/links/{code} until its clicks reach want
// (the counters are written in batches) and returns the link's JSON.
func waitClicks(t *testing.T, base, code string, want int64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		a := api(t, "GET", base+"/api/v1/links/"+code, nil)
		var l map[string]any
		decodeJSON(t, a.Body, &l)
		if l["clicks"] == float64(want) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("link %s: clicks %v within 15s; want %d (%s)", code, l["clicks"], want, a.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type listPage struct {
	Links []struct {
		Code      string
		Clicks    int64
		CapClicks int64 `json:"cap_clicks"`
	}
	Total, Page, Pages int
	Sort               string
}

func codes(p listPage) []string {
	var out []string
	for _, l := range p.Links {
		out = append(out, l.Code)
	}
	return out
}

// TestClicksSortAndExport: after 5 human taps (and a bot's) a link's
// clicks is 5 whether or not it has a cap (the cap counter is cap_clicks);
// the list sorts across all links server-side with a total and numbered
// pages; links export as CSV (format=csv or Accept: text/csv) and JSON
// Lines, and stats as CSV, all parsed back.
func TestClicksSortAndExport(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		_, base := testMain(t, tweak)
		ua := corpusUA(t, "wechat/ios")
		camp := "c-" + strings.ReplaceAll(t.Name(), "/", "-")
		var made []string
		for i, body := range []map[string]any{
			{"target": itemTmall, "alias": "zz-old", "campaign": camp, "tags": []string{"a,b", "plain"}},
			{"target": itemTaobao, "alias": "aa-mid", "campaign": camp, "max_clicks": 100},
			{"target": itemTmall, "alias": "mm-new", "campaign": camp},
		} {
			a := api(t, "POST", base+"/api/v1/links", body)
			if a.Status != 201 {
				t.Fatalf("create %d: %d %s", i, a.Status, a.Body)
			}
			made = append(made, body["alias"].(string))
			time.Sleep(2 * time.Millisecond) // distinct created_at
		}
		for i := 0; i < 5; i++ {
			if g := get(t, base+"/aa-mid?from=groupmessage", ua); g.Status != 302 {
				t.Fatalf("tap %d: %d", i, g.Status)
			}
		}
		get(t, base+"/aa-mid", corpusUA(t, "bot/other"))
		get(t, base+"/zz-old", ua)
		l := waitClicks(t, base, "aa-mid", 5)
		if l["cap_clicks"] != float64(5) {
			t.Errorf("capped link: cap_clicks %v; want 5", l["cap_clicks"])
		}
		l = waitClicks(t, base, "zz-old", 1)
		if l["cap_clicks"] != float64(0) {
			t.Errorf("uncapped link: cap_clicks %v; want 0", l["cap_clicks"])
		}

		var p listPage
		a := api(t, "GET", base+"/api/v1/links?sort=-created", nil)
		decodeJSON(t, a.Body, &p)
		if got := codes(p); a.Status != 200 || !slices.Equal(got, []string{"mm-new", "aa-mid", "zz-old"}) || p.Total != 3 || p.Pages != 1 {
			t.Errorf("sort=-created: %d %v total %d pages %d; want newest first, total 3 (%s)", a.Status, got, p.Total, p.Pages, a.Body)
		}
		a = api(t, "GET", base+"/api/v1/links?sort=-clicks", nil)
		decodeJSON(t, a.Body, &p)
		if got := codes(p); !slices.Equal(got, []string{"aa-mid", "zz-old", "mm-new"}) || p.Links[0].Clicks != 5 {
			t.Errorf("sort=-clicks: %v (%s); want aa-mid (5) first", got, a.Body)
		}
		a = api(t, "GET", base+"/api/v1/links?sort=code&limit=2&page=2", nil)
		decodeJSON(t, a.Body, &p)
		if got := codes(p); !slices.Equal(got, []string{"zz-old"}) || p.Page != 2 || p.Pages != 2 || p.Total != 3 {
			t.Errorf("sort=code page 2 of 2: %v page %d/%d total %d", got, p.Page, p.Pages, p.Total)
		}
		a = api(t, "GET", base+"/api/v1/links", nil) // the cursor listing counts too
		decodeJSON(t, a.Body, &p)
		if i := slices.Index(codes(p), "aa-mid"); i < 0 || p.Links[i].Clicks != 5 {
			t.Errorf("plain list: %s; want aa-mid with clicks 5", a.Body)
		}
		for _, bad := range []string{"sort=size", "sort=code&cursor=x", "page=0", "format=xml"} {
			if a := api(t, "GET", base+"/api/v1/links?"+bad, nil); a.Status != 400 || !strings.Contains(a.Body, "invalid") {
				t.Errorf("%s: got %d %s; want 400", bad, a.Status, a.Body)
			}
		}

		// CSV export, both ways of asking.
		for _, ask := range []struct{ q, accept string }{{"?format=csv&sort=-created", ""}, {"?sort=-created", "text/csv"}} {
			hdr := map[string]string{"Authorization": "Bearer " + adminKey}
			if ask.accept != "" {
				hdr["Accept"] = ask.accept
			}
			a := do(t, "GET", base+"/api/v1/links"+ask.q, hdr, nil)
			if a.Status != 200 || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("export %+v: %d %q", ask, a.Status, a.Header.Get("Content-Type"))
			}
			recs, err := csv.NewReader(strings.NewReader(a.Body)).ReadAll()
			if err != nil {
				t.Fatalf("export %+v is not CSV: %v\n%s", ask, err, a.Body)
			}
			if !slices.Equal(recs[0], linkquery.CSVColumns) || len(recs) != 4 {
				t.Fatalf("export %+v: header %v, %d rows; want %v and 3 rows", ask, recs[0], len(recs)-1, linkquery.CSVColumns)
			}
			col := func(row []string, name string) string { return row[slices.Index(recs[0], name)] }
			if col(recs[1], "code") != "mm-new" || col(recs[2], "clicks") != "5" || col(recs[2], "cap_clicks") != "5" ||
				col(recs[3], "tags") != "a,b;plain" || col(recs[2], "short_url") != base+"/aa-mid" || col(recs[3], "kind") != "item" {
				t.Errorf("export %+v rows: %q", ask, recs[1:])
			}
		}
		// JSON Lines, store order.
		a = do(t, "GET", base+"/api/v1/links?format=jsonl", map[string]string{"Authorization": "Bearer " + adminKey}, nil)
		if !strings.HasPrefix(a.Header.Get("Content-Type"), "application/x-ndjson") {
			t.Errorf("jsonl Content-Type %q", a.Header.Get("Content-Type"))
		}
		var got []string
		sc := bufio.NewScanner(strings.NewReader(a.Body))
		for sc.Scan() {
			var l struct {
				Code   string
				Clicks int64
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("jsonl line %q: %v", sc.Text(), err)
			}
			got = append(got, l.Code)
		}
		if !slices.Equal(got, []string{"aa-mid", "mm-new", "zz-old"}) {
			t.Errorf("jsonl codes %v; want store order", got)
		}

		// Stats as CSV: a link's and its campaign's.
		for _, path := range []string{"/api/v1/links/aa-mid/stats?format=csv", "/api/v1/campaigns/" + camp + "/stats?format=csv"} {
			a := api(t, "GET", base+path, nil)
			recs, err := csv.NewReader(strings.NewReader(a.Body)).ReadAll()
			if err != nil || a.Status != 200 || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("%s: %d %v %s", path, a.Status, err, a.Body)
			}
			last := recs[len(recs)-1]
			want := map[string]string{"start": "total", "human": "6", "bot": "1", "scene:group": "5"}
			if strings.HasPrefix(path, "/api/v1/links/") {
				want["human"] = "5"
			}
			for k, v := range want {
				i := slices.Index(recs[0], k)
				if i < 0 || last[i] != v {
					t.Errorf("%s: %s = %v; want %s (header %v, last row %v)", path, k, i, v, recs[0], last)
				}
			}
		}
	})
}
