package qr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"testing"
)

func TestCaptionPNGDecodes(t *testing.T) {
	navy, _ := ParseColor("123456")
	cream, _ := ParseColor("fffbe6")
	tests := []struct {
		name string
		o    Options
	}{
		{"wechat 128", Options{Size: 128, Caption: "微信扫一扫"}},
		{"wechat 256", Options{Size: 256, Caption: "微信扫一扫"}},
		{"wechat 512", Options{Size: 512, Caption: "微信扫一扫"}},
		{"wechat 1024 level H", Options{Size: 1024, Level: LevelH, Caption: "微信扫一扫"}},
		{"taobao 300 margin 2", Options{Size: 300, Margin: 2, Caption: "打开淘宝扫一扫"}},
		{"no margin", Options{Size: 400, Margin: NoMargin, Caption: "扫码领券"}},
		{"24 characters 512", Options{Size: 512, Caption: "扫一扫，领取双十一专属优惠券，限时三天有效！"}},
		{"ascii", Options{Size: 256, Caption: "Scan me & save 20%"}},
		{"colours", Options{Size: 400, Foreground: navy, Background: cream, Caption: "天猫旗舰店"}},
		{"logo", Options{Size: 400, Logo: testLogo(), Caption: "微信扫一扫"}},
		{"frame only", Options{Size: 256, Frame: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := PNG(shortURL, tt.o)
			if err != nil {
				t.Fatalf("PNG: %v", err)
			}
			img, got := decodePNG(t, data)
			if got != shortURL {
				t.Errorf("decoded %q; want %q", got, shortURL)
			}
			b := img.Bounds()
			if b.Dx() > tt.o.Size || b.Dx() <= tt.o.Size/2 {
				t.Errorf("image is %d wide; want at most %d and close to it", b.Dx(), tt.o.Size)
			}
			if tt.o.Caption == "" && b.Dy() != b.Dx() {
				t.Errorf("frame only: image is %dx%d; want square", b.Dx(), b.Dy())
			}
			if tt.o.Caption != "" && b.Dy() <= b.Dx() {
				t.Errorf("image is %dx%d; want taller than wide (caption band)", b.Dx(), b.Dy())
			}
		})
	}
}

// ink returns the bounding box of pixels darker than the midpoint between
// fg and bg inside r, and how many there are.
func ink(img image.Image, r image.Rectangle) (box image.Rectangle, n int) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if (cr+cg+cb)/3 < 0x8000 {
				n++
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box, n
}

func captionLayout(t *testing.T, o Options) (*matrix, frameLayout) {
	t.Helper()
	s, err := o.settings()
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMatrix(shortURL, s)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.layoutFrame()
	if err != nil {
		t.Fatal(err)
	}
	return m, l
}

// TestCaptionPixels checks the caption is really drawn where the layout
// says: ink only inside the caption band, centred, with the shape of the
// glyphs (一 is a flat bar, | a tall one), and different text gives
// different pixels.
func TestCaptionPixels(t *testing.T) {
	render := func(t *testing.T, o Options) image.Image {
		t.Helper()
		data, err := PNG(shortURL, o)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	band := func(l frameLayout) image.Rectangle {
		return image.Rect(l.stroke, l.capTop, l.w-l.stroke, l.capTop+l.capH)
	}
	for _, size := range []int{128, 256, 512, 1024} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			o := Options{Size: size, Caption: "一"}
			_, l := captionLayout(t, o)
			img := render(t, o)
			if b := img.Bounds(); b.Dx() != l.w || b.Dy() != l.h {
				t.Fatalf("image %v; layout says %dx%d", b, l.w, l.h)
			}
			box, n := ink(img, band(l))
			if n == 0 {
				t.Fatal("no caption pixels in the caption band")
			}
			if box.Dx() < int(0.6*l.fs) || box.Dy() > int(0.25*l.fs)+2 {
				t.Errorf("一 at %.1f px is drawn %dx%d; want a flat bar about as wide as the font size", l.fs, box.Dx(), box.Dy())
			}
			if c := (box.Min.X + box.Max.X) / 2; c < l.w/2-l.w/20 || c > l.w/2+l.w/20 {
				t.Errorf("caption centred at x=%d; want about %d", c, l.w/2)
			}
			o.Caption = "|"
			box, _ = ink(render(t, o), band(l))
			if box.Dy() < int(0.6*l.fs) || box.Dx() > int(0.25*l.fs)+2 {
				t.Errorf("| at %.1f px is drawn %dx%d; want a tall bar", l.fs, box.Dx(), box.Dy())
			}
			// Frame: corners in the foreground, just inside the stroke light.
			for _, p := range []image.Point{{0, 0}, {l.w - 1, 0}, {0, l.h - 1}, {l.w - 1, l.h - 1}, {l.w / 2, l.h - 1}} {
				if r, _, _, _ := img.At(p.X, p.Y).RGBA(); r > 0x8000 {
					t.Errorf("frame pixel %v is light", p)
				}
			}
			if r, _, _, _ := img.At(l.stroke, l.h/2).RGBA(); r < 0x8000 {
				t.Errorf("pixel inside the frame stroke (%d,%d) is dark", l.stroke, l.h/2)
			}
		})
	}
	// Same layout, different text: different ink.
	a := render(t, Options{Size: 512, Caption: "微信扫一扫"})
	b := render(t, Options{Size: 512, Caption: "打开淘宝扫一扫"})
	_, la := captionLayout(t, Options{Size: 512, Caption: "微信扫一扫"})
	boxA, nA := ink(a, band(la))
	boxB, nB := ink(b, band(la))
	if nA == 0 || nB == 0 || boxA == boxB {
		t.Errorf("微信扫一扫 ink %d in %v; 打开淘宝扫一扫 ink %d in %v; want both drawn and different", nA, boxA, nB, boxB)
	}
	if boxB.Dx() <= boxA.Dx() {
		t.Errorf("7-character caption is %d px wide, 5-character one %d; want wider", boxB.Dx(), boxA.Dx())
	}
	// The code above the band is untouched by the caption: same pixels as the
	// frame-only image.
	f := render(t, Options{Size: 512, Frame: true})
	for y := 0; y < la.capTop; y++ {
		for x := 0; x < la.w; x++ {
			if a.At(x, y) != f.At(x, y) {
				cr, _, _, _ := a.At(x, y).RGBA()
				fr, _, _, _ := f.At(x, y).RGBA()
				if cr != fr {
					t.Fatalf("pixel (%d,%d) above the caption band differs from the frame-only code", x, y)
				}
			}
		}
	}
}

