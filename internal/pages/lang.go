package pages

import (
	"strconv"
	"strings"
)

// Lang is the language a page is rendered in. The zero value and any value
// other than LangZH and LangEN render as LangZH.
type Lang string

// Languages with a message catalogue. Chinese comes first: it is the default.
const (
	// LangZH is Simplified Chinese (zh-CN), the default.
	LangZH Lang = "zh-CN"
	// LangEN is English.
	LangEN Lang = "en"
)

// norm maps unknown values to the default language.
func (l Lang) norm() Lang {
	if l == LangEN {
		return LangEN
	}
	return LangZH
}

// LangFromAcceptLanguage picks the page language from an Accept-Language
// header (RFC 9110 §12.5.4). Quality values are honoured; on a tie the
// range listed first wins. Any zh range (zh, zh-CN, zh-TW, zh-Hant-HK, …)
// selects LangZH, any en range LangEN, and "*" the default LangZH. Ranges
// with q=0 are refused; an empty, malformed or unmatched header gives
// LangZH. It does not allocate and is safe for concurrent use.
func LangFromAcceptLanguage(header string) Lang {
	return LangFromAcceptLanguageOr(header, LangZH)
}

// LangFromAcceptLanguageOr is LangFromAcceptLanguage with def for "*" and
// for a header that names neither language (the API answers English
// unless Chinese is asked for).
func LangFromAcceptLanguageOr(header string, def Lang) Lang {
	best, bestQ := def, 0.0
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ",")
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		var lang Lang
		switch {
		case tag == "*":
			lang = def
		case primaryIs(tag, "zh"):
			lang = LangZH
		case primaryIs(tag, "en"):
			lang = LangEN
		default:
			continue
		}
		q, ok := qValue(params)
		if !ok || q <= bestQ {
			continue
		}
		best, bestQ = lang, q
	}
	return best
}

// primaryIs reports whether the language tag's primary subtag is p
// (ASCII case-insensitive).
func primaryIs(tag, p string) bool {
	if len(tag) < len(p) || !strings.EqualFold(tag[:len(p)], p) {
		return false
	}
	return len(tag) == len(p) || tag[len(p)] == '-' || tag[len(p)] == '_'
}

// qValue reads the q parameter of one Accept-Language range; absent means
// 1. ok is false when the value does not parse or is outside [0, 1].
func qValue(params string) (q float64, ok bool) {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, found := strings.Cut(p, "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0, false
		}
		return q, true
	}
	return 1, true
}
