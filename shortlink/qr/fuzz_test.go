package qr

import (
	"encoding/xml"
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
	for _, s := range []string{"", "size=256", "size=64&level=H&margin=0&fg=000&bg=fff", "ec=q&level=Q", "fg=%23aaa", "size=-1", "margin=99&size=abc", "caption=wechat", "caption=%E6%89%AB&frame=1", "caption=x&frame=0", "frame=2"} {
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

// FuzzCaption renders any accepted caption: the SVG stays well-formed XML
// holding the caption verbatim, and PNG either draws it or names the
// character it lacks.
func FuzzCaption(f *testing.F) {
	for _, s := range []string{"微信扫一扫", "<&>\"'", "扫我😀", "a\x00b", "\xff", "   "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, caption string) {
		if caption == "" {
			return // no caption, no frame: the other tests cover it
		}
		o := Options{Size: 512, Caption: caption}
		if err := o.Validate(); err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Param != "caption" {
				t.Fatalf("%q: %v; want a caption *OptionError", caption, err)
			}
			return
		}
		svg, err := SVG(shortURL, o)
		if err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Param != "size" {
				t.Fatalf("%q: SVG: %v", caption, err)
			}
			return
		}
		var doc svgFramed
		if err := xml.Unmarshal(svg, &doc); err != nil {
			t.Fatalf("%q: SVG is not XML: %v", caption, err)
		}
		if len(doc.Text) != 1 || doc.Text[0].Body != caption {
			t.Fatalf("%q: text %+v", caption, doc.Text)
		}
		if _, err := PNG(shortURL, o); err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) || (oe.Param != "caption" && oe.Param != "size") {
				t.Fatalf("%q: PNG: %v", caption, err)
			}
		}
	})
}
