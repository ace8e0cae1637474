package resolver

import "strings"

// rawURL is a URL split the way a browser (WHATWG URL) would split it, for
// the few schemes the resolver cares about. All fields are substrings of the
// input except host, which is lower-cased (allocating only when needed).
type rawURL struct {
	raw      string // the URL as found
	scheme   string // "http", "https", "taobao", "tmall", "tbopen" or "" (protocol-relative, bare)
	host     string // validated, lower case, no userinfo, port or trailing dot
	path     string // may be empty; '\' separators are treated like '/'
	query    string // without '?'
	fragment string // without '#'
	tail     string // everything after the authority: path, query, fragment
}

// Schemes the resolver understands, as returned in rawURL.scheme.
const (
	schemeHTTP   = "http"
	schemeHTTPS  = "https"
	schemeTaobao = "taobao"
	schemeTmall  = "tmall"
	schemeTbopen = "tbopen"
)

// knownScheme returns the canonical spelling of s if it is a scheme the
// resolver follows, case-insensitively.
func knownScheme(s string) (string, bool) {
	switch {
	case strings.EqualFold(s, schemeHTTPS):
		return schemeHTTPS, true
	case strings.EqualFold(s, schemeHTTP):
		return schemeHTTP, true
	case strings.EqualFold(s, schemeTaobao):
		return schemeTaobao, true
	case strings.EqualFold(s, schemeTmall):
		return schemeTmall, true
	case strings.EqualFold(s, schemeTbopen):
		return schemeTbopen, true
	}
	return "", false
}

// splitURL splits s, which must start with "scheme://" or "//" (scheme
// already checked by the caller: schemeEnd is the index of ':' or -1 for a
// protocol-relative URL). It reports false when the authority is not a
// valid host name.
//
// Browser rules are followed where look-alikes hide: the authority ends at
// the first '/', '\', '?' or '#'; userinfo ends at the LAST '@' of the
// authority; a port must be digits; the host must pass normalizeHost (no
// percent-escapes, no non-ASCII).
func splitURL(s, scheme string, authStart int) (rawURL, bool) {
	u := rawURL{raw: s, scheme: scheme}
	rest := s[authStart:]
	end := len(rest)
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '/', '\\', '?', '#':
			end = i
		default:
			continue
		}
		break
	}
	auth := rest[:end]
	rest = rest[end:]
	u.tail = rest
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	if c := strings.LastIndexByte(auth, ':'); c >= 0 {
		for i := c + 1; i < len(auth); i++ {
			if auth[i] < '0' || auth[i] > '9' {
				return u, false
			}
		}
		auth = auth[:c]
	}
	h, ok := normalizeHost(auth)
	if !ok {
		return u, false
	}
	u.host = h
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		u.fragment = rest[i+1:]
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		u.query = gluedQuery(rest[i+1:])
		rest = rest[:i]
	}
	u.path = rest
	return u, true
}

// gluedQuery reads a query glued on a second time, as share tools and
// hand-edited links make them ("item.htm?id=123?spm=…"): a '?' right after
// a parameter whose value is digits becomes '&', so the number is the
// value (the link is item 123, not an unknown link) and what follows is
// read as parameters. Any other '?' (inside a nested URL, a search text)
// is left. It allocates only when q holds such a '?'.
func gluedQuery(q string) string {
	var b []byte
	for i := strings.IndexByte(q, '?'); i >= 0; {
		j := i
		for j > 0 && q[j-1] >= '0' && q[j-1] <= '9' {
			j--
		}
		if j < i && j > 0 && q[j-1] == '=' {
			if b == nil {
				b = []byte(q)
			}
			b[i] = '&'
		}
		k := strings.IndexByte(q[i+1:], '?')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	if b == nil {
		return q
	}
	return string(b)
}

// lastSegment returns the path after its last '/' or '\'.
func lastSegment(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' || path[i] == '\\' {
			return path[i+1:]
		}
	}
	return path
}

// pathHasPrefixFold reports whether path starts with prefix, ignoring ASCII
// case and treating '\' as '/'.
func pathHasPrefixFold(path, prefix string) bool {
	if len(path) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := path[i], prefix[i]
		if a == '\\' {
			a = '/'
		}
		if a != b && lower(a) != b {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains the lower-case ASCII sub, ignoring
// ASCII case in s.
func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) != sub[0] {
			continue
		}
		j := 1
		for j < n && lower(s[i+j]) == sub[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isCode reports whether s is a plausible short-link code: [A-Za-z0-9._-],
// 3 to 40 bytes, not starting with a dot.
func isCode(s string) bool {
	if len(s) < 3 || len(s) > 40 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode decodes %XX escapes (and '+' as space when plus is set).
// Invalid escapes are kept as they are. It returns s itself when there is
// nothing to decode.
func percentDecode(s string, plus bool) string {
	i := 0
	for ; i < len(s); i++ {
		if s[i] == '%' || plus && s[i] == '+' {
			break
		}
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
			b = append(b, c)
		case c == '+' && plus:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
