package resolver

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenLen is the length of a 淘口令 token (2017 to today: 11 characters of
// [A-Za-z0-9]).
const tokenLen = 11

// findToken returns the first 淘口令 token in s outside the URL spans, or "".
//
// A token is a run of exactly 11 ASCII letters and digits that either
//   - sits between two equal currency or symbol characters (￥…￥, ¥ € ₤ £ ₳
//     ¢ $, emoji such as 📱…📱) and mixes letters with digits or cases;
//   - sits between paired brackets ( ) （ ） 「 」 《 》 【 】 [ ] and has
//     upper case, lower case and digits;
//   - follows an opening bracket and precedes an emoji or symbol (or the
//     '?' a lossy pipeline leaves of one) and mixes letters with digits or
//     cases;
//   - is next to a share code such as "CZ3457" and mixes letters with digits
//     or cases;
//   - is the whole input and has upper case, lower case and digits.
func findToken(s string, spans []span) string {
	sp := 0
	for i := 0; i < len(s); {
		for sp < len(spans) && spans[sp].end <= i {
			sp++
		}
		if sp < len(spans) && spans[sp].start <= i {
			i = spans[sp].end
			continue
		}
		if !isAlnum(s[i]) {
			i++
			continue
		}
		limit := len(s)
		if sp < len(spans) {
			limit = spans[sp].start
		}
		j := i
		for j < limit && isAlnum(s[j]) {
			j++
		}
		if j-i == tokenLen && tokenContext(s, i, j) {
			return s[i:j]
		}
		i = j
	}
	return ""
}

func tokenContext(s string, i, j int) bool {
	tok := s[i:j]
	if i == 0 && j == len(s) {
		return tokenClasses(tok) == 3
	}
	pr, _ := utf8.DecodeLastRuneInString(s[:i])
	nr, _ := utf8.DecodeRuneInString(s[j:])
	if i > 0 && j < len(s) && pr != utf8.RuneError {
		if pr == nr && isTokenSymbol(pr) {
			return plausibleToken(tok)
		}
		if closing(pr) == nr && nr != 0 {
			return tokenClasses(tok) == 3
		}
		// 2024+ live and item shares open the token with a bracket and
		// close it with an emoji ("88《FVTtVunuUGt🤗 https://m.tb.cn/…"),
		// which a chat or log may have turned into '?'.
		if closing(pr) != 0 && (nr == '?' || isTokenSymbol(nr)) {
			return plausibleToken(tok)
		}
	}
	if shareCodeBefore(s, i) || shareCodeAfter(s, j) {
		return plausibleToken(tok)
	}
	return false
}

// isTokenSymbol reports a rune used on both sides of a token: any currency
// sign ($ ￥ ¥ € ₤ £ ₳ ¢ …) or other symbol (emoji).
func isTokenSymbol(r rune) bool {
	return unicode.Is(unicode.Sc, r) || unicode.Is(unicode.So, r)
}

func closing(r rune) rune {
	switch r {
	case '(':
		return ')'
	case '（':
		return '）'
	case '「':
		return '」'
	case '《':
		return '》'
	case '【':
		return '】'
	case '[':
		return ']'
	}
	return 0
}

// tokenClasses counts the character classes (upper, lower, digit) in tok.
func tokenClasses(tok string) int {
	var up, lo, dg int
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case c >= 'A' && c <= 'Z':
			up = 1
		case c >= 'a' && c <= 'z':
			lo = 1
		default:
			dg = 1
		}
	}
	return up + lo + dg
}

// plausibleToken: at least two classes and at least one letter.
func plausibleToken(tok string) bool {
	n := tokenClasses(tok)
	if n < 2 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] > '9' {
			return true
		}
	}
	return false
}

// isShareCode reports "CZ3457"-style codes: two upper-case letters and two
// to four digits.
func isShareCode(w string) bool {
	if len(w) < 4 || len(w) > 6 {
		return false
	}
	for k := 0; k < 2; k++ {
		if w[k] < 'A' || w[k] > 'Z' {
			return false
		}
	}
	return isDigits(w[2:])
}

// shareCodeBefore reports "CZ3457 " directly before s[i].
func shareCodeBefore(s string, i int) bool {
	if i < 2 || s[i-1] != ' ' {
		return false
	}
	k := i - 1
	for k > 0 && isAlnum(s[k-1]) {
		k--
	}
	if k > 0 && isAlnum(s[k-1]) {
		return false
	}
	return isShareCode(s[k : i-1])
}

// shareCodeAfter reports " CZ3457" directly after s[:j].
func shareCodeAfter(s string, j int) bool {
	if j+1 >= len(s) || s[j] != ' ' {
		return false
	}
	k := j + 1
	for k < len(s) && isAlnum(s[k]) {
		k++
	}
	return isShareCode(s[j+1 : k])
}

// findTitle returns the title a share text carries: the first 「…」 (with
// nested 「」), else the first 【…】 that is not an app badge such as
// 【淘宝】, else the text before a lone 】 (a share text whose head was cut).
func findTitle(s string) string {
	if i := strings.Index(s, "「"); i >= 0 {
		depth := 0
		for k := i; k < len(s); {
			r, n := utf8.DecodeRuneInString(s[k:])
			switch r {
			case '「':
				depth++
			case '」':
				depth--
				if depth == 0 {
					if t := strings.TrimSpace(s[i+len("「") : k]); t != "" {
						return t
					}
				}
			}
			k += n
		}
	}
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], "【")
		if i < 0 {
			break
		}
		i += off + len("【")
		j := strings.Index(s[i:], "】")
		if j < 0 {
			break
		}
		if t := strings.TrimSpace(s[i : i+j]); t != "" && !isBadge(t) {
			return t
		}
		off = i + j + len("】")
	}
	if j := strings.Index(s, "】"); j > 0 && !strings.Contains(s[:j], "【") {
		return strings.TrimSpace(s[:j])
	}
	return ""
}

// isBadge reports the app or sender names share texts put in 【】.
func isBadge(t string) bool {
	switch t {
	case "淘宝", "天猫", "闲鱼", "手机淘宝", "淘宝网", "天猫超市", "淘宝特价版", "淘特",
		"点淘", "飞猪", "聚划算", "阿里云", "京东", "拼多多", "得物", "唯品会":
		return true
	}
	return false
}
