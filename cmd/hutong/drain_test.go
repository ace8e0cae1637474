package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrainUnderLoad sends SIGTERM to a hutong process while 32
// clients tap it as fast as they can: every tap answered 302 is in the
// event store after the restart (no more, no less), and no tap got a 5xx
// while the process drained.
func TestSIGTERMDrainUnderLoad(t *testing.T) {
	data := t.TempDir()
	p := startProc(t, "--data", data, "--initial-api-key", adminKey)
	ua := corpusUA(t, "wechat/ios")
	u := rURL(p.base, itemTaobao)
	var answered, failed5xx atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("User-Agent", ua)
				resp, err := cl.Do(req)
				if err != nil {
					continue // the listener is closed: not answered, not counted
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == 302:
					answered.Add(1)
				case resp.StatusCode >= 500:
					failed5xx.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	for answered.Load() < 2000 && time.Since(start) < 30*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	rate := float64(answered.Load()) / time.Since(start).Seconds()
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
	n := answered.Load()
	t.Logf("%d taps answered 302 (%.0f taps/s before SIGTERM), %d 5xx", n, rate, failed5xx.Load())
	if failed5xx.Load() != 0 {
		t.Errorf("%d taps got a 5xx during the drain", failed5xx.Load())
	}
	p2 := startProc(t, "--data", data, "--initial-api-key", adminKey)
	got, after := 0, "0"
	for {
		a := api(t, "GET", p2.base+"/api/v1/events?limit=1000&since="+url.QueryEscape(after), nil)
		var page struct {
			Events []json.RawMessage
			Next   string
		}
		decodeJSON(t, a.Body, &page)
		if len(page.Events) == 0 {
			break
		}
		got += len(page.Events)
		after = page.Next
	}
	if int64(got) != n {
		t.Fatalf("events after SIGTERM under load and restart: got %d; want %d (one per 302)", got, n)
	}
}
