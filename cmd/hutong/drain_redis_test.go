package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/testredis"
)

// TestSIGTERMDrainRedis is TestSIGTERMDrainUnderLoad on the Redis store:
// SIGTERM to a hutong process on a private redis-server while 32 clients
// tap an uncapped link, a capped link and /r?u= as fast as they can, each
// tap with its own click ID. No tap gets a 5xx while the process drains,
// and every tap answered 302 is in the Redis event log exactly once (read
// with hutong events), none that was not.
func TestSIGTERMDrainRedis(t *testing.T) {
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(srv.Stop)
	p := startProc(t, "--data", t.TempDir(), "--redis", srv.URL(), "--initial-api-key", adminKey)
	for _, body := range []map[string]any{
		{"target": itemTaobao, "alias": "drain-open"},
		{"target": itemTmall, "alias": "drain-cap", "max_clicks": 1_000_000},
	} {
		if a := api(t, "POST", p.base+"/api/v1/links", body); a.Status != 201 {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
	}
	ua := corpusUA(t, "wechat/ios")
	paths := []string{"/drain-open?", "/drain-cap?", "/r?u=" + url.QueryEscape(itemTaobao) + "&"}
	var mu sync.Mutex
	answered := map[string]bool{}
	var n302, n5xx, nR atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("d%d-%d", w, i)
				req, _ := http.NewRequest("GET", p.base+paths[(w+i)%len(paths)]+"gdt_vid="+id, nil)
				req.Header.Set("User-Agent", ua)
				resp, err := cl.Do(req)
				if err != nil {
					continue // the listener is closed: not answered
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == 302:
					n302.Add(1)
					if strings.HasPrefix(paths[(w+i)%len(paths)], "/r?") {
						nR.Add(1)
					}
					mu.Lock()
					answered[id] = true
					mu.Unlock()
				case resp.StatusCode >= 500:
					n5xx.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	for n302.Load() < 3000 && time.Since(start) < 30*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	rate := float64(n302.Load()) / time.Since(start).Seconds()
	p.signal(t, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit within 30s of SIGTERM")
	}
	close(stop)
	wg.Wait()
	if p.err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", p.err, p.logs)
	}
	t.Logf("%d taps answered 302 (%d of them /r?u=; %.0f taps/s before SIGTERM), %d 5xx", n302.Load(), nR.Load(), rate, n5xx.Load())
	if nR.Load() == 0 {
		t.Errorf("no /r?u= tap answered 302")
	}
	if n5xx.Load() != 0 {
		t.Errorf("%d taps got a 5xx during the drain", n5xx.Load())
	}
	seen, lines := readEvents(t, srv.URL())
	lost, dup, extra := 0, 0, 0
	for id := range answered {
		switch seen[id] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	for id := range seen {
		if !answered[id] {
			extra++
		}
	}
	t.Logf("event log: %d events for %d taps answered: %d lost, %d duplicated, %d not answered", lines, len(answered), lost, dup, extra)
	if lost != 0 || dup != 0 || extra != 0 || lines != len(answered) {
		t.Fatalf("event log after SIGTERM: %d events for %d taps answered 302 (%d lost, %d twice, %d never answered); want one each",
			lines, len(answered), lost, dup, extra)
	}
}
