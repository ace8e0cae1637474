package qr

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"
)

const shortURL = "https://hut.ong/aB3xY9k"

// decodeImage reads a QR code from img the way a scanner would: hybrid
// binarizer, finder-pattern detection, no "pure barcode" shortcut.
func decodeImage(img image.Image) (string, error) {
	src := gozxing.NewLuminanceSourceFromImage(img)
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func decodePNG(t *testing.T, data []byte) (image.Image, string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	got, err := decodeImage(img)
	if err != nil {
		t.Fatalf("decoding the QR code: %v", err)
	}
	return img, got
}

// testLogo is a deliberately hostile logo: not square, dark stripes that look
// like modules, a transparent border.
func testLogo() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 240, 160))
	for y := 0; y < 160; y++ {
		for x := 0; x < 240; x++ {
			switch {
			case x < 8 || y < 8 || x >= 232 || y >= 152:
				// transparent
			case (x/20+y/20)%2 == 0:
				img.SetNRGBA(x, y, color.NRGBA{0x10, 0x10, 0x10, 0xff})
			default:
				img.SetNRGBA(x, y, color.NRGBA{0xff, 0x50, 0x00, 0xff})
			}
		}
	}
	return img
}

func TestPNGDecodes(t *testing.T) {
	logo := testLogo()
	orange, _ := ParseColor("ff5000")
	cream, _ := ParseColor("fffbe6")
	navy, _ := ParseColor("#123")
	tests := []struct {
		name string
		text string
		o    Options
	}{
		{"defaults", shortURL, Options{}},
		{"size 64 level L margin 1", "https://hut.ong/a", Options{Size: 64, Level: LevelL, Margin: 1}},
		{"size 128 level M", shortURL, Options{Size: 128, Level: LevelM}},
		{"size 300 level Q margin 2", shortURL, Options{Size: 300, Level: LevelQ, Margin: 2}},
		{"size 512 level H margin 8", shortURL, Options{Size: 512, Level: LevelH, Margin: 8}},
		{"size 2048 margin 16", shortURL, Options{Size: 2048, Margin: 16}},
		{"no margin", shortURL, Options{Size: 256, Margin: NoMargin}},
		{"orange on white", shortURL, Options{Foreground: orange}},
		{"navy on cream", shortURL, Options{Foreground: navy, Background: cream}},
		{"logo", shortURL, Options{Logo: logo}},
		{"logo level L is raised to H", shortURL, Options{Logo: logo, Level: LevelL}},
		{"logo with colours", shortURL, Options{Size: 400, Logo: logo, Foreground: navy, Background: cream}},
		{"logo small size", shortURL, Options{Size: 96, Logo: logo}},
		{"chinese share text", "【淘宝】限时特惠 https://hut.ong/aB3xY9k 点击链接直接打开", Options{Size: 400}},
		{"chinese with logo", "复制这条信息，打开手机淘宝 https://hut.ong/aB3xY9k", Options{Size: 400, Logo: logo}},
		{"long URL", "https://hut.ong/r?u=" + strings.Repeat("https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D1234567890", 4), Options{Size: 600}},
		{"numeric", "12345678901234567890", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := PNG(tt.text, tt.o)
			if err != nil {
				t.Fatalf("PNG: %v", err)
			}
			img, got := decodePNG(t, data)
			if got != tt.text {
				t.Errorf("decoded %q; want %q", got, tt.text)
			}
			want := tt.o.Size
			if want == 0 {
				want = DefaultSize
			}
			b := img.Bounds()
			if b.Dx() != b.Dy() || b.Dx() > want || b.Dx() <= want/2 {
				t.Errorf("image is %dx%d; want square, at most %d and close to it", b.Dx(), b.Dy(), want)
			}
		})
	}
}

// TestLogoEveryVersion checks the logo pad stays inside what level H can
// correct, with a hostile logo, for versions across the whole range and texts
// filling each version.
func TestLogoEveryVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	logo := testLogo()
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/?=&"
	r := rand.New(rand.NewPCG(1, 2))
	for _, v := range []int{4, 5, 7, 9, 10, 13, 16, 20, 22, 25, 30, 40} {
		sym := 17 + 4*v
		for trial := 0; trial < 2; trial++ {
			text := textForVersion(t, r, alphabet, v)
			s, err := Options{Logo: logo, Size: 3 * (sym + 2*DefaultMargin)}.settings()
			if err != nil {
				t.Fatal(err)
			}
			m, err := newMatrix(text, s)
			if err != nil {
				t.Fatalf("v%d: %v", v, err)
			}
			if got := m.n - 2*DefaultMargin; got != sym {
				t.Fatalf("v%d: symbol is %d modules; want %d", v, got, sym)
			}
			img, _ := m.image()
			got, err := decodeImage(img)
			if err != nil || got != text {
				t.Errorf("version %d (pad %d/%d modules, %.1f%% of the symbol): got %q, %v; want %q",
					v, m.padN, sym, 100*float64(m.padN*m.padN)/float64(sym*sym), got, err, text)
			}
		}
	}
}

