package route

import (
	"errors"
	"fmt"
	"strings"
)

// Template syntax (see README.md, "URL templates"):
//
//	https://main.m.taobao.com/security-h5-detail/home?id={id}[&skuId={sku}]
//
//   - Literal text is copied as is. It must be printable ASCII without
//     spaces, backslashes, '{', '}', '[' or ']' (write %7B %7D %5B %5D).
//   - {name} is a placeholder. Its value is percent-encoded: every byte
//     except A–Z a–z 0–9 - . _ ~ becomes %XX, so a value can never add a
//     query parameter, a fragment or a path. {canonical} alone is inserted
//     verbatim (it is a whole URL) and may only start a template.
//   - [ … ] is an optional section: it is written only when every
//     placeholder inside it has a value. Sections do not nest and must hold
//     at least one placeholder.
//   - A placeholder outside a section is required. A template may list
//     alternatives; the first whose required placeholders all have values
//     is used. When none fits, there is no URL (the tap gets the info page).
//
// Templates are compiled once when a Table is built; expansion appends to
// a caller's byte slice without reflection, maps or allocations.

// varID names a placeholder.
type varID uint8

// Placeholders. The order is the bit order of values.present.
const (
	varNone varID = iota
	varEntityID
	varSKU
	varQty
	varShopID
	varSellerID
	varDomain
	varLiveID
	varQ
	varActivityID
	varPayChannel
	varURL
	varCanonical
	numVars
)

var varNames = [numVars]string{
	varEntityID:   "id",
	varSKU:        "sku",
	varQty:        "qty",
	varShopID:     "shop_id",
	varSellerID:   "seller_id",
	varDomain:     "domain",
	varLiveID:     "live_id",
	varQ:          "q",
	varActivityID: "activity_id",
	varPayChannel: "pay_channel",
	varURL:        "url",
	varCanonical:  "canonical",
}

// sampleValues fill every placeholder when a template's host is checked
// against the allowlist at load time.
func sampleValues() values {
	var v values
	v.set(varEntityID, "1")
	v.set(varSKU, "1")
	v.set(varQty, "1")
	v.set(varShopID, "1")
	v.set(varSellerID, "1")
	v.set(varDomain, "shop")
	v.set(varLiveID, "1")
	v.set(varQ, "q")
	v.set(varActivityID, "1")
	v.set(varPayChannel, PayWeChat)
	v.url = []byte("https://m.taobao.com/")
	v.present |= 1 << varURL
	return v
}

func lookupVar(name string) varID {
	for i, n := range varNames {
		if n == name && i != 0 {
			return varID(i)
		}
	}
	return varNone
}

func varList() string {
	names := make([]string, 0, numVars)
	for _, n := range varNames[1:] {
		names = append(names, "{"+n+"}")
	}
	return strings.Join(names, " ")
}

// values holds placeholder values for one expansion.
type values struct {
	v       [numVars]string
	url     []byte // {url}: bytes, to avoid a string copy
	present uint32
}

func (vs *values) set(id varID, s string) {
	if s == "" {
		return
	}
	vs.v[id] = s
	vs.present |= 1 << id
}

// part is a literal (v == varNone) or a placeholder.
type part struct {
	lit string
	v   varID
}

// section is a run of parts, optional or required.
type section struct {
	parts    []part
	needs    uint32 // placeholders used
	optional bool
}

// alt is one alternative of a template.
type alt struct {
	src      string
	sections []section
	needs    uint32 // required placeholders
	raw      bool   // starts with {canonical}
}

// template is a compiled URL template.
type template struct {
	name string
	alts []alt
}

// compileTemplate compiles the alternatives of one template. web says
// whether it builds http(s) pages ({url} not allowed) or an app URL
// ({url} required, {canonical} not allowed).
func compileTemplate(name string, srcs []string, web bool) (*template, error) {
	if len(srcs) == 0 {
		return nil, fmt.Errorf("template %s is empty", name)
	}
	t := &template{name: name}
	for _, src := range srcs {
		a, err := compileAlt(src, web)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", src, err)
		}
		t.alts = append(t.alts, a)
	}
	return t, nil
}

