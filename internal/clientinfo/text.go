package clientinfo

import "strings"

// asciiLower lowercases ASCII letters only, byte for byte, so indexes into
// the result are indexes into s (strings.ToLower would rewrite invalid UTF-8
// and change lengths). It allocates only when s has an upper-case letter.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	// One allocation: runs without capitals are copied whole.
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		b.WriteByte(s[i] + 'a' - 'A')
		i++
		j := i
		for j < len(s) && (s[j] < 'A' || s[j] > 'Z') {
			j++
		}
		b.WriteString(s[i:j])
		i = j
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// maxVersionLen bounds a version string: longer digit runs are noise.
const maxVersionLen = 24

// versionAt reads a dotted numeric version at s[i:], keeping at most three
// components ("8.0.49.2600" → "8.0.49", "6.2.2.54_rec" → "6.2.2",
// "10.4" → "10.4"). It returns "" when s[i] is not a digit or the version is
// implausibly long.
func versionAt(s string, i int) string {
	if i < 0 || i >= len(s) {
		return ""
	}
	end, j := i, i
	for comps := 0; comps < 3; comps++ {
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k == j {
			break
		}
		end = k
		if k+1 >= len(s) || s[k] != '.' {
			break
		}
		j = k + 1
	}
	if end-i > maxVersionLen {
		return ""
	}
	return s[i:end]
}

// versionAfter is versionAt just after the first marker in s.
func versionAfter(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		return ""
	}
	return versionAt(s, i+len(marker))
}

// indexWord is strings.Index for a token that must not continue a word:
// indexWord("MQQ/1 QQ/2", "QQ/") finds the second one.
func indexWord(s, tok string) int {
	off := 0
	for {
		i := strings.Index(s[off:], tok)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || !isAlnum(s[i-1]) {
			return i
		}
		off = i + 1
	}
}

// wordAround returns the token of s around s[i:j] (extended to delimiters),
// at most 40 bytes, for naming an unknown bot.
func wordAround(s string, i, j int) string {
	isDelim := func(c byte) bool {
		switch c {
		case ' ', ';', '(', ')', '/', '+', ',', '\t', '"', '\'':
			return true
		}
		return c < 0x20 || c >= 0x7f
	}
	for i > 0 && !isDelim(s[i-1]) && j-i < 40 {
		i--
	}
	for j < len(s) && !isDelim(s[j]) && j-i < 40 {
		j++
	}
	return s[i:j]
}