// TestNoCaptionUnchanged pins the tag of a plain code: adding captions did
// not change the bytes (or the ETags) of codes without one.
func TestNoCaptionUnchanged(t *testing.T) {
	if got, want := ETag(shortURL, Options{}), `"qr1-4377ce4c0e702cc0c6257298dfce96af"`; got != want {
		t.Errorf("ETag of a plain code = %s; want %s as before captions", got, want)
	}
	if got, want := ETag(shortURL, Options{Logo: testLogo(), LogoID: "x"}), `"qr1-e698e6fed64a42c9177318e63e03f2d6"`; got != want {
		t.Errorf("ETag of a logo code = %s; want %s as before captions", got, want)
	}
	data, err := PNG(shortURL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := png.Decode(bytes.NewReader(data))
	if p, ok := img.(*image.Paletted); !ok || len(p.Palette) != 2 {
		t.Errorf("plain code decodes as %T; want a two-colour paletted PNG", img)
	}
}

// TestCaptionPalette: a captioned code without a logo is a 16-colour
// paletted PNG whose colours run from the background to the foreground,
// and uses the blends (anti-aliased text), not only the two ends.
func TestCaptionPalette(t *testing.T) {
	navy, _ := ParseColor("123456")
	data, err := PNG(shortURL, Options{Size: 400, Foreground: navy, Caption: "微信扫一扫"})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := png.Decode(bytes.NewReader(data))
	p, ok := img.(*image.Paletted)
	if !ok || len(p.Palette) != captionLevels {
		t.Fatalf("captioned code decodes as %T; want a %d-colour paletted PNG", img, captionLevels)
	}
	if toNRGBA(p.Palette[0]) != (color.NRGBA{0xff, 0xff, 0xff, 0xff}) || toNRGBA(p.Palette[captionLevels-1]) != navy {
		t.Errorf("palette runs %v … %v; want white … %v", p.Palette[0], p.Palette[captionLevels-1], navy)
	}
	used := map[uint8]bool{}
	for _, v := range p.Pix {
		used[v] = true
	}
	if len(used) < 6 {
		t.Errorf("%d palette entries used; want the blends of anti-aliased text too", len(used))
	}
	// With a logo: RGB.
	data, _ = PNG(shortURL, Options{Size: 400, Caption: "微信扫一扫", Logo: testLogo()})
	if img, _ := png.Decode(bytes.NewReader(data)); img == nil {
		t.Error("logo + caption does not decode")
	} else if _, ok := img.(*image.Paletted); ok {
		t.Errorf("logo + caption decodes paletted; want RGB for the logo's colours")
	}
}

type svgFramed struct {
	Width   string `xml:"width,attr"`
	Height  string `xml:"height,attr"`
	ViewBox string `xml:"viewBox,attr"`
	Rects   []struct {
		Fill        string `xml:"fill,attr"`
		Stroke      string `xml:"stroke,attr"`
		StrokeWidth string `xml:"stroke-width,attr"`
	} `xml:"rect"`
	Paths []struct {
		Fill string `xml:"fill,attr"`
		D    string `xml:"d,attr"`
	} `xml:"path"`
	Text []struct {
		X          string `xml:"x,attr"`
		Y          string `xml:"y,attr"`
		FontSize   string `xml:"font-size,attr"`
		FontFamily string `xml:"font-family,attr"`
		Anchor     string `xml:"text-anchor,attr"`
		Body       string `xml:",chardata"`
	} `xml:"text"`
}

// rasterizeFramedSVG draws the path of a framed SVG (modules may start at
// any offset; the viewBox is W×H modules) at scale pixels per module.
func rasterizeFramedSVG(t *testing.T, data []byte, scale int) (*image.NRGBA, svgFramed) {
	t.Helper()
	var doc svgFramed
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v\n%s", err, data)
	}
	var w, h int
	if _, err := fmt.Sscanf(doc.ViewBox, "0 0 %d %d", &w, &h); err != nil {
		t.Fatalf("viewBox %q: %v", doc.ViewBox, err)
	}
	if len(doc.Paths) != 1 || len(doc.Rects) != 2 {
		t.Fatalf("%d paths, %d rects; want 1 path, a background and a frame rect", len(doc.Paths), len(doc.Rects))
	}
	img := image.NewNRGBA(image.Rect(0, 0, w*scale, h*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	d := doc.Paths[0].D
	for len(d) > 0 {
		var x, y, rw, x2 int
		if k, err := fmt.Sscanf(d, "M%d %dh%dv1H%dz", &x, &y, &rw, &x2); err != nil || k != 4 || x2 != x || x+rw > w || y >= h {
			t.Fatalf("bad path command at %.40q: %v", d, err)
		}
		for yy := y * scale; yy < (y+1)*scale; yy++ {
			for xx := x * scale; xx < (x+rw)*scale; xx++ {
				img.SetNRGBA(xx, yy, color.NRGBA{0, 0, 0, 0xff})
			}
		}
		d = d[strings.IndexByte(d, 'z')+1:]
	}
	return img, doc
}

func TestCaptionSVG(t *testing.T) {
	for _, tt := range []struct {
		name, caption, want string
		size                int
	}{
		{"wechat", "微信扫一扫", "微信扫一扫", 256},
		{"markup is escaped", `<b>"扫"&'码'</b>`, `<b>"扫"&'码'</b>`, 512},
		{"emoji (not in the PNG font)", "扫我😀", "扫我😀", 512},
		{"rare hanzi", "鱻犇", "鱻犇", 128},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Size: tt.size, Caption: tt.caption}
			data, err := SVG(shortURL, o)
			if err != nil {
				t.Fatalf("SVG: %v", err)
			}
			if bytes.Contains(data, []byte("<b>")) {
				t.Fatalf("caption markup not escaped:\n%s", data)
			}
			img, doc := rasterizeFramedSVG(t, data, 4)
			if got, err := decodeImage(img); err != nil || got != shortURL {
				t.Fatalf("decoded %q, %v; want %q", got, err, shortURL)
			}
			if len(doc.Text) != 1 || doc.Text[0].Body != tt.want {
				t.Fatalf("text elements %+v; want one holding %q", doc.Text, tt.want)
			}
			if !strings.Contains(doc.Text[0].FontFamily, "PingFang SC") || doc.Text[0].Anchor != "middle" {
				t.Errorf("text font-family %q anchor %q; want a CJK stack, centred", doc.Text[0].FontFamily, doc.Text[0].Anchor)
			}
			m, l := captionLayout(t, o)
			if doc.Width != strconv.Itoa(l.w) || doc.Height != strconv.Itoa(l.h) {
				t.Errorf("SVG is %sx%s; want %dx%d like the PNG layout", doc.Width, doc.Height, l.w, l.h)
			}
			if fs, _ := strconv.ParseFloat(doc.Text[0].FontSize, 64); fs*float64(m.px) < MinCaptionPixels {
				t.Errorf("font-size %s modules × %d px is under %d px", doc.Text[0].FontSize, m.px, MinCaptionPixels)
			}
		})
	}
}

