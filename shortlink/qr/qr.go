// Package qr renders QR codes for short links as PNG and SVG.
//
// Both formats are drawn from the same module bitmap (built with
// github.com/skip2/go-qrcode), with a quiet zone, module size and colours this
// package controls: every module is a whole number of pixels so the code stays
// crisp, and an image that would be too small for its content is an error, never
// a silently grown or unreadable picture.
//
// Rendering is pure and deterministic: the same text and Options always give
// identical bytes, so callers can cache the output and answer conditional
// requests with [ETag] without rendering. The package has no global state
// besides internal buffer pools; every function is safe for concurrent use,
// provided a [Options.Logo] image is not modified while it is being read.
package qr

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
)

// Option ranges and defaults.
const (
	// DefaultSize is the image side in pixels used when Options.Size is 0.
	DefaultSize = 256
	// MinSize and MaxSize bound Options.Size (pixels, inclusive).
	MinSize = 64
	// MaxSize is the largest accepted Options.Size.
	MaxSize = 2048

	// DefaultMargin is the quiet zone, in modules, used when Options.Margin is 0.
	DefaultMargin = 4
	// MaxMargin is the largest accepted quiet zone, in modules.
	MaxMargin = 16
	// NoMargin as Options.Margin asks for no quiet zone at all (the zero value
	// means DefaultMargin). Only use it when the page around the code provides
	// its own light border; phones need one.
	NoMargin = -1

	// MinModulePixels is the smallest module (QR "dot") drawn, in pixels. A
	// Size that leaves less than this per module is rejected with an error
	// naming the smallest size that works.
	MinModulePixels = 2

	// MinContrast is the smallest accepted WCAG contrast ratio between the
	// background and the foreground colour (1 to 21; black on white is 21).
	// Below it phone cameras often fail to separate dark from light modules.
	MinContrast = 3.0

	// MaxLogoArea is the largest share of the symbol area (quiet zone
	// excluded) the logo pad may cover: the pad side is about 28% of the
	// symbol side. The pad is also kept clear of the finder patterns and
	// format information. Larger pads were measured to break decoding at
	// level H for some versions (see padSide).
	MaxLogoArea = 0.08
)

// Level is a QR error-correction level. The zero value, LevelDefault, means
// LevelM, or LevelH when a logo is set.
type Level uint8

// Error-correction levels, from least to most redundant.
const (
	// LevelDefault selects LevelM, or LevelH when a logo is set.
	LevelDefault Level = iota
	// LevelL recovers about 7% of damaged codewords; smallest code.
	LevelL
	// LevelM recovers about 15%; the default.
	LevelM
	// LevelQ recovers about 25%.
	LevelQ
	// LevelH recovers about 30%; always used when a logo is set.
	LevelH
)

// String returns "L", "M", "Q" or "H" ("" for LevelDefault, "?" for an
// invalid Level).
func (l Level) String() string {
	switch l {
	case LevelDefault:
		return ""
	case LevelL:
		return "L"
	case LevelM:
		return "M"
	case LevelQ:
		return "Q"
	case LevelH:
		return "H"
	}
	return "?"
}

// Options control how a QR code is drawn. The zero value is valid: a 256 px
// black-on-white code at level M with a 4-module quiet zone.
type Options struct {
	// Size is the requested image side in pixels. Optional. Default: 256.
	// Range: 64–2048. Modules are whole pixels, so the image is
	// floor(Size/modules)×modules pixels wide: at most Size, never more (the
	// remainder is dropped, not stretched). An error names the smallest Size
	// that works when Size leaves fewer than MinModulePixels per module.
	Size int

	// Level is the error-correction level. Optional. Default: LevelM. When
	// Logo is set the level is always raised to LevelH.
	Level Level

	// Margin is the quiet zone around the code, in modules. Optional.
	// Default: 4 (the value the QR standard asks for). Range: 1–16, or
	// NoMargin for none.
	Margin int

	// Foreground is the colour of dark modules; Background the colour of
	// light modules, the quiet zone and the logo pad. Optional. Default:
	// black on white. Both must be opaque, the foreground must be the darker
	// one, and their WCAG contrast ratio must be at least MinContrast.
	Foreground color.Color
	// Background: see Foreground.
	Background color.Color

	// Logo is an optional image drawn centred on a pad of the background
	// colour. The pad covers at most MaxLogoArea of the symbol; the logo is
	// scaled to fit inside it, half a module in from its edge, keeping its
	// aspect ratio (transparent pixels show the pad). Setting a logo forces
	// LevelH and at least QR version 4 (33×33 modules).
	Logo image.Image

	// LogoID identifies Logo for ETag (e.g. a content hash or "brand-v2").
	// Optional. When empty, ETag hashes the logo's pixels, which costs time
	// proportional to the logo's size. Ignored when Logo is nil.
	LogoID string

	// Caption is a line of text drawn under the code, inside a frame (a
	// caption always implies Frame), e.g. "微信扫一扫". Optional. At most
	// MaxCaptionRunes printable characters. The image gets taller by the
	// caption band; its width stays at most Size. PNG draws it in the
	// embedded font (ASCII, CJK punctuation, the 3,755 common hanzi of GB2312
	// level 1) and rejects other characters; SVG writes a <text> in a CJK
	// font stack and accepts any.
	Caption string

	// Frame draws a thin border in the foreground colour around the code,
	// two modules outside its quiet zone. Optional. Default: false, or true
	// when Caption is set.
	Frame bool
}

// ErrInvalidOption is wrapped by every *OptionError; test with errors.Is.
var ErrInvalidOption = errors.New("qr: invalid option")

