package qr

import (
	"errors"
	"image/color"
	"net/url"
	"strings"
	"testing"
	"unsafe"
)

func TestParseColor(t *testing.T) {
	tests := []struct {
		in   string
		want color.NRGBA
		ok   bool
	}{
		{"#ff5000", color.NRGBA{0xff, 0x50, 0x00, 0xff}, true},
		{"ff5000", color.NRGBA{0xff, 0x50, 0x00, 0xff}, true},
		{"FF5000", color.NRGBA{0xff, 0x50, 0x00, 0xff}, true},
		{"#abc", color.NRGBA{0xaa, 0xbb, 0xcc, 0xff}, true},
		{"000", color.NRGBA{0, 0, 0, 0xff}, true},
		{" #123456 ", color.NRGBA{0x12, 0x34, 0x56, 0xff}, true},
		{"", color.NRGBA{}, false},
		{"#", color.NRGBA{}, false},
		{"#ff50", color.NRGBA{}, false},
		{"#ff500000", color.NRGBA{}, false},
		{"#gg0000", color.NRGBA{}, false},
		{"red", color.NRGBA{}, false},
		{"##abc", color.NRGBA{}, false},
		{"ｆｆｆ", color.NRGBA{}, false},
	}
	for _, tt := range tests {
		got, err := ParseColor(tt.in)
		if tt.ok != (err == nil) || (tt.ok && got != tt.want) {
			t.Errorf("ParseColor(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidOption) {
			t.Errorf("ParseColor(%q) error %v is not ErrInvalidOption", tt.in, err)
		}
		if err == nil {
			if back, _ := ParseColor(hexColor(got)); back != got {
				t.Errorf("round trip of %q: %v; want %v", tt.in, back, got)
			}
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"": LevelDefault, "l": LevelL, "M": LevelM, "q": LevelQ, "H": LevelH, "high": LevelH, "Quartile": LevelQ} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "HH", "4", "30%"} {
		if _, err := ParseLevel(in); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("ParseLevel(%q) error = %v; want ErrInvalidOption", in, err)
		}
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  Options
		param string // non-empty: want an OptionError for this parameter
		msg   string // and its message contains this
	}{
		{name: "empty", query: "", want: Options{}},
		{name: "all", query: "size=512&level=h&margin=2&fg=123456&bg=%23fffbe6",
			want: Options{Size: 512, Level: LevelH, Margin: 2, Foreground: color.NRGBA{0x12, 0x34, 0x56, 0xff}, Background: color.NRGBA{0xff, 0xfb, 0xe6, 0xff}}},
		{name: "ec alias", query: "ec=Q", want: Options{Level: LevelQ}},
		{name: "level and ec agree", query: "level=q&ec=Q", want: Options{Level: LevelQ}},
		{name: "margin 0 is none", query: "margin=0", want: Options{Margin: NoMargin}},
		{name: "empty values are defaults", query: "size=&level=&fg=", want: Options{}},
		{name: "unknown ignored", query: "format=svg&u=x", want: Options{}},
		{name: "size not a number", query: "size=big", param: "size", msg: "64 to 2048"},
		{name: "size too small", query: "size=10", param: "size", msg: "64 to 2048"},
		{name: "size too big", query: "size=4096", param: "size", msg: "64 to 2048"},
		{name: "size overflow", query: "size=99999999999999999999", param: "size"},
		{name: "bad level", query: "level=X", param: "level", msg: "L, M, Q or H"},
		{name: "bad ec", query: "ec=30", param: "ec", msg: "L, M, Q or H"},
		{name: "level and ec conflict", query: "level=L&ec=H", param: "ec", msg: "conflicts"},
		{name: "margin negative", query: "margin=-1", param: "margin", msg: "0 to 16"},
		{name: "margin too big", query: "margin=17", param: "margin", msg: "0 to 16"},
		{name: "bad fg", query: "fg=blue", param: "fg", msg: "hex colour"},
		{name: "bad bg", query: "bg=%23zzz", param: "bg", msg: "hex colour"},
		{name: "low contrast", query: "fg=aaaaaa", param: "fg", msg: "contrast"},
		{name: "inverted", query: "fg=fff&bg=000", param: "fg", msg: "darker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := OptionsFromQuery(q)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("got error %v", err)
				}
				if ETag("x", got) != ETag("x", tt.want) || got.Size != tt.want.Size || got.Level != tt.want.Level || got.Margin != tt.want.Margin {
					t.Errorf("got %+v; want %+v", got, tt.want)
				}
				return
			}
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Param != tt.param {
				t.Fatalf("got %v; want an OptionError for %q", err, tt.param)
			}
			if !strings.Contains(err.Error(), tt.param) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not name %q and %q", err, tt.param, tt.msg)
			}
		})
	}
}

func TestParseOptionsCopiesValues(t *testing.T) {
	buf := []byte("size=oops")
	_, err := ParseOptions(func(k string) string {
		if k == "size" {
			return unsafe.String(&buf[5], 4) // aliases buf, like reused Fiber memory
		}
		return ""
	})
	copy(buf[5:], "XXXX")
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Value != "oops" {
		t.Errorf("got %v; want Value \"oops\"", err)
	}
}
