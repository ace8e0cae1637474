package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/shortlink"
)

func TestCatalogueComplete(t *testing.T) {
	for k, v := range messages {
		if v[0] == "" || v[1] == "" {
			t.Errorf("message %q lacks a language: %q", k, v)
		}
	}
	c := catalogue()
	if c[pages.LangZH]["nav.new"] != "新建短链" || c[pages.LangEN]["nav.new"] != "New link" {
		t.Fatal("catalogue languages swapped")
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]bool{
		"/ui": true, "/ui/links": true, "/ui/links?tag=a&q=b": true,
		"": false, "/": false, "/uix": false, "//evil.example": false, "/ui//evil.example": false,
		"/ui/\\evil": false, "https://evil.example/ui/": false, "/ui/a b": false, "/ui/\r\nSet-Cookie:x": false,
		"javascript:alert(1)": false, "/api/v1/links": false,
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %v; want %v", next, got, want)
		}
	}
}

type memKeys struct {
	shortlink.KeyStore
	keys []shortlink.APIKey
}

func (m *memKeys) ListKeys(context.Context) ([]shortlink.APIKey, error) { return m.keys, nil }

func TestSessionCookie(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	k, err := shortlink.NewAPIKey("htk_0123456789abcdefghij", "k", []shortlink.Scope{shortlink.ScopeWrite}, now)
	if err != nil {
		t.Fatal(err)
	}
	store := &memKeys{keys: []shortlink.APIKey{k}}
	s := &sessions{keys: store, ttl: time.Hour, now: func() time.Time { return now }, logout: map[string]time.Time{}}
	v, issued := s.issue(&k)
	got, err := s.verify(context.Background(), v)
	if err != nil || got.Key.ID != k.ID || got.csrf() != issued.csrf() || !got.checkCSRF(issued.csrf()) {
		t.Fatalf("verify: %v %+v", err, got)
	}
	if got.checkCSRF("") || got.checkCSRF(issued.csrf()[1:]+"A") {
		t.Fatal("a wrong CSRF token passes")
	}
	// Another install's secret, a flipped byte, an expired cookie, a revoked
	// key: all refused.
	other := &sessions{keys: store, secret: []byte("x"), ttl: time.Hour, now: s.now, logout: map[string]time.Time{}}
	if _, err := other.verify(context.Background(), v); err == nil {
		t.Error("cookie valid under another secret")
	}
	if _, err := s.verify(context.Background(), tamper(v)); err == nil {
		t.Error("tampered cookie accepted")
	}
	later := &sessions{keys: store, ttl: time.Hour, now: func() time.Time { return now.Add(2 * time.Hour) }, logout: map[string]time.Time{}}
	if _, err := later.verify(context.Background(), v); err == nil {
		t.Error("expired cookie accepted")
	}
	revoked := k
	at := now
	revoked.RevokedAt = &at
	store.keys = []shortlink.APIKey{revoked}
	if _, err := s.verify(context.Background(), v); err == nil {
		t.Error("cookie of a revoked key accepted")
	}
}

func TestChart(t *testing.T) {
	loc := track.ChinaTime
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, loc)
	to := time.Date(2026, 11, 25, 10, 0, 0, 0, loc)
	series := []track.Bucket{{Start: time.Date(2026, 11, 22, 0, 0, 0, 0, loc), Counts: track.Counts{Human: 7, Bot: 2}}}
	pts := fillSeries(series, from, to, "day", loc)
	if len(pts) != 6 || pts[2].Human != 7 || pts[2].Bot != 2 || pts[0].Human != 0 {
		t.Fatalf("points: %+v", pts)
	}
	svg := chartSVG(pts, `a <b> "c"`, "people", "bots")
	for _, want := range []string{`aria-label="a &lt;b&gt; &#34;c&#34;"`, "11-22: 7 people, 2 bots", `fill="#d9480f"`, ">20<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(svg, "style=") {
		t.Error("chart uses style attributes (blocked by the CSP)")
	}
	for m, want := range map[int64]int64{0: 4, 3: 4, 5: 8, 9: 20, 21: 40, 81: 200, 1001: 2000} {
		if got := niceMax(m); got != want {
			t.Errorf("niceMax(%d) = %d; want %d", m, got, want)
		}
	}
	if h := fillSeries(nil, to.Add(-47*time.Hour).Truncate(time.Hour), to.Add(time.Second), "hour", loc); len(h) != 48 {
		t.Errorf("48h: %d points", len(h))
	}
}

// tamper changes one character of the cookie's payload.
func tamper(v string) string {
	b := []byte(v)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}
