package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/track"
)

// TestEventsEveryTap: N taps over real HTTP (mixed clients, some with ad
// click IDs, from several goroutines) and `hutong events --source … --since
// 0` prints exactly N clicks, each once with its click IDs, and the link's
// stats total N, on both stores (embedded read through the running server's
// API; Redis read straight from Redis and through the API, and as a
// consumer group whose second read finds nothing left).
func TestEventsEveryTap(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		m, base := testMain(t, func(c *config.Serve) { tweak(c); c.EventFlushInterval = 20 * time.Millisecond })
		a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
		if a.Status != 201 {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		var l apiLink
		decodeJSON(t, a.Body, &l)
		uas := []string{corpusUA(t, "wechat/ios"), corpusUA(t, "wechat/android"), corpusUA(t, "browser/ios"), ""}
		const n, workers = 2000, 8
		var wg sync.WaitGroup
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < n; i += workers {
					u := base + "/" + l.Code
					if i%3 == 0 {
						u += fmt.Sprintf("?gdt_vid=wx%05d&callback=cb%d", i, i)
					}
					req, _ := http.NewRequest("GET", u, nil)
					req.Header.Set("User-Agent", uas[i%len(uas)])
					resp, err := client.Do(req)
					if err != nil {
						errs <- err
						return
					}
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		waitEvents(t, m, n)

		check := func(name string, args ...string) {
			t.Helper()
			var out, errb bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if code := run(ctx, append([]string{"events"}, args...), nil, &out, &errb); code != 0 {
				t.Fatalf("%s: exit %d: %s", name, code, errb.String())
			}
			ids, clicks := map[string]bool{}, 0
			sc := bufio.NewScanner(&out)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var ev track.LoggedEvent
				if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
					t.Fatalf("%s: line %q: %v", name, sc.Text(), err)
				}
				if ids[ev.ID] || ev.ID == "" {
					t.Fatalf("%s: event id %q twice or empty", name, ev.ID)
				}
				ids[ev.ID] = true
				if ev.Code != l.Code {
					t.Fatalf("%s: event %s for code %q; want %q", name, ev.ID, ev.Code, l.Code)
				}
				if v := ev.ClickIDs["gdt_vid"]; v != "" {
					clicks++
					i, err := strconv.Atoi(strings.TrimPrefix(v, "wx"))
					if err != nil || ev.ClickIDs["callback"] != "cb"+strconv.Itoa(i) {
						t.Fatalf("%s: click IDs %v do not belong together", name, ev.ClickIDs)
					}
				}
			}
			if len(ids) != n || clicks != (n+2)/3 {
				t.Fatalf("%s: %d events, %d with click IDs; want %d and %d", name, len(ids), clicks, n, (n+2)/3)
			}
		}
		check("http", "--source", base, "--since", "0", "--api-key", adminKey)
		// The raw route, its next cursor pasted into the URL unescaped
		// (its "+" arrives as a space).
		seen, next := 0, "0"
		for range n {
			r := api(t, "GET", base+"/api/v1/events?limit=500&after="+next, nil)
			var p track.EventPage
			decodeJSON(t, r.Body, &p)
			if r.Status != 200 {
				t.Fatalf("events after=%s: %d %s", next, r.Status, r.Body)
			}
			if len(p.Events) == 0 {
				break
			}
			seen += len(p.Events)
			next = p.Next
		}
		if seen != n {
			t.Fatalf("paging /api/v1/events by after=<next unescaped>: %d events; want %d", seen, n)
		}
		if m.Config.Redis != "" {
			check("redis", "--source", m.Config.Redis, "--since", "0")
			check("redis group", "--source", m.Config.Redis, "--since", "0", "--group", "adsys", "--consumer", "c1")
			var out, errb bytes.Buffer
			if code := run(context.Background(), []string{"events", "--source", m.Config.Redis, "--group", "adsys", "--consumer", "c1"}, nil, &out, &errb); code != 0 || out.Len() != 0 {
				t.Fatalf("group read again: exit %d, %d bytes (%s); want nothing left", code, out.Len(), errb.String())
			}
		}
		st := api(t, "GET", base+"/api/v1/links/"+l.Code+"/stats", nil)
		var stats struct{ Total, Bot int64 }
		decodeJSON(t, st.Body, &stats)
		if st.Status != 200 || stats.Total != n || stats.Bot != n/4 {
			t.Fatalf("stats: %d %s; want total %d, bot %d (no User-Agent)", st.Status, st.Body, n, n/4)
		}
	})
}

// TestEventsBadInput: the events command and route refuse what they
// cannot read with a message a person can act on.
func TestEventsBadInput(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey })
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--source is needed"},
		{[]string{"--source", "ftp://x"}, "want redis://"},
		{[]string{"--source", base}, "needs --api-key"},
		{[]string{"--source", base, "--api-key", adminKey, "--since", "yesterday"}, "RFC 3339"},
		{[]string{"--source", base, "--api-key", adminKey, "--group", "g"}, "--group needs"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"events"}, tc.args...), nil, &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("events %v: exit %d, %q; want an error saying %q", tc.args, code, errb.String(), tc.want)
		}
	}
	for _, q := range []string{"since=garbage", "since=1-2,3-4", "since=1-2%2Bx", "limit=0"} {
		r := api(t, "GET", base+"/api/v1/events?"+q, nil)
		if r.Status != 400 || !strings.Contains(r.Body, "message") {
			t.Errorf("GET /api/v1/events?%s: %d %s; want 400 with a message", q, r.Status, r.Body)
		}
	}
}
