package domains

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckerFake(t *testing.T) {
	var flap atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("d") {
		case "ok.test":
			w.Write([]byte(`{"status":"ok"}`))
		case "hard.test":
			w.Write([]byte(`{"status":"blocked"}`))
		case "soft.test":
			w.Write([]byte(`{"status":"复制到浏览器打开"}`))
		case "trans.test":
			w.Write([]byte(`页面被转码`))
		case "slow.test":
			time.Sleep(300 * time.Millisecond)
			w.Write([]byte(`{"status":"blocked"}`))
		case "garbage.test":
			w.Write([]byte("\xff\xfe"))
		case "limited.test":
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"status":"blocked"}`))
		case "flap.test":
			if flap.Add(1)%2 == 1 {
				w.Write([]byte(`{"status":"blocked"}`))
			} else {
				w.Write([]byte(`{"status":"ok"}`))
			}
		}
	}))
	defer srv.Close()
	c := &Checker{
		Templates:  []string{srv.URL + "/check?d={host}"},
		Classifier: Classifier{Blocked: regexp.MustCompile(`"blocked"`), Soft: regexp.MustCompile(`复制到浏览器打开`)},
		Timeout:    100 * time.Millisecond,
	}
	want := map[string]Verdict{"ok.test": OK, "hard.test": Hard, "soft.test": Soft, "trans.test": Transcoded,
		"slow.test": Unknown, "garbage.test": Unknown, "limited.test": Unknown}
	var hosts []string
	for h := range want {
		hosts = append(hosts, h)
	}
	got := c.Round(context.Background(), hosts)
	for h, v := range want {
		if got[h][0] != v {
			t.Errorf("%s: got %s; want %s", h, got[h][0], v)
		}
	}
	// flapping: hard, ok, hard, ok never reaches blocked; timeouts block nothing.
	d := Domain{Host: "flap.test", Status: Active}
	s := Domain{Host: "slow.test", Status: Active}
	for range 4 {
		r := c.Round(context.Background(), []string{"flap.test", "slow.test"})
		Policy{}.Apply(&d, r["flap.test"], t0)
		Policy{}.Apply(&s, r["slow.test"], t0)
	}
	if d.Status == Blocked || s.Status != Active {
		t.Fatalf("flap got %s, slow got %s; want not blocked, active", d.Status, s.Status)
	}
}

// TestCheckerRetryAfter: a checker that answers 429 with Retry-After is
// not asked again until then; its verdicts meanwhile are unknown.
func TestCheckerRetryAfter(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	now := t0
	c := &Checker{Templates: []string{srv.URL + "/?d={host}"}, Parallel: 1, Now: func() time.Time { return now }}
	r := c.Round(context.Background(), []string{"a.test", "b.test"})
	if n := asked.Load(); n != 1 || r["a.test"][0] != Unknown || r["b.test"][0] != Unknown {
		t.Fatalf("first round: asked %d times, verdicts %v; want 1 request (then paused), unknown", n, r)
	}
	now = now.Add(119 * time.Second)
	c.Round(context.Background(), []string{"a.test"})
	if n := asked.Load(); n != 1 {
		t.Errorf("asked %d times within Retry-After; want 1", n)
	}
	now = now.Add(2 * time.Second)
	c.Round(context.Background(), []string{"a.test"})
	if n := asked.Load(); n != 2 {
		t.Errorf("asked %d times after Retry-After; want 2", n)
	}
}