func TestCaptionErrors(t *testing.T) {
	var oe *OptionError
	for _, tt := range []struct {
		name        string
		o           Options
		svgOK       bool
		param, want string
	}{
		{"emoji in PNG", Options{Size: 512, Caption: "扫我😀"}, true, "caption", "qr.svg"},
		{"level-2 hanzi in PNG", Options{Size: 512, Caption: "鱻"}, true, "caption", `"鱻"`},
		{"too long", Options{Size: 512, Caption: strings.Repeat("扫", MaxCaptionRunes+1)}, false, "caption", "at most 24"},
		{"control character", Options{Size: 512, Caption: "扫\n码"}, false, "caption", "unprintable"},
		{"invalid UTF-8", Options{Size: 512, Caption: "扫\xff"}, false, "caption", "UTF-8"},
		{"size too small for the caption", Options{Size: 256, Caption: "扫一扫，领取双十一专属优惠券，限时三天有效"}, false, "size", "use size"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PNG(shortURL, tt.o)
			if !errors.As(err, &oe) || oe.Param != tt.param || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PNG: %v; want an *OptionError for %s mentioning %q", err, tt.param, tt.want)
			}
			_, err = SVG(shortURL, tt.o)
			if tt.svgOK != (err == nil) {
				t.Errorf("SVG: %v; want ok=%v", err, tt.svgOK)
			}
		})
	}
	// The size the error names really works.
	o := Options{Size: 256, Caption: "扫一扫，领取双十一专属优惠券，限时三天有效"}
	_, err := PNG(shortURL, o)
	msg := err.Error()
	i := strings.Index(msg, "use size ")
	n, _ := strconv.Atoi(strings.Fields(msg[i+len("use size "):])[0])
	o.Size = n
	if _, err := PNG(shortURL, o); err != nil {
		t.Errorf("size %d named by the error: %v", n, err)
	}
	o.Size = n - 1
	if _, err := PNG(shortURL, o); err == nil {
		t.Errorf("size %d (one less than named) works; the error should name the smallest", n-1)
	}
}

