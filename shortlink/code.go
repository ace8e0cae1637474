package shortlink

import (
	"crypto/rand"
	"strings"
)

// Alphabet is the set of characters random codes are drawn from: digits and
// ASCII letters without the look-alikes 0, O, 1, l and I (57 characters).
const Alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// Code and alias length limits.
const (
	// DefaultCodeLength is the length of a random code: 57^7 ≈ 1.95e12 codes.
	DefaultCodeLength = 7
	// MinAliasLength and MaxAliasLength bound custom aliases.
	MinAliasLength = 3
	MaxAliasLength = 64
)

// NewCode returns a random code of n characters from Alphabet, drawn from
// crypto/rand without modulo bias. n < 1 means DefaultCodeLength. Safe for
// concurrent use.
func NewCode(n int) string {
	if n < 1 {
		n = DefaultCodeLength
	}
	const limit = 256 - 256%len(Alphabet) // reject bytes ≥ limit: no bias
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, Alphabet[int(b)%len(Alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// reserved are the first path segments the server routes itself; a code
// equal to one of them (ignoring case, as Fiber routes ignore case by
// default) would shadow or be shadowed by a route.
var reserved = []string{
	"api", "r", "ui", "healthz", "readyz", "livez", "metrics", "static",
	"assets", "favicon.ico", "robots.txt", "sitemap.xml", ".well-known",
	"apple-app-site-association", "admin", "login", "logout", "qr",
	"docs", "version", "debug",
}

// ReservedWords returns the path segments that can never be a code or an
// alias (compared ignoring case). The slice is a fresh copy; the server uses
// the same list for its routes.
func ReservedWords() []string {
	return append([]string(nil), reserved...)
}

// IsReserved reports whether s, ignoring case, is one of ReservedWords.
func IsReserved(s string) bool {
	for _, r := range reserved {
		if strings.EqualFold(s, r) {
			return true
		}
	}
	return false
}

// isReservedASCII is IsReserved for an ASCII s (as ValidateCode has
// checked): the reserved words are ASCII too, so a match has their length
// (for non-ASCII input, Unicode folding such as ſ → s breaks that). It is on
// every tap's path.
func isReservedASCII(s string) bool {
	if len(s) >= len(reservedByLen) {
		return false
	}
	for _, r := range reservedByLen[len(s)] {
		if strings.EqualFold(s, r) {
			return true
		}
	}
	return false
}

// reservedByLen holds the reserved words by length: a code is compared
// with the few of its own length (at most four), not all of them.
var reservedByLen = func() [][]string {
	var by [][]string
	for _, r := range reserved {
		for len(by) <= len(r) {
			by = append(by, nil)
		}
		by[len(r)] = append(by[len(r)], r)
	}
	return by
}()

// ValidateCode checks a code or custom alias: MinAliasLength to
// MaxAliasLength characters from [A-Za-z0-9_-], not a reserved word.
// Codes are case-sensitive. It returns an *Error with CodeInvalid.
func ValidateCode(code string) error {
	switch codeProblem(code) {
	case codeBadLength:
		return aliasError("alias %q must be %d to %d characters long", code, MinAliasLength, MaxAliasLength)
	case codeBadChar:
		return aliasError("alias %q may contain only letters, digits, '_' and '-'", code)
	case codeReserved:
		return aliasError("alias %q is reserved; choose another", code)
	}
	return nil
}

// aliasError is a CodeInvalid *Error about the alias (its message names it).
func aliasError(format string, args ...any) *Error {
	e := Errorf(CodeInvalid, format, args...)
	e.Field = "alias"
	return e
}

// IsCode reports whether ValidateCode accepts code, without building the
// error: the server asks it of every request path's first segment.
func IsCode(code string) bool { return codeProblem(code) == codeOK }

const (
	codeOK = iota
	codeBadLength
	codeBadChar
	codeReserved
)

func codeProblem(code string) int {
	if len(code) < MinAliasLength || len(code) > MaxAliasLength {
		return codeBadLength
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return codeBadChar
		}
	}
	if isReservedASCII(code) {
		return codeReserved
	}
	return codeOK
}

// ValidateDomain checks a short domain: "" (the default domain) or a
// lower-case host name of at most 253 characters from [a-z0-9.-], optionally
// with a :port.
func ValidateDomain(d string) error {
	if d == "" {
		return nil
	}
	if len(d) > 253 {
		return &Error{Code: CodeInvalid, Field: "domain", Message: "domain is longer than 253 characters"}
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':') {
			e := Errorf(CodeInvalid, "domain %q must be a lower-case host name", d)
			e.Field = "domain"
			return e
		}
	}
	return nil
}
