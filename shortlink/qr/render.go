package qr

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// maxTextBytes is more than any QR code holds (7089 digits at level L);
// longer texts are rejected before the encoder spends time on them.
const maxTextBytes = 7089

// byteCapacity is the version-40 capacity in byte mode per level, for errors.
var byteCapacity = [...]int{LevelL: 2953, LevelM: 2331, LevelQ: 1663, LevelH: 1273}

// minLogoVersion is the smallest QR version used with a logo: below it the
// finder patterns leave no room for a useful pad.
const minLogoVersion = 4

// funcMargin is how many modules from each edge the logo pad stays clear of:
// the finder pattern (7), its separator (1) and the format information (1).
const funcMargin = 9

// matrix is a QR symbol ready to draw: modules including the quiet zone, the
// pixels per module, and the logo pad (cleared to light) if any.
type matrix struct {
	n    int    // modules per side, quiet zone included
	px   int    // pixels per module
	dark []bool // n*n, row-major; true is a dark module
	pad  int    // first module of the logo pad on each axis (quiet zone included)
	padN int    // logo pad side in modules; 0 without a logo
	s    settings
}

func goLevel(l Level) qrcode.RecoveryLevel {
	switch l {
	case LevelL:
		return qrcode.Low
	case LevelQ:
		return qrcode.High
	case LevelH:
		return qrcode.Highest
	}
	return qrcode.Medium
}