// textForVersion returns a random text that fills QR version v at level H.
func textForVersion(t *testing.T, r *rand.Rand, alphabet string, v int) string {
	t.Helper()
	lo, hi := 1, 1300
	var text string
	for lo < hi {
		mid := (lo + hi + 1) / 2
		b := make([]byte, mid)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		q, err := qrcode.New(string(b), qrcode.Highest)
		if err != nil || q.VersionNumber > v {
			hi = mid - 1
			continue
		}
		lo = mid
		if q.VersionNumber == v {
			text = string(b)
		}
	}
	if text == "" {
		t.Fatalf("no text fills version %d", v)
	}
	return text
}

// rasterizeSVG parses the SVG produced by this package (viewBox, background
// rect, one path of "M x y h w v1 H x z" runs) and draws it at scale pixels
// per module, so the SVG's own geometry is what gets decoded.
func rasterizeSVG(t *testing.T, data []byte, scale int) (img *image.NRGBA, modules int, doc svgDoc) {
	t.Helper()
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v\n%s", err, data)
	}
	vb := strings.Fields(doc.ViewBox)
	if len(vb) != 4 || vb[0] != "0" || vb[1] != "0" || vb[2] != vb[3] {
		t.Fatalf("viewBox = %q; want \"0 0 N N\"", doc.ViewBox)
	}
	n, _ := strconv.Atoi(vb[2])
	if doc.ShapeRendering != "crispEdges" {
		t.Errorf("shape-rendering = %q; want crispEdges", doc.ShapeRendering)
	}
	if len(doc.Paths) != 1 {
		t.Fatalf("%d paths; want 1", len(doc.Paths))
	}
	bg, err := ParseColor(doc.Rect.Fill)
	if err != nil {
		t.Fatal(err)
	}
	fg, err := ParseColor(doc.Paths[0].Fill)
	if err != nil {
		t.Fatal(err)
	}
	img = image.NewNRGBA(image.Rect(0, 0, n*scale, n*scale))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bg.R, bg.G, bg.B, 0xff
	}
	d := doc.Paths[0].D
	for len(d) > 0 {
		var x, y, w, x2 int
		k, err := fmt.Sscanf(d, "M%d %dh%dv1H%dz", &x, &y, &w, &x2)
		if err != nil || k != 4 || x2 != x || w < 1 || x+w > n || y >= n {
			t.Fatalf("bad path command at %.40q: %v", d, err)
		}
		for yy := y * scale; yy < (y+1)*scale; yy++ {
			for xx := x * scale; xx < (x+w)*scale; xx++ {
				img.SetNRGBA(xx, yy, fg)
			}
		}
		d = d[strings.IndexByte(d, 'z')+1:]
	}
	return img, n, doc
}

type svgDoc struct {
	Width          string `xml:"width,attr"`
	Height         string `xml:"height,attr"`
	ViewBox        string `xml:"viewBox,attr"`
	ShapeRendering string `xml:"shape-rendering,attr"`
	Rect           struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		Fill string `xml:"fill,attr"`
		D    string `xml:"d,attr"`
	} `xml:"path"`
	Images []struct {
		Href string `xml:"http://www.w3.org/1999/xlink href,attr"`
	} `xml:"image"`
}