func compileAlt(src string, web bool) (alt, error) {
	a := alt{src: src}
	if src == "" {
		return a, errors.New("empty")
	}
	cur := section{}
	flush := func() {
		if len(cur.parts) > 0 {
			a.sections = append(a.sections, cur)
			if !cur.optional {
				a.needs |= cur.needs
			}
		}
		cur = section{}
	}
	lit := 0 // start of the current literal
	addLit := func(end int) {
		if end > lit {
			cur.parts = append(cur.parts, part{lit: src[lit:end]})
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '{':
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return a, fmt.Errorf("unclosed { at byte %d", i)
			}
			name := src[i+1 : i+end]
			id := lookupVar(name)
			if id == varNone {
				return a, fmt.Errorf("unknown placeholder {%s} (valid: %s)", name, varList())
			}
			switch {
			case id == varCanonical && (!web || i != 0):
				return a, errors.New("{canonical} may only start a web template")
			case id == varURL && web:
				return a, errors.New("{url} is only for the tbopen and intent templates")
			}
			addLit(i)
			cur.parts = append(cur.parts, part{v: id})
			cur.needs |= 1 << id
			if id == varCanonical {
				a.raw = true
			}
			i += end
			lit = i + 1
		case c == '[':
			if cur.optional {
				return a, fmt.Errorf("nested [ at byte %d", i)
			}
			addLit(i)
			flush()
			cur.optional = true
			lit = i + 1
		case c == ']':
			if !cur.optional {
				return a, fmt.Errorf("] without [ at byte %d", i)
			}
			addLit(i)
			if cur.needs == 0 {
				return a, fmt.Errorf("optional section ending at byte %d has no placeholder", i)
			}
			flush()
			lit = i + 1
		case c == '}':
			return a, fmt.Errorf("} without { at byte %d", i)
		case c <= ' ' || c >= 0x7f || c == '\\':
			return a, fmt.Errorf("byte %d: %q not allowed (percent-encode it)", i, c)
		}
	}
	if cur.optional {
		return a, errors.New("unclosed [")
	}
	addLit(len(src))
	flush()
	if !web && a.needs&(1<<varURL) == 0 {
		return a, errors.New("an app template must use {url} outside [ ]")
	}
	if web && !a.raw {
		lower := strings.ToLower(src)
		if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
			return a, errors.New("must start with https:// or http:// (or {canonical})")
		}
	}
	if !web {
		lower := strings.ToLower(src)
		if strings.HasPrefix(lower, "https:") || strings.HasPrefix(lower, "http:") || strings.HasPrefix(lower, "javascript:") || !strings.Contains(src, "://") {
			return a, errors.New("an app template must use a custom scheme like tbopen:// or intent://")
		}
	}
	return a, nil
}

// expand appends the first alternative whose required placeholders are all
// present. ok is false when none fits.
func (t *template) expand(dst []byte, vs *values) (out []byte, ok bool) {
	if t == nil {
		return dst, false
	}
	for i := range t.alts {
		a := &t.alts[i]
		if vs.present&a.needs != a.needs {
			continue
		}
		for j := range a.sections {
			s := &a.sections[j]
			if s.optional && vs.present&s.needs != s.needs {
				continue
			}
			for _, p := range s.parts {
				switch p.v {
				case varNone:
					dst = append(dst, p.lit...)
				case varCanonical:
					dst = append(dst, vs.v[p.v]...)
				case varURL:
					dst = appendEscapedBytes(dst, vs.url)
				default:
					dst = appendEscaped(dst, vs.v[p.v])
				}
			}
		}
		return dst, true
	}
	return dst, false
}

const hexUpper = "0123456789ABCDEF"

// unreserved reports RFC 3986 unreserved bytes.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendEscaped appends s with every byte but the unreserved ones
// percent-encoded (space is %20, valid in a path and a query alike).
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

// appendEscapedBytes is appendEscaped for a byte slice.
func appendEscapedBytes(dst, s []byte) []byte {
	for _, c := range s {
		if unreserved(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}