// newMatrix encodes text and lays it out for s. It is the single source of
// modules for both PNG and SVG.
func newMatrix(text string, s settings) (*matrix, error) {
	if text == "" {
		return nil, ErrEmptyText
	}
	tooLong := func() error {
		return fmt.Errorf("%w: %d bytes at level %s, at most %d bytes of text fit (fewer with a logo); shorten it or use a lower level",
			ErrTooLong, len(text), s.level, byteCapacity[s.level])
	}
	if len(text) > maxTextBytes {
		return nil, tooLong()
	}
	q, err := qrcode.New(text, goLevel(s.level))
	if err != nil {
		return nil, tooLong()
	}
	if s.logo != nil && q.VersionNumber < minLogoVersion {
		if q, err = qrcode.NewWithForcedVersion(text, minLogoVersion, goLevel(s.level)); err != nil {
			return nil, tooLong()
		}
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	sym := len(bm)

	m := &matrix{n: sym + 2*s.margin, s: s}
	cols, frame := m.n, ""
	if s.frame {
		cols, frame = m.n+2*frameModules, " and the frame"
	}
	m.px = s.size / cols
	if m.px < MinModulePixels {
		return nil, optErr("size", strconv.Itoa(s.size),
			"too small for this text: its code is %d modules wide with the quiet zone%s, which needs at least %d pixels (%d per module); raise size, lower the level or shorten the text",
			cols, frame, cols*MinModulePixels, MinModulePixels)
	}
	m.dark = make([]bool, m.n*m.n)
	for y, row := range bm {
		copy(m.dark[(y+s.margin)*m.n+s.margin:], row)
	}
	if s.logo != nil {
		m.padN = padSide(sym)
		m.pad = s.margin + (sym-m.padN)/2
		for y := m.pad; y < m.pad+m.padN; y++ {
			clear(m.dark[y*m.n+m.pad : y*m.n+m.pad+m.padN])
		}
	}
	return m, nil
}

// padSide returns the logo pad side, in modules, for a symbol of sym modules
// (quiet zone excluded): the largest odd side (so it centres on the module
// grid) covering at most MaxLogoArea of the symbol and staying clear of the
// finder patterns and format information. A pad damages every codeword it
// touches, and codewords are 2×4-module zigzags, so the damage is well above
// the pad's share of modules: decoding codes of versions 4–40 with a hostile
// logo (see the tests) failed from pads of about 9% of the symbol at some
// versions, hence MaxLogoArea of 8%, which also leaves room for camera noise.
func padSide(sym int) int {
	s := int(math.Sqrt(MaxLogoArea) * float64(sym))
	if s%2 == 0 {
		s--
	}
	for s > 0 && (sym-s)/2 < funcMargin {
		s -= 2
	}
	return max(s, 0)
}

// side is the image side in pixels.
func (m *matrix) side() int { return m.n * m.px }

var (
	pngBufPool encoderPool
	pixPool    = sync.Pool{New: func() any { return new([]byte) }}
)

// encoderPool reuses the PNG encoder's buffers across calls.
type encoderPool struct{ p sync.Pool }

func (e *encoderPool) Get() *png.EncoderBuffer {
	b, _ := e.p.Get().(*png.EncoderBuffer)
	return b
}

func (e *encoderPool) Put(b *png.EncoderBuffer) { e.p.Put(b) }

func getPix(n int) *[]byte {
	p := pixPool.Get().(*[]byte)
	if cap(*p) < n {
		*p = make([]byte, n)
	}
	*p = (*p)[:n]
	return p
}

// PNG renders text as a PNG QR code.
//
// The image is square, floor(Size/modules)×modules pixels wide (at most
// o.Size); without a logo it is a 1-bit paletted PNG in the two colours, with
// a logo an 8-bit RGB PNG. With a frame or caption it is four modules wider
// than the code's own width (the frame band) and, with a caption, taller by
// the caption band, the width still at most o.Size; without a logo it is
// then a 4-bit paletted PNG of 16 blends of the two colours (the caption's
// anti-aliased edges).
// A caption character the embedded font lacks is an *OptionError naming it. Errors: *OptionError (see Options.Validate, and a
// Size too small for the text), ErrEmptyText, ErrTooLong. The output is
// deterministic for a given text, Options and Go version.
func PNG(text string, o Options) ([]byte, error) {
	s, err := o.settings()
	if err != nil {
		return nil, err
	}
	m, err := newMatrix(text, s)
	if err != nil {
		return nil, err
	}
	var (
		img image.Image
		pix *[]byte
	)
	if s.frame {
		if img, err = m.framedImage(); err != nil {
			return nil, err
		}
	} else {
		img, pix = m.image()
	}
	side := img.Bounds().Dx()
	var buf bytes.Buffer
	buf.Grow(side*side/64 + 512)
	enc := png.Encoder{CompressionLevel: png.DefaultCompression, BufferPool: &pngBufPool}
	err = enc.Encode(&buf, img)
	if pix != nil {
		pixPool.Put(pix)
	}
	if err != nil {
		return nil, fmt.Errorf("qr: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// image draws the code: an *image.Paletted in the two colours without a
// logo, an opaque *image.RGBA with one. Its pixels come from pixPool; put
// pix back once img is no longer used.
func (m *matrix) image() (img image.Image, pix *[]byte) {
	side := m.side()
	s := m.s
	if s.logo == nil {
		pix = getPix(side * side)
		m.fill(*pix, 1, []byte{0}, []byte{1})
		return &image.Paletted{Pix: *pix, Stride: side, Rect: image.Rect(0, 0, side, side),
			Palette: color.Palette{s.bg, s.fg}}, pix
	}
	pix = getPix(4 * side * side)
	fg, bg := []byte{s.fg.R, s.fg.G, s.fg.B, 0xff}, []byte{s.bg.R, s.bg.G, s.bg.B, 0xff}
	m.fill(*pix, 4, bg, fg)
	rgba := &image.RGBA{Pix: *pix, Stride: 4 * side, Rect: image.Rect(0, 0, side, side)}
	m.drawLogo(rgba)
	return rgba, pix
}

// fill paints the modules into pix, bpp bytes per pixel, with the light and
// dark pixel values given.
func (m *matrix) fill(pix []byte, bpp int, light, dark []byte) {
	side := m.side()
	stride := side * bpp
	// Fill the first pixel row of each module row, then copy it down.
	for y := 0; y < m.n; y++ {
		row := pix[y*m.px*stride : (y*m.px+1)*stride]
		i := 0
		for x := 0; x < m.n; x++ {
			v := light
			if m.dark[y*m.n+x] {
				v = dark
			}
			for k := 0; k < m.px; k++ {
				i += copy(row[i:], v)
			}
		}
		for k := 1; k < m.px; k++ {
			copy(pix[(y*m.px+k)*stride:], row)
		}
	}
}

// logoBox returns where the logo goes, in pixels: the pad inset by half a
// module, with the logo fitted inside keeping its aspect ratio.
func (m *matrix) logoBox() image.Rectangle {
	inset := max(1, m.px/2)
	box := m.padN*m.px - 2*inset
	b := m.s.logo.Bounds()
	w, h := box, box
	if b.Dx() > b.Dy() {
		h = max(1, box*b.Dy()/b.Dx())
	} else if b.Dy() > b.Dx() {
		w = max(1, box*b.Dx()/b.Dy())
	}
	x := m.pad*m.px + inset + (box-w)/2
	y := m.pad*m.px + inset + (box-h)/2
	return image.Rect(x, y, x+w, y+h)
}

func (m *matrix) drawLogo(dst *image.RGBA) {
	r := m.logoBox()
	scaled := scale(m.s.logo, r.Dx(), r.Dy())
	draw.Draw(dst, r, scaled, image.Point{}, draw.Over)
}

// scale resizes src to w×h by averaging the source pixels under each
// destination pixel (nearest neighbour when enlarging). The result is
// alpha-premultiplied.
func scale(src image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	at := func(x, y int) (r, g, b, a uint32) { return src.At(x, y).RGBA() }
	if s, ok := src.(image.RGBA64Image); ok {
		at = func(x, y int) (uint32, uint32, uint32, uint32) {
			c := s.RGBA64At(x, y)
			return uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
		}
	}
	for dy := 0; dy < h; dy++ {
		y0 := dy * sh / h
		y1 := max(y0+1, (dy+1)*sh/h)
		for dx := 0; dx < w; dx++ {
			x0 := dx * sw / w
			x1 := max(x0+1, (dx+1)*sw/w)
			var sr, sg, sb, sa uint64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					r, g, bl, a := at(b.Min.X+x, b.Min.Y+y)
					sr += uint64(r)
					sg += uint64(g)
					sb += uint64(bl)
					sa += uint64(a)
				}
			}
			n := uint64((y1 - y0) * (x1 - x0))
			i := dst.PixOffset(dx, dy)
			dst.Pix[i+0] = uint8(sr / n >> 8)
			dst.Pix[i+1] = uint8(sg / n >> 8)
			dst.Pix[i+2] = uint8(sb / n >> 8)
			dst.Pix[i+3] = uint8(sa / n >> 8)
		}
	}
	return dst
}

// maxSVGLogo bounds the side, in pixels, of the logo embedded in an SVG.
const maxSVGLogo = 512

// SVG renders text as an SVG QR code from the same modules as PNG.
//
// The viewBox is in modules (quiet zone included) and width/height are the
// pixel size PNG would produce for the same Options. Dark modules are one
// <path> of row runs over a background <rect>, drawn with
// shape-rendering="crispEdges". A logo is embedded as a data: PNG <image>
// (scaled down to fit 512×512 if larger). A frame is a stroked <rect>, a
// caption a <text> (XML-escaped) in a CJK font stack, sized and placed as in
// the PNG; any printable character is accepted. Errors are those of PNG
// (but for caption glyphs); the output is deterministic.
func SVG(text string, o Options) ([]byte, error) {
	s, err := o.settings()
	if err != nil {
		return nil, err
	}
	m, err := newMatrix(text, s)
	if err != nil {
		return nil, err
	}
	var logo []byte
	if s.logo != nil {
		logo, err = svgLogo(s.logo)
		if err != nil {
			return nil, err
		}
	}
	n, side := m.n, m.side()
	w, h, vw, vh, off := side, side, n, n, 0
	var fl frameLayout
	if s.frame {
		if fl, err = m.layoutFrame(); err != nil {
			return nil, err
		}
		w, h, off = fl.w, fl.h, frameModules
		vw, vh = fl.w/m.px, fl.h/m.px
	}
	b := make([]byte, 0, 320+n*n+base64.StdEncoding.EncodedLen(len(logo)))
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<svg xmlns="http://www.w3.org/2000/svg"`...)
	if logo != nil {
		b = append(b, ` xmlns:xlink="http://www.w3.org/1999/xlink"`...)
	}
	b = append(b, ` version="1.1" width="`...)
	b = strconv.AppendInt(b, int64(w), 10)
	b = append(b, `" height="`...)
	b = strconv.AppendInt(b, int64(h), 10)
	b = append(b, `" viewBox="0 0 `...)
	b = strconv.AppendInt(b, int64(vw), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(vh), 10)
	b = append(b, `" shape-rendering="crispEdges"><rect width="`...)
	b = strconv.AppendInt(b, int64(vw), 10)
	b = append(b, `" height="`...)
	b = strconv.AppendInt(b, int64(vh), 10)
	b = append(b, `" fill="`...)
	b = append(b, hexColor(s.bg)...)
	b = append(b, `"/><path fill="`...)
	b = append(b, hexColor(s.fg)...)
	b = append(b, `" d="`...)
	b = m.appendPath(b, off)
	b = append(b, `"/>`...)
	if logo != nil {
		// Same box as the PNG logo, in modules: the pad inset by half a module;
		// preserveAspectRatio (default xMidYMid meet) keeps the logo's shape.
		b = append(b, `<image x="`...)
		b = strconv.AppendFloat(b, float64(m.pad+off)+0.5, 'f', -1, 64)
		b = append(b, `" y="`...)
		b = strconv.AppendFloat(b, float64(m.pad+off)+0.5, 'f', -1, 64)
		b = append(b, `" width="`...)
		b = strconv.AppendInt(b, int64(m.padN-1), 10)
		b = append(b, `" height="`...)
		b = strconv.AppendInt(b, int64(m.padN-1), 10)
		b = append(b, `" shape-rendering="auto" xlink:href="data:image/png;base64,`...)
		b = base64.StdEncoding.AppendEncode(b, logo)
		b = append(b, `"/>`...)
	}
	if s.frame {
		b = m.appendSVGFrame(b, fl)
	}
	b = append(b, "</svg>\n"...)
	return b, nil
}

// appendPath appends SVG path data for the dark modules: one
// "M x y h w v1 H x z" rectangle per horizontal run, moved off modules right
// and down (the frame band).
func (m *matrix) appendPath(b []byte, off int) []byte {
	n := m.n
	for y := 0; y < n; y++ {
		row := m.dark[y*n : (y+1)*n]
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			end := x + 1
			for end < n && row[end] {
				end++
			}
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(x+off), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(y+off), 10)
			b = append(b, 'h')
			b = strconv.AppendInt(b, int64(end-x), 10)
			b = append(b, "v1H"...)
			b = strconv.AppendInt(b, int64(x+off), 10)
			b = append(b, 'z')
			x = end
		}
	}
	return b
}

// svgLogo encodes the logo as PNG, scaled down to fit maxSVGLogo if larger.
func svgLogo(logo image.Image) ([]byte, error) {
	b := logo.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > maxSVGLogo || h > maxSVGLogo {
		if w >= h {
			w, h = maxSVGLogo, max(1, maxSVGLogo*h/w)
		} else {
			w, h = max(1, maxSVGLogo*w/h), maxSVGLogo
		}
		logo = scale(logo, w, h)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression, BufferPool: &pngBufPool}
	if err := enc.Encode(&buf, logo); err != nil {
		return nil, fmt.Errorf("qr: encoding logo: %w", err)
	}
	return buf.Bytes(), nil
}
