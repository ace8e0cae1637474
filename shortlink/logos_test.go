package shortlink_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

func TestNewLogo(t *testing.T) {
	png := storetest.LogoPNG(t, 64, 48, color.NRGBA{0xff, 0x50, 0, 0xff})
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 32, 32)), nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, logo string
		data       []byte
		code, want string
	}{
		{"png", "brand", png, "", ""},
		{"jpeg", "shop-2.v1", jb.Bytes(), "", ""},
		{"empty body", "brand", nil, shortlink.CodeInvalid, "request body"},
		{"not an image", "brand", []byte("GIF89a nope"), shortlink.CodeInvalid, "not a PNG or JPEG"},
		{"truncated png", "brand", png[:len(png)-20], shortlink.CodeInvalid, "corrupt or truncated"},
		{"too large", "brand", append(bytes.Clone(png), make([]byte, shortlink.MaxLogoBytes)...), shortlink.CodeTooLarge, "256 KiB"},
		{"too small", "brand", storetest.LogoPNG(t, 8, 40, color.Black), shortlink.CodeInvalid, "8×40 pixels"},
		{"too big", "brand", storetest.LogoPNG(t, 2049, 16, color.Black), shortlink.CodeInvalid, "2049×16"},
		{"upper-case name", "Brand", png, shortlink.CodeInvalid, "lower-case"},
		{"name with slash", "a/b", png, shortlink.CodeInvalid, "lower-case"},
		{"name starting with dash", "-a", png, shortlink.CodeInvalid, "starting with"},
		{"long name", strings.Repeat("a", 41), png, shortlink.CodeInvalid, "longer than 40"},
		{"no name", "", png, shortlink.CodeInvalid, "required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, img, err := shortlink.NewLogo(tt.logo, tt.data)
			if tt.code == "" {
				if err != nil || img == nil || l.Bytes != len(tt.data) || len(l.SHA256) != 64 || !strings.HasPrefix(l.ContentType, "image/") {
					t.Fatalf("NewLogo = %+v, %v", l, err)
				}
				if !strings.HasPrefix(l.ID(), "logo-"+tt.logo+"-") {
					t.Errorf("ID = %q", l.ID())
				}
				return
			}
			if shortlink.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewLogo: %v; want %s mentioning %q", err, tt.code, tt.want)
			}
		})
	}
}

// FuzzNewLogo: any upload is a Logo that decodes or an *Error, never a
// panic.
func FuzzNewLogo(f *testing.F) {
	f.Add("brand", storetest.LogoPNG(f, 16, 16, color.Black))
	f.Add("x", []byte("\x89PNG\r\n\x1a\n"))
	f.Add("a.b", []byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		l, img, err := shortlink.NewLogo(name, data)
		if err != nil {
			if _, ok := err.(*shortlink.Error); !ok {
				t.Fatalf("error %T %v is not a *shortlink.Error", err, err)
			}
			return
		}
		if img == nil || shortlink.CheckLogoName("name", l.Name) != nil {
			t.Fatalf("accepted %q without an image or with a bad name", name)
		}
		if _, err := shortlink.DecodeLogo(&l); err != nil {
			t.Fatalf("accepted logo does not decode again: %v", err)
		}
	})
}
