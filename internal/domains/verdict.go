package domains

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Classifier turns one checker answer into a Verdict. The zero value
// classifies every 2xx answer as OK. Safe for concurrent use.
type Classifier struct {
	Blocked *regexp.Regexp // --domain-check-blocked: hard block when found in the body
	Soft    *regexp.Regexp // --domain-check-soft: soft block (复制到浏览器打开)
}

// Classify maps an HTTP status and body to a verdict. A transport error,
// a rate-limit or server error answer, or an empty or non-UTF-8 body is Unknown: it
// never blocks.
func (c Classifier) Classify(status int, body []byte) Verdict {
	if status < 200 || status > 299 || len(strings.TrimSpace(string(body))) == 0 || !utf8.Valid(body) {
		return Unknown
	}
	if c.Blocked != nil && c.Blocked.Match(body) {
		return Hard
	}
	if c.Soft != nil && c.Soft.Match(body) {
		return Soft
	}
	if strings.Contains(string(body), "页面被转码") || strings.Contains(string(body), `"transcoded"`) {
		return Transcoded
	}
	return OK
}
