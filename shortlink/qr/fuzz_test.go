package qr

import (
	"errors"
	"net/url"
	"testing"
)

func FuzzParseColor(f *testing.F) {
	for _, s := range []string{"#ff5000", "abc", "#ABC", "", "#", "zzzzzz", " 123456 ", "#12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseColor(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("ParseColor(%q): error %v is not ErrInvalidOption", s, err)
			}
			return
		}
		if c.A != 0xff {
			t.Fatalf("ParseColor(%q) = %v; want opaque", s, c)
		}
		if back, err := ParseColor(hexColor(c)); err != nil || back != c {
			t.Fatalf("round trip of %q: %v, %v; want %v", s, back, err, c)
		}
	})
}

func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{"", "size=256", "size=64&level=H&margin=0&fg=000&bg=fff", "ec=q&level=Q", "fg=%23aaa", "size=-1", "margin=99&size=abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		o, err := OptionsFromQuery(q)
		if err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Param == "" || oe.Reason == "" {
				t.Fatalf("%q: error %v is not a complete *OptionError", raw, err)
			}
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("%q: parsed options do not validate: %v", raw, err)
		}
		_ = ETag("x", o)
	})
}