func TestCaptionETag(t *testing.T) {
	base := ETag(shortURL, Options{})
	seen := map[string]string{base: "plain"}
	for name, o := range map[string]Options{
		"frame":     {Frame: true},
		"caption":   {Caption: "微信扫一扫"},
		"caption2":  {Caption: "打开淘宝扫一扫"},
		"caption3":  {Caption: "微信扫一扫", Size: 512},
		"with logo": {Caption: "微信扫一扫", Logo: testLogo(), LogoID: "x"},
	} {
		e := ETag(shortURL, o)
		if prev, ok := seen[e]; ok {
			t.Errorf("%s and %s share ETag %s", name, prev, e)
		}
		seen[e] = name
	}
	if a, b := ETag(shortURL, Options{Caption: "扫"}), ETag(shortURL, Options{Caption: "扫", Frame: true}); a != b {
		t.Errorf("caption %s, caption+frame %s; want equal (a caption is always framed)", a, b)
	}
}

func TestParseCaption(t *testing.T) {
	for _, tt := range []struct {
		query   map[string]string
		caption string
		frame   bool
		errIn   string
	}{
		{map[string]string{"caption": "wechat"}, "微信扫一扫", false, ""},
		{map[string]string{"caption": "WeChat"}, "微信扫一扫", false, ""},
		{map[string]string{"caption": "taobao"}, "打开淘宝扫一扫", false, ""},
		{map[string]string{"caption": " 扫码领券 "}, "扫码领券", false, ""},
		{map[string]string{"frame": "1"}, "", true, ""},
		{map[string]string{"frame": "0"}, "", false, ""},
		{map[string]string{"caption": "wechat", "frame": "1"}, "微信扫一扫", true, ""},
		{map[string]string{"caption": "wechat", "frame": "0"}, "", false, "frame"},
		{map[string]string{"frame": "maybe"}, "", false, "frame"},
		{map[string]string{"caption": strings.Repeat("a", 25)}, "", false, "caption"},
	} {
		o, err := ParseOptions(func(k string) string { return tt.query[k] })
		if tt.errIn != "" {
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Param != tt.errIn {
				t.Errorf("%v: %v; want an error for %s", tt.query, err, tt.errIn)
			}
			continue
		}
		if err != nil || o.Caption != tt.caption || o.Frame != tt.frame {
			t.Errorf("%v: caption %q frame %v, %v; want %q %v", tt.query, o.Caption, o.Frame, err, tt.caption, tt.frame)
		}
	}
}

func TestCaptionDeterministic(t *testing.T) {
	for _, o := range []Options{{Caption: "微信扫一扫"}, {Size: 600, Caption: "Scan 淘宝", Logo: testLogo()}, {Frame: true}} {
		p1, err1 := PNG(shortURL, o)
		p2, err2 := PNG(shortURL, o)
		s1, err3 := SVG(shortURL, o)
		s2, err4 := SVG(shortURL, o)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p1, p2) || !bytes.Equal(s1, s2) {
			t.Errorf("%+v: output differs between calls", o.Caption)
		}
	}
}
