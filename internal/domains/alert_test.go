package domains

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestNotifierRetriesAndSigns(t *testing.T) {
	secret := []byte("s3cret")
	var mu sync.Mutex
	var calls int
	var got []Alert
	keys := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		sig := r.Header.Get(SignatureHeader)
		var ts int64
		for i := 2; i < len(sig); i++ {
			if sig[i] == ',' {
				ts, _ = parseInt(sig[2:i])
				break
			}
		}
		if want := Sign(secret, body, time.Unix(ts, 0)); sig != want {
			t.Errorf("signature got %q; want %q", sig, want)
		}
		if calls < 3 { // two failures before success
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var a Alert
		if err := json.Unmarshal(body, &a); err != nil {
			t.Error(err)
		}
		keys[r.Header.Get("Idempotency-Key")] = true
		got = append(got, a)
	}))
	defer srv.Close()
	n := &Notifier{URL: srv.URL, Secret: secret, Backoff: 5 * time.Millisecond}
	a := Alert{Host: "s2.test", Pool: "default", Role: Entry, Status: Blocked, Previous: Suspect, At: t0, Reason: "2 hard verdicts"}
	if err := n.Send(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if calls != 3 || len(got) != 1 || got[0].Host != "s2.test" || got[0].Status != Blocked || len(keys) != 1 {
		t.Fatalf("got %d calls, %+v; want 3 calls and one delivered alert for s2.test", calls, got)
	}
}

func TestNotifierGivesUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	n := &Notifier{URL: srv.URL, Retries: 2, Backoff: time.Millisecond}
	if err := n.Send(context.Background(), Alert{Host: "a.test"}); err == nil {
		t.Fatal("got nil; want an error after the retries")
	}
}

func parseInt(s string) (int64, error) {
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n, nil
}
