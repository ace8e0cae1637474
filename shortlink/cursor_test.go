package shortlink_test

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
)

// TestServiceCursorsSigned pages through a real embedded store: the cursors
// List hands out work (also on a second Service with the same key, as a
// second instance would be), and garbage, a store cursor without its MAC
// or one sealed with another key is refused as CodeInvalid naming cursor.
func TestServiceCursorsSigned(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "l.db"), boltstore.Options{NoSync: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	defer st.Close()
	ctx := context.Background()
	svc := shortlink.NewService(st, shortlink.ServiceConfig{CursorKey: []byte("k1")})
	e := resolver.Parse("https://item.taobao.com/item.htm?id=1")
	for _, c := range []string{"aaaa1", "bbbb2", "cccc3"} {
		if _, err := svc.Create(ctx, shortlink.Link{Code: c, Target: e.Canonical, Entity: e}); err != nil {
			t.Fatalf("Create %s: %v", c, err)
		}
	}
	p1, err := svc.List(ctx, shortlink.Filter{Limit: 2})
	if err != nil || p1.Next == "" || len(p1.Links) != 2 {
		t.Fatalf("List page 1 = %d links, next %q, %v; want 2 and a cursor", len(p1.Links), p1.Next, err)
	}
	other := shortlink.NewService(st, shortlink.ServiceConfig{CursorKey: []byte("k1")})
	p2, err := other.List(ctx, shortlink.Filter{Limit: 2, Cursor: p1.Next})
	if err != nil || len(p2.Links) != 1 || p2.Next != "" {
		t.Fatalf("List page 2 = %d links, next %q, %v; want the last link", len(p2.Links), p2.Next, err)
	}
	_, inner, _ := cutDot(p1.Next)
	wrongKey := shortlink.NewService(st, shortlink.ServiceConfig{CursorKey: []byte("k2")})
	for name, c := range map[string]string{
		"garbage":      "!!garbage",
		"nul position": base64.RawURLEncoding.EncodeToString([]byte("\x00\x00\x00")),
		"store cursor": inner,
		"forged mac":   "AAAAAAAAAAAAAAAA." + inner,
		"truncated":    p1.Next[:len(p1.Next)-1],
		"other key's":  "",
	} {
		s := svc
		if name == "other key's" {
			s, c = wrongKey, p1.Next
		}
		_, err := s.List(ctx, shortlink.Filter{Cursor: c})
		if shortlink.ErrorCode(err) != shortlink.CodeInvalid || shortlink.ErrorField(err) != "cursor" {
			t.Errorf("%s: List(cursor %q) = %v; want CodeInvalid on cursor", name, c, err)
		}
	}
}

func cutDot(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
