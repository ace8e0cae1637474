package qr

import (
	"image/color"
	"net/url"
	"strconv"
	"strings"
)

// ParseColor parses an opaque colour written as "#rrggbb", "#rgb", "rrggbb"
// or "rgb" (hex digits, either case; surrounding spaces are ignored). A
// leading "#" must be sent as "%23" in a URL, so query parameters normally
// use the bare form.
func ParseColor(s string) (color.NRGBA, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimPrefix(v, "#")
	var c color.NRGBA
	switch len(v) {
	case 3, 6:
	default:
		return c, optErr("color", s, `must be a hex colour like "1a2b3c", "#1a2b3c" or "#abc"`)
	}
	var d [6]byte
	for i := 0; i < len(v); i++ {
		h, ok := unhex(v[i])
		if !ok {
			return c, optErr("color", s, `must be a hex colour like "1a2b3c", "#1a2b3c" or "#abc"`)
		}
		d[i] = h
	}
	if len(v) == 3 {
		c = color.NRGBA{d[0] * 17, d[1] * 17, d[2] * 17, 0xff}
	} else {
		c = color.NRGBA{d[0]<<4 | d[1], d[2]<<4 | d[3], d[4]<<4 | d[5], 0xff}
	}
	return c, nil
}

func unhex(b byte) (byte, bool) {
	switch {
	case '0' <= b && b <= '9':
		return b - '0', true
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10, true
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// hexColor formats c as "#rrggbb" (alpha ignored).
func hexColor(c color.NRGBA) string {
	const digits = "0123456789abcdef"
	b := [7]byte{'#',
		digits[c.R>>4], digits[c.R&15],
		digits[c.G>>4], digits[c.G&15],
		digits[c.B>>4], digits[c.B&15]}
	return string(b[:])
}

// ParseLevel parses an error-correction level: "L", "M", "Q", "H" or
// "low", "medium", "quartile", "high" (any case). The empty string is
// LevelDefault.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return LevelDefault, nil
	case "l", "low":
		return LevelL, nil
	case "m", "medium":
		return LevelM, nil
	case "q", "quartile":
		return LevelQ, nil
	case "h", "high":
		return LevelH, nil
	}
	return LevelDefault, optErr("level", s, "must be L, M, Q or H")
}

// ParseOptions reads Options from query parameters, looked up with query
// (which returns "" for a missing parameter):
//
//	size    image side in pixels, 64–2048 (default 256)
//	level   error correction L, M, Q or H (default M); "ec" is an alias
//	margin  quiet zone in modules, 0–16 (default 4)
//	fg, bg  colours as rrggbb, rgb, #rrggbb or #rgb (default 000000 on ffffff)
//	caption text under the code, in a frame: a preset name from
//	        CaptionPresets (wechat → 微信扫一扫, taobao → 打开淘宝扫一扫, tmall,
//	        alipay; any case) or up to 24 characters taken literally
//	frame   1/true/yes or 0/false/no: a thin border around the code (default
//	        0; a caption always has one, so frame=0 with a caption is an error)
//
// Missing or empty parameters take their default; unknown parameters are
// ignored. The result has no logo. Errors are *OptionError values naming the
// parameter and the accepted range; the first invalid parameter is reported.
// No string from query is retained, so query may return memory that is only
// valid during the call (a Fiber context's Query, for example).
func ParseOptions(query func(string) string) (Options, error) {
	var o Options
	if v := query("size"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < MinSize || n > MaxSize {
			return Options{}, optErr("size", v, "must be an integer from %d to %d (pixels)", MinSize, MaxSize)
		}
		o.Size = n
	}
	lv, ec := query("level"), query("ec")
	param, v := "level", lv
	if v == "" {
		param, v = "ec", ec
	}
	if v != "" {
		l, err := ParseLevel(v)
		if err != nil {
			return Options{}, optErr(param, v, "must be L, M, Q or H")
		}
		if lv != "" && ec != "" {
			if l2, err := ParseLevel(ec); err != nil || l2 != l {
				return Options{}, optErr("ec", ec, "conflicts with level=%s; give only one of level and ec", l)
			}
		}
		o.Level = l
	}
	if v := query("margin"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > MaxMargin {
			return Options{}, optErr("margin", v, "must be an integer from 0 to %d (modules)", MaxMargin)
		}
		if n == 0 {
			n = NoMargin
		}
		o.Margin = n
	}
	for _, p := range [...]string{"fg", "bg"} {
		v := query(p)
		if v == "" {
			continue
		}
		c, err := ParseColor(v)
		if err != nil {
			err.(*OptionError).Param = p
			return Options{}, err
		}
		if p == "fg" {
			o.Foreground = c
		} else {
			o.Background = c
		}
	}
	if v := strings.TrimSpace(query("caption")); v != "" {
		if p, ok := CaptionPresets[strings.ToLower(v)]; ok {
			v = p
		}
		if err := checkCaption(v); err != nil {
			return Options{}, err
		}
		o.Caption = strings.Clone(v)
	}
	if v := query("frame"); v != "" {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "y", "on":
			o.Frame = true
		case "0", "false", "no", "n", "off":
			if o.Caption != "" {
				return Options{}, optErr("frame", v, "a caption is always drawn in a frame; drop frame=0 or the caption")
			}
		default:
			return Options{}, optErr("frame", v, "must be 1 or 0")
		}
	}
	if err := o.Validate(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// OptionsFromQuery is ParseOptions over url.Values (first value of each
// parameter).
func OptionsFromQuery(q url.Values) (Options, error) {
	return ParseOptions(q.Get)
}
