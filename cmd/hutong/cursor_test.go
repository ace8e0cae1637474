package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/testredis"
)

type cursorPage struct {
	Links []struct{ Code string }
	Next  string
}

// listAll pages GET /api/v1/links?limit=2 through bases in turn (page i
// from bases[i%len]) and returns the codes in order.
func listAll(t *testing.T, bases ...string) []string {
	t.Helper()
	var codes []string
	cur := ""
	for i := 0; ; i++ {
		base := bases[i%len(bases)]
		a := api(t, "GET", base+"/api/v1/links?limit=2&cursor="+url.QueryEscape(cur), nil)
		if a.Status != 200 {
			t.Fatalf("page %d from %s with the cursor of the previous page: %d %s", i, base, a.Status, a.Body)
		}
		var p cursorPage
		decodeJSON(t, a.Body, &p)
		for _, l := range p.Links {
			codes = append(codes, l.Code)
		}
		if p.Next == "" {
			return codes
		}
		cur = p.Next
		if i > 20 {
			t.Fatalf("more than 20 pages of 2 for %d links", len(codes))
		}
	}
}

// wantCursorRefused checks that cursor is answered 400 with a JSON error
// naming the cursor field.
func wantCursorRefused(t *testing.T, base, what, cursor string) {
	t.Helper()
	a := api(t, "GET", base+"/api/v1/links?limit=2&cursor="+url.QueryEscape(cursor), nil)
	var e struct {
		Error struct{ Code, Message, Field string }
	}
	decodeJSON(t, a.Body, &e)
	if a.Status != 400 || e.Error.Field != "cursor" || e.Error.Message == "" || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s cursor %q: %d %s; want 400 JSON naming the cursor", what, cursor, a.Status, a.Body)
	}
}

// TestCursorsAcrossInstances: two instances on one Redis with no
// --cursor-secret agree on the cursor key (generated once, kept in Redis):
// a list paged alternately through A and B reads every link once, in
// order. A tampered or garbage cursor is 400 JSON; an instance with another
// --cursor-secret refuses the others' cursors, and two with the same one
// accept each other's.
func TestCursorsAcrossInstances(t *testing.T) {
	srv, err := testredis.Start(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(srv.Stop)
	on := func(secret string) func(*config.Serve) {
		return func(c *config.Serve) { c.InitialAPIKey = adminKey; c.Redis = srv.URL(); c.CursorSecret = secret }
	}
	_, a := testMain(t, on(""))
	_, b := testMain(t, on(""))
	var want []string
	for i := range 7 {
		code := "cur" + string(rune('a'+i))
		if r := api(t, "POST", a+"/api/v1/links", map[string]any{"target": itemTaobao, "alias": code}); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		want = append(want, code)
	}
	if got := listAll(t, a, b); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("paged through A and B: %v; want %v", got, want)
	}
	first := api(t, "GET", a+"/api/v1/links?limit=2", nil)
	var p cursorPage
	decodeJSON(t, first.Body, &p)
	if p.Next == "" {
		t.Fatalf("no next cursor: %s", first.Body)
	}
	mac, inner, _ := strings.Cut(p.Next, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	for _, c := range []struct{ what, cursor string }{
		{"tampered MAC", flip(mac) + "." + inner},
		{"tampered position", mac + "." + flip(inner)},
		{"MAC-less", inner},
		{"garbage", "AAAA"},
		{"garbage with a dot", "x.y"},
		{"binary", "\x00\xff."},
		{"long", strings.Repeat("A", 5000) + "." + inner},
	} {
		wantCursorRefused(t, b, c.what, c.cursor)
	}

	// An explicit secret: instances that share it agree; one with another
	// secret refuses their cursors.
	_, c := testMain(t, on("one secret for both 0123456789"))
	_, d := testMain(t, on("one secret for both 0123456789"))
	_, e := testMain(t, on("another secret entirely 012345"))
	if got := listAll(t, c, d); len(got) != len(want) {
		t.Fatalf("paged through C and D with one --cursor-secret: %v; want %v", got, want)
	}
	r := api(t, "GET", c+"/api/v1/links?limit=2", nil)
	decodeJSON(t, r.Body, &p)
	wantCursorRefused(t, e, "another secret's", p.Next)
	wantCursorRefused(t, a, "a --cursor-secret instance's (on the generated key)", p.Next)
}

// TestCursorKeyEmbeddedRestart: on the embedded store the generated key is
// kept in DATA/cursor.key, so a cursor survives a restart.
func TestCursorKeyEmbeddedRestart(t *testing.T) {
	data := t.TempDir()
	tweak := func(c *config.Serve) { c.InitialAPIKey = adminKey; c.Data = data }
	m, base := startMain(t, tweak)
	for _, code := range []string{"e-a", "e-b", "e-c"} {
		if r := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "alias": code}); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
	}
	r := api(t, "GET", base+"/api/v1/links?limit=2", nil)
	var p cursorPage
	decodeJSON(t, r.Body, &p)
	closeAll(t, []*Main{m})
	_, base = testMain(t, tweak)
	r = api(t, "GET", base+"/api/v1/links?limit=2&cursor="+url.QueryEscape(p.Next), nil)
	decodeJSON(t, r.Body, &p)
	if r.Status != 200 || len(p.Links) != 1 || p.Links[0].Code != "e-c" {
		t.Fatalf("cursor after a restart: %d %s; want the last link", r.Status, r.Body)
	}
}
