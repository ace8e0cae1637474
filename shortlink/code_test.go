package shortlink_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 2000 {
		c := shortlink.NewCode(0)
		if len(c) != shortlink.DefaultCodeLength {
			t.Fatalf("NewCode(0) = %q; want %d characters", c, shortlink.DefaultCodeLength)
		}
		if strings.ContainsAny(c, "0O1lI") {
			t.Fatalf("NewCode = %q contains a look-alike", c)
		}
		if seen[c] {
			t.Fatalf("NewCode repeated %q", c)
		}
		seen[c] = true
		for _, r := range c {
			counts[r]++
		}
	}
	if len(counts) != len(shortlink.Alphabet) {
		t.Errorf("2000 codes used %d characters; want all %d", len(counts), len(shortlink.Alphabet))
	}
	if n := len(shortlink.NewCode(12)); n != 12 {
		t.Errorf("NewCode(12) has %d characters", n)
	}
}

func TestValidateCode(t *testing.T) {
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{"abc", true},
		{"spring_sale-2026", true},
		{strings.Repeat("a", 64), true},
		{"ab", false},
		{strings.Repeat("a", 65), false},
		{"with space", false},
		{"a/b", false},
		{"淘宝好物", false},
		{"api", false},
		{"API", false},
		{"healthz", false},
		{"Metrics", false},
		{"robots.txt", false},
	} {
		err := shortlink.ValidateCode(tc.code)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateCode(%q) = %v; want ok=%v", tc.code, err, tc.ok)
		}
		if err != nil && shortlink.ErrorCode(err) != shortlink.CodeInvalid {
			t.Errorf("ValidateCode(%q) code = %q; want invalid", tc.code, shortlink.ErrorCode(err))
		}
		if got := shortlink.IsCode(tc.code); got != tc.ok {
			t.Errorf("IsCode(%q) = %v; want %v", tc.code, got, tc.ok)
		}
	}
	// The server asks IsCode of every path: no allocation, valid or not.
	for _, c := range []string{"abc", "r", "healthz", "a/b"} {
		if n := testing.AllocsPerRun(100, func() { shortlink.IsCode(c) }); n != 0 {
			t.Errorf("IsCode(%q) allocates %v times; want 0", c, n)
		}
	}
	// Every reserved word is refused in any case (IsCode looks words up by
	// length), and a code one letter off one is not.
	for _, w := range shortlink.ReservedWords() {
		for _, v := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:]} {
			if shortlink.IsCode(v) || shortlink.ValidateCode(v) == nil {
				t.Errorf("reserved word %q accepted as a code", v)
			}
		}
		if len(w) >= shortlink.MinAliasLength && !strings.ContainsAny(w, ".") {
			if v := w + "x"; !shortlink.IsCode(v) {
				t.Errorf("IsCode(%q) = false; only %q is reserved", v, w)
			}
		}
	}
	words := shortlink.ReservedWords()
	words[0] = "changed"
	if !shortlink.IsReserved("api") {
		t.Error("ReservedWords returned the package's own slice")
	}
}

func TestLinkValidate(t *testing.T) {
	now := storetest.Base
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	base := func() shortlink.Link {
		return shortlink.Link{Code: "ok-code", Target: "https://item.taobao.com/item.htm?id=1"}
	}
	for _, tc := range []struct {
		name string
		edit func(*shortlink.Link)
		ok   bool
	}{
		{"valid", func(l *shortlink.Link) {}, true},
		{"future expiry", func(l *shortlink.Link) { l.ExpiresAt = &future }, true},
		{"past expiry", func(l *shortlink.Link) { l.ExpiresAt = &past }, false},
		{"no target", func(l *shortlink.Link) { l.Target = "" }, false},
		{"negative max clicks", func(l *shortlink.Link) { l.MaxClicks = -1 }, false},
		{"too many tags", func(l *shortlink.Link) { l.Tags = strings.Split(strings.Repeat("t,", 20)+"t", ",") }, false},
		{"duplicate tag", func(l *shortlink.Link) { l.Tags = []string{"a", "a"} }, false},
		{"empty tag", func(l *shortlink.Link) { l.Tags = []string{""} }, false},
		{"upper-case domain", func(l *shortlink.Link) { l.Domain = "Go.Example.com" }, false},
		{"bad image", func(l *shortlink.Link) { l.Image = "javascript:alert(1)" }, false},
		{"reserved code", func(l *shortlink.Link) { l.Code = "api" }, false},
	} {
		l := base()
		tc.edit(&l)
		err := l.ValidateCreate(now)
		if (err == nil) != tc.ok {
			t.Errorf("%s: ValidateCreate = %v; want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && shortlink.ErrorCode(err) != shortlink.CodeInvalid {
			t.Errorf("%s: code %q; want invalid", tc.name, shortlink.ErrorCode(err))
		}
	}
}

func TestErrorVocabulary(t *testing.T) {
	err := shortlink.Errorf(shortlink.CodeConflict, "alias %q is taken", "x")
	wrapped := &wrapErr{err}
	if shortlink.ErrorCode(wrapped) != shortlink.CodeConflict || shortlink.ErrorMessage(wrapped) != `alias "x" is taken` {
		t.Errorf("through a wrapper: code %q message %q", shortlink.ErrorCode(wrapped), shortlink.ErrorMessage(wrapped))
	}
	if shortlink.ErrorCode(nil) != "" || shortlink.ErrorCode(context.Canceled) != shortlink.CodeInternal {
		t.Error("ErrorCode(nil) or of a foreign error is wrong")
	}
}

type wrapErr struct{ err error }

func (w *wrapErr) Error() string { return "ctx: " + w.err.Error() }
func (w *wrapErr) Unwrap() error { return w.err }

func TestServiceCodeCollisions(t *testing.T) {
	ctx := context.Background()
	s := boltStore(t)
	defer s.Close()
	// Every code of length 7 collides; the service must grow the length.
	var calls atomic.Int64
	svc := shortlink.NewService(s, shortlink.ServiceConfig{
		Now: func() time.Time { return storetest.Base },
		NewCode: func(n int) string {
			calls.Add(1)
			if n == 7 {
				return "Taken77"
			}
			return shortlink.NewCode(n)
		},
	})
	if _, err := s.Create(ctx, shortlink.Link{Code: "Taken77", Target: "x"}); err != nil {
		t.Fatal(err)
	}
	l, err := svc.Create(ctx, shortlink.Link{Target: "https://item.taobao.com/item.htm?id=1"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if len(l.Code) != 8 || calls.Load() != 4 {
		t.Errorf("code %q after %d attempts; want 8 characters after 4", l.Code, calls.Load())
	}
	if _, err := svc.Create(ctx, shortlink.Link{Code: "Taken77", Target: "x"}); shortlink.ErrorCode(err) != shortlink.CodeConflict {
		t.Errorf("Create with a taken alias: err = %v; want conflict", err)
	}
}