// ErrTooLong is returned when the text does not fit in any QR code at the
// chosen level (at most 2953 bytes at level L, 2331 at M, 1663 at Q, 1273 at
// H for arbitrary bytes; fewer with a logo).
var ErrTooLong = errors.New("qr: text too long for a QR code")

// ErrEmptyText is returned for an empty text.
var ErrEmptyText = errors.New("qr: empty text")

// OptionError reports an invalid option or query parameter. Its message is
// safe to show to users: it names the parameter and the accepted values.
type OptionError struct {
	// Param is the query-parameter name of the option: "size", "level",
	// "margin", "fg", "bg", "caption", "frame" (or "logo").
	Param string
	// Value is the rejected value as given (a copy, safe to keep).
	Value string
	// Reason says what is accepted, e.g. "must be an integer from 64 to 2048".
	Reason string
}

// Error implements error.
func (e *OptionError) Error() string {
	if e.Value == "" {
		return "qr: " + e.Param + ": " + e.Reason
	}
	return "qr: " + e.Param + " " + strconv.Quote(e.Value) + ": " + e.Reason
}

// Unwrap returns ErrInvalidOption.
func (e *OptionError) Unwrap() error { return ErrInvalidOption }

func optErr(param, value, format string, args ...any) *OptionError {
	return &OptionError{Param: param, Value: strings.Clone(value), Reason: fmt.Sprintf(format, args...)}
}

// settings are Options after defaults and validation.
type settings struct {
	size   int
	level  Level
	margin int
	fg, bg color.NRGBA
	logo   image.Image
	logoID string
	// caption and frame: frame is true when a caption is set.
	caption string
	frame   bool
}

var (
	defaultFG = color.NRGBA{0, 0, 0, 0xff}
	defaultBG = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// Validate reports whether o is usable, as an *OptionError. It does not
// check whether a given text fits: PNG and SVG do that.
func (o Options) Validate() error {
	_, err := o.settings()
	return err
}

// normalized applies defaults without validating (used by ETag).
func (o Options) normalized() settings {
	s := settings{size: o.Size, level: o.Level, margin: o.Margin, fg: defaultFG, bg: defaultBG, logo: o.Logo, logoID: o.LogoID,
		caption: o.Caption, frame: o.Frame || o.Caption != ""}
	if s.size == 0 {
		s.size = DefaultSize
	}
	switch {
	case o.Logo != nil:
		s.level = LevelH
	case s.level == LevelDefault:
		s.level = LevelM
	}
	switch s.margin {
	case 0:
		s.margin = DefaultMargin
	case NoMargin:
		s.margin = 0
	}
	if o.Foreground != nil {
		s.fg = toNRGBA(o.Foreground)
	}
	if o.Background != nil {
		s.bg = toNRGBA(o.Background)
	}
	return s
}

func (o Options) settings() (settings, error) {
	s := o.normalized()
	if s.size < MinSize || s.size > MaxSize {
		return s, optErr("size", strconv.Itoa(o.Size), "must be from %d to %d pixels", MinSize, MaxSize)
	}
	if o.Level > LevelH {
		return s, optErr("level", strconv.Itoa(int(o.Level)), "must be L, M, Q or H")
	}
	if o.Margin != NoMargin && (o.Margin < 0 || o.Margin > MaxMargin) {
		return s, optErr("margin", strconv.Itoa(o.Margin), "must be from 0 to %d modules", MaxMargin)
	}
	if o.Foreground != nil && !opaque(o.Foreground) {
		return s, optErr("fg", hexColor(s.fg), "must be an opaque colour")
	}
	if o.Background != nil && !opaque(o.Background) {
		return s, optErr("bg", hexColor(s.bg), "must be an opaque colour")
	}
	if err := checkContrast(s.fg, s.bg); err != nil {
		return s, err
	}
	if o.Caption != "" {
		if err := checkCaption(o.Caption); err != nil {
			return s, err
		}
	}
	if o.Logo != nil {
		if b := o.Logo.Bounds(); b.Empty() {
			return s, optErr("logo", "", "image is empty")
		}
	}
	return s, nil
}

func opaque(c color.Color) bool {
	_, _, _, a := c.RGBA()
	return a == 0xffff
}

func toNRGBA(c color.Color) color.NRGBA {
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// checkContrast rejects colour pairs phones cannot scan reliably: a
// foreground lighter than the background (inverted codes) or a WCAG contrast
// ratio below MinContrast.
func checkContrast(fg, bg color.NRGBA) error {
	lf, lb := luminance(fg), luminance(bg)
	ratio := (lb + 0.05) / (lf + 0.05)
	if lf >= lb {
		return optErr("fg", hexColor(fg), "must be darker than the background %s (light-on-dark codes do not scan on many phones)", hexColor(bg))
	}
	if ratio < MinContrast {
		return optErr("fg", hexColor(fg), "contrast with background %s is %.1f:1, need at least %.0f:1 for phones to scan it; use a darker foreground or a lighter background", hexColor(bg), ratio, MinContrast)
	}
	return nil
}

// luminance is the WCAG 2 relative luminance of c, from 0 (black) to 1.
func luminance(c color.NRGBA) float64 {
	lin := func(v uint8) float64 {
		f := float64(v) / 255
		if f <= 0.04045 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// ContrastRatio returns the WCAG contrast ratio of two colours, from 1 (same
// luminance) to 21 (black and white). Alpha is ignored.
func ContrastRatio(a, b color.Color) float64 {
	la, lb := luminance(toNRGBA(a)), luminance(toNRGBA(b))
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