func TestSVGDecodes(t *testing.T) {
	logo := testLogo()
	navy, _ := ParseColor("123456")
	tests := []struct {
		name string
		text string
		o    Options
	}{
		{"defaults", shortURL, Options{}},
		{"level H margin 2", shortURL, Options{Level: LevelH, Margin: 2}},
		{"no margin colours", shortURL, Options{Margin: NoMargin, Foreground: navy}},
		{"chinese", "【淘宝】限时特惠 https://hut.ong/aB3xY9k", Options{Size: 512}},
		{"logo", shortURL, Options{Logo: logo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := SVG(tt.text, tt.o)
			if err != nil {
				t.Fatalf("SVG: %v", err)
			}
			img, n, doc := rasterizeSVG(t, data, 4)
			got, err := decodeImage(img)
			if err != nil || got != tt.text {
				t.Fatalf("decoded %q, %v; want %q", got, err, tt.text)
			}
			// Same modules, same pixel size as the PNG.
			p, err := PNG(tt.text, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			pimg, _ := png.Decode(bytes.NewReader(p))
			if w := strconv.Itoa(pimg.Bounds().Dx()); doc.Width != w || doc.Height != w {
				t.Errorf("SVG is %sx%s; want %sx%s like the PNG", doc.Width, doc.Height, w, w)
			}
			s, _ := tt.o.settings()
			m, _ := newMatrix(tt.text, s)
			if m.n != n {
				t.Errorf("viewBox has %d modules; want %d", n, m.n)
			}
			px := pimg.Bounds().Dx() / n
			for y := 0; y < n; y++ {
				for x := 0; x < n; x++ {
					if m.padN > 0 && x >= m.pad && x < m.pad+m.padN && y >= m.pad && y < m.pad+m.padN {
						continue // logo drawn over the pad in the PNG
					}
					sv := img.NRGBAAt(x*4+1, y*4+1) != img.NRGBAAt(0, 0)
					r, g, b, _ := pimg.At(x*px+px/2, y*px+px/2).RGBA()
					r0, g0, b0, _ := pimg.At(0, 0).RGBA()
					pv := r != r0 || g != g0 || b != b0
					if sv != pv {
						t.Fatalf("module (%d,%d): SVG dark=%v, PNG dark=%v", x, y, sv, pv)
					}
				}
			}
			if tt.o.Logo != nil {
				if len(doc.Images) != 1 || !strings.HasPrefix(doc.Images[0].Href, "data:image/png;base64,") {
					t.Fatalf("want one data: PNG <image>, got %+v", doc.Images)
				}
				raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(doc.Images[0].Href, "data:image/png;base64,"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
					t.Fatalf("embedded logo: %v", err)
				}
			} else if len(doc.Images) != 0 {
				t.Errorf("unexpected <image> without a logo")
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, o := range []Options{{}, {Size: 300, Level: LevelQ}, {Logo: testLogo()}} {
		p1, err1 := PNG(shortURL, o)
		p2, err2 := PNG(shortURL, o)
		s1, err3 := SVG(shortURL, o)
		s2, err4 := SVG(shortURL, o)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p1, p2) {
			t.Errorf("%+v: PNG differs between calls", o)
		}
		if !bytes.Equal(s1, s2) {
			t.Errorf("%+v: SVG differs between calls", o)
		}
		if ETag(shortURL, o) != ETag(shortURL, o) {
			t.Errorf("%+v: ETag differs between calls", o)
		}
	}
}

func TestETag(t *testing.T) {
	base := ETag(shortURL, Options{})
	if !strings.HasPrefix(base, `"`) || !strings.HasSuffix(base, `"`) || strings.HasPrefix(base, "W/") {
		t.Errorf("ETag %s is not a strong quoted tag", base)
	}
	if got := ETag(shortURL, Options{Size: DefaultSize, Level: LevelM, Margin: DefaultMargin, Foreground: color.Black, Background: color.White}); got != base {
		t.Errorf("explicit defaults give %s; want %s like the zero Options", got, base)
	}
	logo := testLogo()
	other := image.NewNRGBA(logo.Bounds())
	distinct := map[string]string{base: "defaults"}
	for name, e := range map[string]string{
		"text":      ETag(shortURL+"x", Options{}),
		"size":      ETag(shortURL, Options{Size: 300}),
		"level":     ETag(shortURL, Options{Level: LevelH}),
		"margin":    ETag(shortURL, Options{Margin: 2}),
		"no margin": ETag(shortURL, Options{Margin: NoMargin}),
		"fg":        ETag(shortURL, Options{Foreground: color.NRGBA{0, 0, 0x80, 0xff}}),
		"bg":        ETag(shortURL, Options{Background: color.NRGBA{0xff, 0xff, 0xf0, 0xff}}),
		"logo":      ETag(shortURL, Options{Logo: logo}),
		"logo2":     ETag(shortURL, Options{Logo: other}),
		"logo id":   ETag(shortURL, Options{Logo: logo, LogoID: "brand-v1"}),
		"logo id2":  ETag(shortURL, Options{Logo: logo, LogoID: "brand-v2"}),
	} {
		if prev, ok := distinct[e]; ok {
			t.Errorf("%s and %s share ETag %s", name, prev, e)
		}
		distinct[e] = name
	}
	// A logo with the level left at default is drawn at H: same tag.
	if a, b := ETag(shortURL, Options{Logo: logo, LogoID: "x"}), ETag(shortURL, Options{Logo: logo, LogoID: "x", Level: LevelH}); a != b {
		t.Errorf("logo at default level %s; at H %s; want equal", a, b)
	}
}

func TestTextErrors(t *testing.T) {
	if _, err := PNG("", Options{}); !errors.Is(err, ErrEmptyText) {
		t.Errorf("empty text: got %v; want ErrEmptyText", err)
	}
	for _, tt := range []struct {
		name string
		text string
		o    Options
	}{
		{"too long for any QR", strings.Repeat("x", 3000), Options{Level: LevelL, Size: 2048}},
		{"way too long", strings.Repeat("9", 100000), Options{}},
		{"fits at L, not at H", strings.Repeat("x", 2000), Options{Level: LevelH, Size: 2048}},
	} {
		_, err := PNG(tt.text, tt.o)
		if !errors.Is(err, ErrTooLong) {
			t.Errorf("%s: PNG: got %v; want ErrTooLong", tt.name, err)
		}
		if _, err := SVG(tt.text, tt.o); !errors.Is(err, ErrTooLong) {
			t.Errorf("%s: SVG: got %v; want ErrTooLong", tt.name, err)
		}
		if err != nil && !strings.Contains(err.Error(), "level") {
			t.Errorf("%s: error %q does not name the level", tt.name, err)
		}
	}
	// Fits at level L in a 2048 px image…
	if _, err := PNG(strings.Repeat("x", 2000), Options{Level: LevelL, Size: 2048}); err != nil {
		t.Errorf("2000 bytes at L: %v", err)
	}
	// …but not in a 256 px one: a clear size error, not a blurry picture.
	_, err := PNG(strings.Repeat("x", 2000), Options{Level: LevelL})
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Param != "size" || !strings.Contains(err.Error(), "at least") {
		t.Errorf("2000 bytes at 256 px: got %v; want a size OptionError naming the minimum", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name  string
		o     Options
		param string // "" means valid
	}{
		{"zero", Options{}, ""},
		{"min size", Options{Size: MinSize}, ""},
		{"max size", Options{Size: MaxSize}, ""},
		{"size too small", Options{Size: 63}, "size"},
		{"size too big", Options{Size: 2049}, "size"},
		{"negative size", Options{Size: -1}, "size"},
		{"bad level", Options{Level: 9}, "level"},
		{"max margin", Options{Margin: MaxMargin}, ""},
		{"margin too big", Options{Margin: 17}, "margin"},
		{"negative margin", Options{Margin: -2}, "margin"},
		{"grey on white", Options{Foreground: color.Gray{0xc0}}, "fg"},
		{"inverted", Options{Foreground: color.White, Background: color.Black}, "fg"},
		{"same colour", Options{Foreground: color.Black, Background: color.Black}, "fg"},
		{"translucent fg", Options{Foreground: color.NRGBA{0, 0, 0, 0x80}}, "fg"},
		{"transparent bg", Options{Background: color.Transparent}, "bg"},
		{"empty logo", Options{Logo: image.NewRGBA(image.Rectangle{})}, "logo"},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if tt.param == "" {
			if err != nil {
				t.Errorf("%s: Validate() = %v; want nil", tt.name, err)
			}
			continue
		}
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Param != tt.param || !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: Validate() = %v; want an OptionError for %q", tt.name, err, tt.param)
		}
		if _, err := PNG(shortURL, tt.o); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: PNG error = %v; want ErrInvalidOption", tt.name, err)
		}
	}
}

func TestContrastRatio(t *testing.T) {
	if r := ContrastRatio(color.Black, color.White); r < 20.9 || r > 21.1 {
		t.Errorf("black/white = %.2f; want 21", r)
	}
	if r := ContrastRatio(color.White, color.White); r != 1 {
		t.Errorf("white/white = %.2f; want 1", r)
	}
}

func TestPadSide(t *testing.T) {
	for v := 1; v <= 40; v++ {
		sym := 17 + 4*v
		s := padSide(sym)
		if s < 0 || (s > 0 && s%2 == 0) {
			t.Errorf("version %d: pad %d; want odd or 0", v, s)
		}
		if float64(s*s) > MaxLogoArea*float64(sym*sym) {
			t.Errorf("version %d: pad %d covers %.1f%%; want ≤ %.0f%%", v, s, 100*float64(s*s)/float64(sym*sym), 100*MaxLogoArea)
		}
		if s > 0 && (sym-s)/2 < funcMargin {
			t.Errorf("version %d: pad %d reaches the finder patterns", v, s)
		}
		if v >= minLogoVersion && s < 7 {
			t.Errorf("version %d: pad %d modules is too small for a logo", v, s)
		}
	}
}

func TestSizeRounding(t *testing.T) {
	// 23-byte URL at M is version 2: 25 modules + 8 quiet = 33.
	for _, tt := range []struct{ size, want int }{
		{66, 66}, {100, 99}, {256, 231}, {264, 264}, {2048, 2046},
	} {
		data, err := PNG(shortURL, Options{Size: tt.size})
		if err != nil {
			t.Fatalf("size %d: %v", tt.size, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != tt.want || cfg.Height != tt.want {
			t.Errorf("size %d: image %dx%d; want %dx%d", tt.size, cfg.Width, cfg.Height, tt.want, tt.want)
		}
	}
	_, err := PNG(shortURL, Options{Size: 64})
	if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "66") {
		t.Errorf("size 64: got %v; want an error asking for 66 pixels", err)
	}
}
