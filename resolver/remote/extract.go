package remote

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Short-link pages (m.tb.cn and family) answer 200 with an HTML page whose
// inline script holds the long URL as `var url = '…';` (sometimes with
// double quotes) and then navigates there with script [OBS: public scraping
// code reads it with the regular expression var url = '(.*?)';]. The page is
// never executed: the literal is read as text, JS-unescaped (\x26, \u0026,
// \/), then HTML-unescaped for the few entities a server may have written
// into it (&amp;), then validated like any other answer.

// extractTarget returns the first `var url = '…'` value in page that is an
// allowed target. It returns ErrNotFound when the page holds no non-empty
// value, and the first ErrDisallowedHost when it holds only disallowed ones.
// It never returns a URL that checkTarget would refuse. It runs in time
// linear in len(page).
func extractTarget(page []byte, allow func(string) bool) (string, error) {
	var firstErr error
	for from := 0; ; {
		val, next, found := nextVarURL(page, from)
		if !found {
			break
		}
		from = next
		v := strings.TrimSpace(unescapeEntities(val))
		if v == "" {
			continue
		}
		t, err := checkTarget(v, allow)
		if err == nil {
			return t, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", ErrNotFound
}

var varKeyword = []byte("var")

// nextVarURL finds the next well-formed `var url = '…'` (or "…") at or
// after from and returns its JS-decoded value and the offset to continue
// scanning from. found is false when there is none left.
func nextVarURL(page []byte, from int) (val string, next int, found bool) {
	for from < len(page) {
		i := bytes.Index(page[from:], varKeyword)
		if i < 0 {
			return "", len(page), false
		}
		i += from
		from = i + len(varKeyword)
		if i > 0 && isIdentByte(page[i-1]) {
			continue
		}
		k := skipJSSpace(page, from)
		if k == from || !bytes.HasPrefix(page[k:], []byte("url")) {
			continue
		}
		k += len("url")
		if k < len(page) && isIdentByte(page[k]) {
			continue
		}
		k = skipJSSpace(page, k)
		if k >= len(page) || page[k] != '=' || (k+1 < len(page) && page[k+1] == '=') {
			continue
		}
		k = skipJSSpace(page, k+1)
		if k >= len(page) || (page[k] != '\'' && page[k] != '"') {
			continue
		}
		v, n, ok := decodeJSString(page[k+1:], page[k])
		from = k + 1 + n
		if ok {
			return v, from, true
		}
	}
	return "", len(page), false
}

// isIdentByte reports whether c may be part of a JS identifier (bytes of
// multi-byte UTF-8 sequences count, so "变var" does not match "var").
func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '$' || c >= utf8.RuneSelf
}

func skipJSSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			i++
		default:
			return i
		}
	}
	return i
}

// decodeJSString decodes a JS string literal body b (just after the opening
// quote q) up to the closing quote. It returns the value, the number of
// bytes consumed (including the closing quote) and whether the literal was
// well formed. A raw line break, the end of b or a malformed escape make it
// ill-formed; n then tells where scanning stopped.
func decodeJSString(b []byte, q byte) (val string, n int, ok bool) {
	// Fast path: no escapes.
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case q:
			return string(b[:i]), i + 1, true
		case '\n', '\r':
			return "", i, false
		case '\\':
			return decodeJSStringSlow(b, q, i)
		}
	}
	return "", len(b), false
}

func decodeJSStringSlow(b []byte, q byte, start int) (string, int, bool) {
	var sb strings.Builder
	sb.Grow(len(b[:start]) + 32)
	sb.Write(b[:start])
	i := start
	for i < len(b) {
		c := b[i]
		switch c {
		case q:
			return sb.String(), i + 1, true
		case '\n', '\r':
			return "", i, false
		case '\\':
		default:
			sb.WriteByte(c)
			i++
			continue
		}
		// Escape sequence.
		i++
		if i >= len(b) {
			return "", i, false
		}
		e := b[i]
		i++
		switch e {
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'v':
			sb.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			sb.WriteByte(e - '0') // legacy octal: a control character, refused later
		case '\n': // line continuation
		case '\r':
			if i < len(b) && b[i] == '\n' {
				i++
			}
		case 'x':
			r, ok := parseHex(b, i, 2)
			if !ok {
				return "", i, false
			}
			i += 2
			sb.WriteRune(r)
		case 'u':
			r, w, ok := parseUnicodeEscape(b, i)
			if !ok {
				return "", i, false
			}
			i += w
			if utf16.IsSurrogate(r) {
				// A high surrogate may pair with a following \uDCxx.
				if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if r2, w2, ok := parseUnicodeEscape(b, i+2); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							sb.WriteRune(d)
							i += 2 + w2
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		default:
			// \/ \' \" \\ and any other character stand for themselves
			// (including the bytes of a multi-byte rune, copied as is).
			sb.WriteByte(e)
		}
	}
	return "", i, false
}

// parseUnicodeEscape parses the part after "\u": four hex digits or
// {1–6 hex digits}. It returns the rune and the bytes consumed.
func parseUnicodeEscape(b []byte, i int) (rune, int, bool) {
	if i < len(b) && b[i] == '{' {
		j := i + 1
		for j < len(b) && j-i <= 7 && b[j] != '}' {
			j++
		}
		if j >= len(b) || b[j] != '}' || j == i+1 || j-i > 7 {
			return 0, 0, false
		}
		r, ok := parseHex(b, i+1, j-i-1)
		if !ok || r > utf8.MaxRune {
			return 0, 0, false
		}
		return r, j - i + 1, true
	}
	r, ok := parseHex(b, i, 4)
	return r, 4, ok
}

// parseHex parses exactly n hex digits at b[i:].
func parseHex(b []byte, i, n int) (rune, bool) {
	if i+n > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+n] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// unescapeEntities decodes the HTML character references a server may
// write into a URL: &amp; &quot; &apos; &#39; &lt; &gt; and numeric
// references &#NN; / &#xHH;, each only with its terminating semicolon.
// Unlike html.UnescapeString it never decodes a legacy entity without a
// semicolon, so query parameters such as "&region=" or "&not=" survive.
func unescapeEntities(s string) string {
	amp := strings.IndexByte(s, '&')
	if amp < 0 {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for amp >= 0 {
		sb.WriteString(s[:amp])
		s = s[amp:]
		r, w := decodeEntity(s)
		if w == 0 {
			sb.WriteByte('&')
			s = s[1:]
		} else {
			sb.WriteRune(r)
			s = s[w:]
		}
		amp = strings.IndexByte(s, '&')
	}
	sb.WriteString(s)
	return sb.String()
}

// decodeEntity decodes the character reference at the start of s ("&…;")
// and returns the rune and its length, or w == 0 when there is none.
func decodeEntity(s string) (r rune, w int) {
	semi := strings.IndexByte(s, ';')
	if semi < 2 || semi > 10 {
		return 0, 0
	}
	name := s[1:semi]
	switch name {
	case "amp":
		return '&', semi + 1
	case "quot":
		return '"', semi + 1
	case "apos":
		return '\'', semi + 1
	case "lt":
		return '<', semi + 1
	case "gt":
		return '>', semi + 1
	}
	if name[0] != '#' || len(name) < 2 {
		return 0, 0
	}
	var n uint64
	var err error
	if name[1] == 'x' || name[1] == 'X' {
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil {
		return 0, 0
	}
	if n == 0 || n > utf8.MaxRune || utf16.IsSurrogate(rune(n)) {
		return utf8.RuneError, semi + 1
	}
	return rune(n), semi + 1
}
