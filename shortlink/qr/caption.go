package qr

import (
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

//go:generate ./gen/font.sh

// captionFont is WenQuanYi Micro Hei cut down to ASCII, CJK punctuation and
// the 3,755 hanzi of GB2312 level 1 (see gen/font.sh and NOTICE).
//
//go:embed caption-font.ttf
var captionFont []byte

// Caption limits and presets.
const (
	// MaxCaptionRunes is the longest caption, in characters.
	MaxCaptionRunes = 24

	// MinCaptionPixels is the smallest caption text drawn, in pixels (font
	// size). A caption that would be smaller at the requested Size is an
	// error naming the Size that works.
	MinCaptionPixels = 10

	// frameModules is the band, in modules, the frame adds on each side of
	// the code (the stroke is drawn in its outer half).
	frameModules = 2
	// captionEm is the largest caption font size as a share of the width;
	// captionFill the share of the width the text may take.
	captionEm   = 0.12
	captionFill = 0.84
	// captionLine is the caption band height in font sizes.
	captionLine = 1.7
)

// CaptionPresets maps the caption= shortcuts to their text. Marketers put
// these under codes printed for a given app's scanner.
var CaptionPresets = map[string]string{
	"wechat": "微信扫一扫",
	"taobao": "打开淘宝扫一扫",
	"tmall":  "打开天猫扫一扫",
	"alipay": "支付宝扫一扫",
}

// svgFontFamily is the font stack of SVG captions: the system CJK fonts of
// iOS/macOS, Windows, Android/Linux, then the one PNG captions are drawn in.
const svgFontFamily = `'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif`

type fontInfo struct {
	f         *sfnt.Font
	upem      float64
	asc, desc float64 // in em
}

// loadFont parses the embedded font once, on first use.
var loadFont = sync.OnceValues(func() (*fontInfo, error) {
	f, err := opentype.Parse(captionFont)
	if err != nil {
		return nil, fmt.Errorf("qr: embedded caption font: %w", err)
	}
	var buf sfnt.Buffer
	upem := f.UnitsPerEm()
	m, err := f.Metrics(&buf, fixed.I(int(upem)), font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("qr: embedded caption font: %w", err)
	}
	u := float64(upem)
	return &fontInfo{f: f, upem: u, asc: float64(m.Ascent) / 64 / u, desc: float64(m.Descent) / 64 / u}, nil
})

// checkCaption validates a caption's text (not its glyphs: see missingGlyph).
func checkCaption(c string) error {
	if !utf8.ValidString(c) {
		return optErr("caption", strings.ToValidUTF8(c, "\uFFFD"), "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(c); n > MaxCaptionRunes {
		return optErr("caption", c, "is %d characters long; at most %d fit under a code", n, MaxCaptionRunes)
	}
	for _, r := range c {
		if !unicode.IsPrint(r) && r != ' ' {
			return optErr("caption", c, "contains the unprintable character %U; use plain text", r)
		}
	}
	return nil
}

// HasGlyphs reports the first character of caption the PNG caption font
// lacks, or ok when it has them all. SVG captions name a font stack instead
// and show any character the viewer's fonts have.
func HasGlyphs(caption string) (missing rune, ok bool) {
	fi, err := loadFont()
	if err != nil {
		return 0, false
	}
	var buf sfnt.Buffer
	for _, r := range caption {
		if r == ' ' {
			continue
		}
		if gi, err := fi.f.GlyphIndex(&buf, r); err != nil || gi == 0 {
			return r, false
		}
	}
	return 0, true
}

// captionAdvance is the caption's width in em. Characters the font lacks
// (SVG only) count as 1 em if wide, half an em otherwise.
func captionAdvance(fi *fontInfo, c string) float64 {
	var buf sfnt.Buffer
	ppem := fixed.I(int(fi.upem))
	var sum fixed.Int26_6
	var est float64
	for _, r := range c {
		gi, err := fi.f.GlyphIndex(&buf, r)
		if err == nil && gi != 0 {
			if a, err := fi.f.GlyphAdvance(&buf, gi, ppem, font.HintingNone); err == nil {
				sum += a
				continue
			}
		}
		if r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || r >= 0xFF00 && r <= 0xFF60 || r >= 0x3000 && r <= 0x303F) {
			est++
		} else {
			est += 0.5
		}
	}
	return float64(sum)/64/fi.upem + est
}

// frameLayout places the code, the frame and the caption on the canvas, in
// pixels. Zero value: no frame.
type frameLayout struct {
	w, h     int     // canvas
	off      int     // code's top-left corner (x and y), in pixels
	stroke   int     // frame line width
	capTop   int     // caption band top; capH its height (0 without a caption)
	capH     int     // see capTop
	fs       float64 // caption font size
	textX    float64 // caption start (left)
	textW    float64 // caption width
	baseline float64
}

// layoutFrame lays out a framed code for m (m.px already accounts for the
// frame band). Errors: a caption too small to read at this size.
func (m *matrix) layoutFrame() (frameLayout, error) {
	s := m.s
	cols := m.n + 2*frameModules
	l := frameLayout{w: cols * m.px, off: frameModules * m.px, stroke: max(1, m.px/3)}
	l.h = l.w
	if s.caption == "" {
		return l, nil
	}
	fi, err := loadFont()
	if err != nil {
		return l, err
	}
	adv := captionAdvance(fi, s.caption)
	w := float64(l.w)
	l.fs = math.Min(captionEm*w, captionFill*w/adv)
	if l.fs < MinCaptionPixels {
		need := math.Max(MinCaptionPixels/captionEm, MinCaptionPixels*adv/captionFill)
		px := int(math.Ceil(need / float64(cols)))
		return l, optErr("size", strconv.Itoa(s.size),
			"too small for the caption %q: its text would be under %d pixels high; use size %d or more, or a shorter caption",
			s.caption, MinCaptionPixels, min(px*cols, MaxSize))
	}
	capMods := int(math.Ceil(l.fs * captionLine / float64(m.px)))
	l.capTop = (frameModules + m.n) * m.px
	l.capH = capMods * m.px
	l.h = l.w + l.capH
	l.textW = l.fs * adv
	l.textX = (w - l.textW) / 2
	asc, desc := fi.asc*l.fs, fi.desc*l.fs
	l.baseline = float64(l.capTop) + (float64(l.capH)-(asc+desc))/2 + asc
	return l, nil
}

// captionLevels is the number of colours of a framed PNG without a logo:
// the background, the foreground and the blends between them that the
// caption's anti-aliased edges need (a 4-bit paletted PNG).
const captionLevels = 16

// framedImage draws the code on a canvas with the frame and caption: a
// paletted image in captionLevels blends of the two colours, or RGBA when a
// logo brings its own colours.
func (m *matrix) framedImage() (image.Image, error) {
	l, err := m.layoutFrame()
	if err != nil {
		return nil, err
	}
	s := m.s
	if r, ok := HasGlyphs(s.caption); s.caption != "" && !ok {
		return nil, optErr("caption", s.caption,
			"the PNG caption font has no %q (%U); use SVG (qr.svg, or hutong qr -o FILE.svg), which draws captions in the viewer's fonts, or leave that character out", r, r)
	}
	rect := image.Rect(0, 0, l.w, l.h)
	fg := image.NewUniform(s.fg)
	var canvas draw.Image
	var pal *image.Paletted
	if s.logo == nil {
		p := make(color.Palette, captionLevels)
		for i := range p {
			p[i] = blend(s.bg, s.fg, i, captionLevels-1)
		}
		pal = image.NewPaletted(rect, p) // all index 0: the background
		dark := uint8(captionLevels - 1)
		for y := 0; y < m.n; y++ {
			for x := 0; x < m.n; x++ {
				if !m.dark[y*m.n+x] {
					continue
				}
				for py := 0; py < m.px; py++ {
					i := pal.PixOffset(l.off+x*m.px, l.off+y*m.px+py)
					row := pal.Pix[i : i+m.px]
					for k := range row {
						row[k] = dark
					}
				}
			}
		}
		canvas = pal
	} else {
		rgba := image.NewRGBA(rect)
		draw.Draw(rgba, rect, image.NewUniform(s.bg), image.Point{}, draw.Src)
		code, pix := m.image()
		draw.Draw(rgba, image.Rect(l.off, l.off, l.off+m.side(), l.off+m.side()), code, image.Point{}, draw.Src)
		pixPool.Put(pix)
		canvas = rgba
	}
	for _, r := range [...]image.Rectangle{
		image.Rect(0, 0, l.w, l.stroke), image.Rect(0, l.h-l.stroke, l.w, l.h),
		image.Rect(0, 0, l.stroke, l.h), image.Rect(l.w-l.stroke, 0, l.w, l.h),
	} {
		draw.Draw(canvas, r, fg, image.Point{}, draw.Src)
	}
	if s.caption == "" {
		return canvas, nil
	}
	fi, err := loadFont()
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(fi.f, &opentype.FaceOptions{Size: l.fs, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("qr: caption font face: %w", err)
	}
	defer face.Close()
	dot := fixed.Point26_6{X: fixed.Int26_6(math.Round(l.textX * 64)), Y: fixed.Int26_6(math.Round(l.baseline * 64))}
	if pal == nil {
		d := font.Drawer{Dst: canvas, Src: fg, Face: face, Dot: dot}
		d.DrawString(s.caption)
		return canvas, nil
	}
	// Paletted: draw the glyphs' coverage into a mask of the caption band,
	// then take the nearest blend for each pixel.
	band := image.Rect(l.stroke, l.capTop, l.w-l.stroke, l.capTop+l.capH)
	mask := image.NewAlpha(band)
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: dot}
	d.DrawString(s.caption)
	for y := band.Min.Y; y < band.Max.Y; y++ {
		mi, pi := mask.PixOffset(band.Min.X, y), pal.PixOffset(band.Min.X, y)
		for x := 0; x < band.Dx(); x++ {
			if a := mask.Pix[mi+x]; a != 0 {
				if v := uint8((int(a)*(captionLevels-1) + 127) / 255); v > pal.Pix[pi+x] {
					pal.Pix[pi+x] = v
				}
			}
		}
	}
	return canvas, nil
}

// blend returns the colour i/n of the way from a to b (opaque).
func blend(a, b color.NRGBA, i, n int) color.NRGBA {
	mix := func(x, y uint8) uint8 { return uint8((int(x)*(n-i) + int(y)*i + n/2) / n) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// appendSVGFrame appends the frame and caption elements of a framed SVG, in
// modules (the viewBox unit).
func (m *matrix) appendSVGFrame(b []byte, l frameLayout) []byte {
	px := float64(m.px)
	f := func(b []byte, v float64) []byte { return strconv.AppendFloat(b, math.Round(v*1000)/1000, 'f', -1, 64) }
	sw := float64(l.stroke) / px
	b = append(b, `<rect x="`...)
	b = f(b, sw/2)
	b = append(b, `" y="`...)
	b = f(b, sw/2)
	b = append(b, `" width="`...)
	b = f(b, float64(l.w)/px-sw)
	b = append(b, `" height="`...)
	b = f(b, float64(l.h)/px-sw)
	b = append(b, `" fill="none" stroke="`...)
	b = append(b, hexColor(m.s.fg)...)
	b = append(b, `" stroke-width="`...)
	b = f(b, sw)
	b = append(b, `"/>`...)
	if m.s.caption == "" {
		return b
	}
	b = append(b, `<text x="`...)
	b = f(b, float64(l.w)/2/px)
	b = append(b, `" y="`...)
	b = f(b, l.baseline/px)
	b = append(b, `" font-size="`...)
	b = f(b, l.fs/px)
	b = append(b, `" text-anchor="middle" font-family="`...)
	b = append(b, svgFontFamily...)
	b = append(b, `" fill="`...)
	b = append(b, hexColor(m.s.fg)...)
	b = append(b, `" shape-rendering="auto">`...)
	b = appendXMLText(b, m.s.caption)
	b = append(b, `</text>`...)
	return b
}

// appendXMLText appends s escaped for XML character data and attributes.
func appendXMLText(b []byte, s string) []byte {
	for _, r := range s {
		switch r {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}
