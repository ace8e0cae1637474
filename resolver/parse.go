package resolver

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEmbedded bounds the embedded URLs one Parse call examines, so that
// adversarial input (many nested "http" strings) stays linear.
const maxEmbedded = 24

// maxSpans is how many URL spans of a text are remembered for the token scan.
const maxSpans = 8

// Parse returns the Taobao-family entity in input: a URL, an app scheme, a
// share text, a bare 淘口令 token, or a text, markdown, HTML or JSON snippet
// holding one of these. It never fails: input without a Taobao-family entity
// is an Entity of KindUnknown (PlatformUnknown, or PlatformTaobao/Tmall for a
// family page that is not an entity, such as a home or login page).
//
// When a text holds several candidates the first known entity wins. A link
// inside a non-Taobao wrapper URL (redirector, shopping agent, landing page)
// is returned with Via set to the wrapper's host. Parse is pure and safe for
// concurrent use.
func Parse(input string) Entity {
	p := parser{budget: maxEmbedded}
	return p.parseText(strings.TrimSpace(input))
}

type parser struct {
	budget int    // embedded URLs left to examine
	rule   string // the rule that produced the last family result (constant)
}

// Explain is Parse, also naming the rule that decided the entity (a short
// English sentence, for `hutong resolve --explain` and for triaging a miss).
// Safe for concurrent use.
func Explain(input string) (Entity, string) {
	p := parser{budget: maxEmbedded}
	e := p.parseText(strings.TrimSpace(input))
	switch {
	case e.Kind == KindPassword:
		p.rule = "a 淘口令 token in the text (between currency signs, brackets or emoji, or beside a CZ-style share code)"
	case e.Platform == PlatformUnknown:
		p.rule = "no Taobao-family URL, host or token found"
	case p.rule == "":
		p.rule = "recognised " + string(e.Kind) + " shape (app-internal page.tm route or legacy short-link host)"
	}
	if e.Via != "" {
		p.rule += "; found inside a wrapper URL on " + e.Via
	}
	return e, p.rule
}

type span struct{ start, end int }

func unknownEntity() Entity {
	return Entity{Platform: PlatformUnknown, Kind: KindUnknown, IDType: IDNone}
}

func (p *parser) parseText(s string) Entity {
	if s == "" {
		return unknownEntity()
	}
	// JSON- and HTML-escaped links: unescape the separators only. '\' alone
	// is left for splitURL, which treats it like a browser does.
	if strings.IndexByte(s, '\\') >= 0 {
		if strings.Contains(s, `\/`) {
			s = strings.ReplaceAll(s, `\/`, "/")
		}
		if strings.Contains(s, `\u0026`) {
			s = strings.ReplaceAll(s, `\u0026`, "&")
		}
	}
	if strings.Contains(s, "&amp;") {
		s = strings.ReplaceAll(s, "&amp;", "&")
	}

	var spans [maxSpans]span
	nspans := 0
	found, fallback := unknownEntity(), unknownEntity()
	haveFallback, sawURL := false, false

	for pos := 0; pos < len(s); {
		j := strings.Index(s[pos:], "//")
		if j < 0 {
			break
		}
		j += pos
		start, scheme, ok := urlStart(s, j)
		if !ok {
			pos = j + 2
			continue
		}
		if (scheme == schemeTmall || scheme == schemeTaobao || scheme == schemeTbopen) &&
			(hasPrefixFold(s[j+2:], "https://") || hasPrefixFold(s[j+2:], "http://")) {
			// An app scheme wrapping a web URL ("tmall://https://detail…"):
			// the app opens the inner URL, so resolve that.
			pos = j + 2
			continue
		}
		end, glued := urlEnd(s, j+2)
		sawURL = true
		if glued && !strings.ContainsAny(s[j+2:end], "/\\?#") {
			// A host glued to non-ASCII text ("item.taobao.com中.evil") is
			// ambiguous (a browser would read an IDN host): not a URL, and
			// nothing up to the next space is one either — a browser would
			// read "https://中//taobao.com/…" as host 中 with a path, so a
			// "//" inside it does not start a link.
			pos = skipToSpace(s, end)
			continue
		}
		if nspans < maxSpans {
			spans[nspans] = span{start, end}
			nspans++
		}
		e, fam := p.parseURL(s[start:end], scheme, j+2-start)
		pos = end
		if e.Known() {
			found = e
			break
		}
		if fam && !haveFallback {
			fallback, haveFallback = e, true
		}
	}
	if !found.Known() && !sawURL {
		if e, sp, fam := p.bareScan(s); fam {
			if nspans < maxSpans {
				spans[nspans] = sp
				nspans++
			}
			if e.Known() {
				found = e
			} else if !haveFallback {
				fallback, haveFallback = e, true
			}
		}
	}
	// Nothing but the URL itself: no share text around it.
	whole := nspans == 1 && spans[0].start == 0 && spans[0].end == len(s)
	if found.Known() {
		if !whole {
			if found.Tpwd == "" && found.Kind != KindPassword {
				found.Tpwd = findToken(s, spans[:nspans])
			}
			found.Title = findTitle(s)
		}
		return found
	}
	if !whole {
		if tok := findToken(s, spans[:nspans]); tok != "" {
			return Entity{
				Platform: PlatformTaobao,
				Kind:     KindPassword,
				ID:       tok,
				IDType:   IDTpwd,
				Title:    findTitle(s),
			}
		}
	}
	if haveFallback {
		return fallback
	}
	return unknownEntity()
}

// skipToSpace returns the index of the first ASCII or ideographic space
// at or after i (len(s) when there is none).
func skipToSpace(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			return i
		}
		if strings.HasPrefix(s[i:], "\u3000") {
			return i
		}
	}
	return i
}

// urlStart finds where the URL whose "//" is at s[j] starts, and its scheme.
// A scheme must be one the resolver follows and must not be glued to a
// preceding letter ("lottemartmall://" is not "tmall://"). Without a scheme,
// "//" must follow a boundary (start, space, quote, bracket, '=', non-ASCII).
func urlStart(s string, j int) (start int, scheme string, ok bool) {
	if j > 0 && s[j-1] == ':' {
		k := j - 1
		for k > 0 && isSchemeChar(s[k-1]) {
			k--
		}
		word := s[k : j-1]
		for _, ks := range [...]string{schemeHTTPS, schemeHTTP, schemeTaobao, schemeTmall, schemeTbopen} {
			if len(word) < len(ks) || !strings.EqualFold(word[len(word)-len(ks):], ks) {
				continue
			}
			if len(word) > len(ks) {
				c := lower(word[len(word)-len(ks)-1])
				if c >= 'a' && c <= 'z' {
					continue
				}
			}
			return j - 1 - len(ks), ks, true
		}
		return 0, "", false
	}
	if j == 0 {
		return 0, "", true
	}
	switch c := s[j-1]; {
	case c >= 0x80, c == ' ', c == '\t', c == '\n', c == '\r', c == '"', c == '\'',
		c == '(', c == '[', c == '<', c == '>', c == '=':
		return j, "", true
	}
	return 0, "", false
}

func isSchemeChar(c byte) bool {
	return isAlnum(c) || c == '+' || c == '-' || c == '.'
}

// urlEnd returns where the URL that continues at s[from] ends inside a text:
// at white space, quotes, angle and square brackets, parentheses, and at
// non-ASCII characters, except letters directly after '=' (a query value such
// as q=收纳箱). Trailing sentence punctuation is not part of the URL. glued
// reports a stop at a non-ASCII byte.
func urlEnd(s string, from int) (end int, glued bool) {
	i := from
	afterEq := false
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if isURLStop(c) {
				break
			}
			afterEq = c == '='
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !afterEq || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			glued = true
			break
		}
		i += n
	}
	for i > from && isTrailingPunct(s[i-1]) {
		i--
	}
	return i, glued
}

// URL stop characters in a text, as a 128-bit set: controls, space, DEL and
// " ' < > ` ( ) [ ] { } | ^.
const (
	urlStopLo = 1<<33 - 1 | 1<<'"' | 1<<'\'' | 1<<'<' | 1<<'>' | 1<<'(' | 1<<')'
	urlStopHi = 1<<('`'-64) | 1<<('['-64) | 1<<(']'-64) | 1<<('{'-64) | 1<<('}'-64) |
		1<<('|'-64) | 1<<('^'-64) | 1<<(0x7f-64)
)

func isURLStop(c byte) bool {
	if c < 64 {
		return urlStopLo&(uint64(1)<<c) != 0
	}
	return urlStopHi&(uint64(1)<<(c-64)) != 0
}

func isTrailingPunct(c byte) bool {
	return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?'
}

// parseURL classifies one URL; fam reports a Taobao-family result (known
// or not).
func (p *parser) parseURL(raw, scheme string, authStart int) (e Entity, fam bool) {
	u, ok := splitURL(raw, scheme, authStart)
	if !ok {
		return unknownEntity(), false
	}
	return p.classify(u)
}

// bareScan looks for a scheme-less Taobao-family URL ("m.tb.cn/h.x",
// "item.taobao.com/item.htm?id=1") in a text that had no "//" URL.
func (p *parser) bareScan(s string) (Entity, span, bool) {
	var fallback Entity
	var fsp span
	haveFallback := false
	for i := 0; i < len(s); {
		c := s[i]
		if !isHostChar(c) {
			i++
			continue
		}
		j := i
		for j < len(s) && isHostChar(s[j]) {
			j++
		}
		if !bareBoundary(s, i) || strings.IndexByte(s[i:j], '.') < 0 || j < len(s) && s[j] == '@' {
			i = j
			continue
		}
		h, ok := normalizeHost(s[i:j])
		if !ok {
			i = j
			continue
		}
		if _, _, fam := familyOf(h); !fam {
			i = j
			continue
		}
		end, glued := urlEnd(s, j)
		u, ok := splitURL(s[i:end], "", 0)
		if !ok || glued && !strings.ContainsAny(s[j:end], "/\\?#") {
			i = end
			continue
		}
		u.raw = "https://" + s[i:end]
		e, fam := p.classify(u)
		if e.Known() {
			return e, span{i, end}, true
		}
		if fam && !haveFallback {
			fallback, fsp, haveFallback = e, span{i, end}, true
		}
		i = end
	}
	return fallback, fsp, haveFallback
}

func isHostChar(c byte) bool { return isAlnum(c) || c == '.' || c == '-' || c == '_' }

// bareBoundary reports whether a bare host may start at s[i].
func bareBoundary(s string, i int) bool {
	if i == 0 {
		return true
	}
	switch c := s[i-1]; {
	case c >= 0x80, c == ' ', c == '\t', c == '\n', c == '\r', c == '"', c == '\'',
		c == '(', c == '[', c == '<', c == '>', c == '=', c == ':', c == ',', c == ';':
		return true
	}
	return false
}

// classify resolves a split URL.
func (p *parser) classify(u rawURL) (Entity, bool) {
	if u.scheme == "" && strings.HasPrefix(u.raw, "//") {
		u.raw = "https:" + u.raw
	}
	app := u.scheme == schemeTaobao || u.scheme == schemeTmall || u.scheme == schemeTbopen
	if app && u.host == "page.tm" {
		return p.pageTm(u), true
	}
	sub, fd, fam := familyOf(u.host)
	if !fam {
		if app {
			return unknownEntity(), false
		}
		return p.wrapper(u), false
	}
	return p.family(u, sub, fd), true
}

// wrapper looks inside a non-Taobao URL for a Taobao-family link.
func (p *parser) wrapper(u rawURL) Entity {
	e, ok := p.embedded(u.tail)
	if !ok {
		if tok := tokenParam(u); tok != "" {
			return Entity{Platform: PlatformTaobao, Kind: KindPassword, ID: tok, IDType: IDTpwd, Via: u.host}
		}
		return unknownEntity()
	}
	e.Via = u.host
	if e.Tpwd == "" && e.Kind != KindPassword {
		e.Tpwd = tokenParam(u)
	}
	return e
}

// tokenParam returns a 淘口令 carried by a landing page parameter
// (taowords=, tpwd=, tkl=, kouling=).
func tokenParam(u rawURL) string {
	q := u.query
	if i := strings.IndexByte(u.fragment, '?'); i >= 0 {
		q = q + "&" + u.fragment[i+1:]
	}
	for _, n := range [...]string{"taowords", "tpwd", "tkl", "kouling"} {
		if v, ok := getParam(q, n); ok && len(v) >= 8 && len(v) <= 16 && isAlnumString(v) {
			return v
		}
	}
	return ""
}

func isAlnumString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return s != ""
}

// embedded finds the first Taobao-family entity linked from tail, as a raw
// ("url=https://…"), percent-encoded ("https%3A%2F%2F…", "https%3A//…",
// double-encoded) or half-encoded URL. Hosts are validated after decoding.
func (p *parser) embedded(tail string) (Entity, bool) {
	for i := 0; i < len(tail) && p.budget > 0; {
		k := strings.Index(tail[i:], "http")
		if k < 0 {
			break
		}
		k += i
		i = k + 4
		if k > 0 && isAlnum(tail[k-1]) {
			continue
		}
		r := tail[k+4:]
		if r != "" && r[0] == 's' {
			r = r[1:]
		}
		var v string
		switch {
		case strings.HasPrefix(r, "://"):
			v = tail[k:]
		case hasPrefixFold(r, "%3a%2f%2f"), hasPrefixFold(r, "%3a//"), hasPrefixFold(r, "%253a%252f%252f"):
			v = tail[k:]
			if e := strings.IndexAny(v, "&#"); e >= 0 {
				v = v[:e]
			}
			for n := 0; n < 3 && strings.IndexByte(v[:min(len(v), 8)], '%') >= 0; n++ {
				v = percentDecode(v, false)
			}
		default:
			continue
		}
		if c := strings.IndexFunc(v, isControlOrSpace); c >= 0 {
			v = v[:c] // decoded CR, LF, NUL or space ends the inner URL
		}
		p.budget--
		e, fam := p.parseAbsolute(v)
		if e.Known() {
			return e, true
		}
		if fam && (containsFold(v, "%26") || containsFold(v, "%3d")) && p.budget > 0 {
			// Half-encoded: the inner URL's own query is still escaped.
			p.budget--
			v = percentDecode(v, false)
			if c := strings.IndexFunc(v, isControlOrSpace); c >= 0 {
				v = v[:c]
			}
			if e, _ := p.parseAbsolute(v); e.Known() {
				return e, true
			}
		}
	}
	return Entity{}, false
}

// parseAbsolute parses v, which starts with "http://" or "https://".
func (p *parser) parseAbsolute(v string) (Entity, bool) {
	c := strings.IndexByte(v, ':')
	if c < 0 || !strings.HasPrefix(v[c:], "://") {
		return unknownEntity(), false
	}
	scheme, ok := knownScheme(v[:c])
	if !ok {
		return unknownEntity(), false
	}
	return p.parseURL(v, scheme, c+3)
}

func isControlOrSpace(r rune) bool { return r <= ' ' || r == 0x7f }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// pageTm resolves Tmall's app-internal host: tmall://page.tm/shop?shopId=,
// tmall://page.tm/itemDetail?id=, tmall://page.tm/webview?url=.
func (p *parser) pageTm(u rawURL) Entity {
	seg := lastSegment(u.path)
	switch {
	case strings.EqualFold(seg, "shop"):
		if e, ok := shopByParams(u, PlatformTmall); ok {
			return e
		}
	case strings.EqualFold(seg, "itemDetail"), strings.EqualFold(seg, "item"), strings.EqualFold(seg, "detail"):
		if id := digitParam(u.query, "id", "itemId", "item_id"); id != "" {
			return itemEntity(PlatformTmall, id, digitParam(u.query, "skuId"), u)
		}
	}
	if e, ok := p.embedded(u.tail); ok {
		return e
	}
	return familyUnknown(PlatformTmall, u)
}

func familyUnknown(plat Platform, u rawURL) Entity {
	return Entity{Platform: plat, Kind: KindUnknown, IDType: IDNone, URL: u.raw}
}

// family resolves a URL on a Taobao-family host.
func (p *parser) family(u rawURL, sub string, fd familyDomain) Entity {
	plat := fd.platform
	switch fd.domain {
	case "tb.cn":
		switch sub {
		case "", "m", "s", "e", "c":
			if code := singleSegment(u.path); isCode(code) {
				p.rule = "tb.cn short link: one path segment is the code"
				return shortEntity(plat, code, "https://"+u.host+"/"+code, u)
			}
		}
		return familyUnknown(plat, u)
	case legacyShortHost:
		if sub == "" || sub == "www" {
			if pathHasPrefixFold(u.path, "/s/") && isCode(u.path[3:]) {
				return shortEntity(plat, u.path[1:], "", u)
			}
		}
		return familyUnknown(plat, u)
	case "taobao.com":
		switch sub {
		case "s.click":
			seg := singleSegment(u.path)
			if strings.EqualFold(seg, "t") || strings.EqualFold(seg, "t_js") {
				p.rule = "s.click.taobao.com/t: affiliate click link"
				return couponEntity(u)
			}
			if isCode(seg) {
				return shortEntity(plat, seg, "https://s.click.taobao.com/"+seg, u)
			}
			return familyUnknown(plat, u)
		case "uland":
			p.rule = "uland.taobao.com: coupon page"
			return couponEntity(u)
		}
	}
	if id := itemID(u); id != "" {
		p.rule = "item page path (item.htm, detail.htm, i{ID}.htm, /item/{ID}.htm, security-h5-detail) with its id"
		return itemEntity(plat, id, digitParam(u.query, "skuId"), u)
	}
	if e, ok := liveEntity(u, sub, plat, false); ok {
		p.rule = "live room: live/tbzb host or a path mentioning live, with id, liveId or feedId"
		return e
	}
	if e, ok := searchEntity(u, sub, fd); ok {
		p.rule = "search host (s.taobao.com, s.m.taobao.com, main.m.taobao.com/search, list.tmall.com)"
		return e
	}
	if isShopPage(u.path) {
		if e, ok := shopByParams(u, plat); ok {
			p.rule = "shop page (shop_index.htm, view_shop.htm) with shop_id or a seller id"
			return e
		}
	}
	if e, ok := shopByHost(u, sub, fd); ok {
		p.rule = "shop sub-domain (shopNNN.taobao.com, NAME.taobao.com, NAME.tmall.com, NNN.world.taobao.com) on a shop home path"
		return e
	}
	// Parameter fallbacks for pages we do not know by path.
	if id := digitParam(u.query, "itemId", "item_id"); id != "" {
		p.rule = "family page of unknown path with itemId= / item_id="
		return itemEntity(plat, id, digitParam(u.query, "skuId"), u)
	}
	if t, _ := getParam(u.query, "targetType"); strings.EqualFold(t, "item") {
		if id := digitParam(u.query, "targetId"); id != "" {
			return itemEntity(plat, id, digitParam(u.query, "skuId"), u)
		}
	}
	if e, ok := liveEntity(u, sub, plat, true); ok {
		return e
	}
	if e, ok := p.embedded(u.tail); ok {
		return e
	}
	if e, ok := queryFallback(u, plat); ok {
		p.rule = "unknown family page: its query names the entity (shopId, or a 9–13 digit id=)"
		return e
	}
	p.rule = "a Taobao-family page that is not an entity (home, channel, activity, login…)"
	return familyUnknown(plat, u)
}

// queryFallback is the policy for family pages nobody has described: a host
// or path the resolver does not know (a legacy API such as
// hws.m.taobao.com/cache/wdetail/5.0/?id=, a router such as
// /market/lu/findgoods_router.php?id=) still names its entity in the query.
// shopId / shop_id name a shop; a bare id= of 9 to 13 digits (the length of
// every Taobao item id in the corpus; activity and page ids are shorter or
// not numeric) names an item. Channel and activity pages (pages.tmall.com,
// …/wow/…) are excluded: their id= is a page id.
func queryFallback(u rawURL, plat Platform) (Entity, bool) {
	if containsFold(u.path, "/wow/") || containsFold(u.path, "/act/") {
		return Entity{}, false
	}
	if shop := digitParam(u.query, "shopId", "shop_id"); shop != "" {
		return shopByParams(u, plat)
	}
	if id := digitParam(u.query, "id"); len(id) >= 9 && len(id) <= 13 {
		return itemEntity(plat, id, digitParam(u.query, "skuId"), u), true
	}
	return Entity{}, false
}

// singleSegment returns the path's only segment ("/h.abc" → "h.abc"), or "".
func singleSegment(path string) string {
	path = strings.TrimSuffix(path, "/")
	if len(path) < 2 || path[0] != '/' && path[0] != '\\' {
		return ""
	}
	path = path[1:]
	if strings.ContainsAny(path, `/\`) {
		return ""
	}
	return path
}

// itemID returns the item id of an item page URL, or "".
func itemID(u rawURL) string {
	seg := lastSegment(u.path)
	if n := len(seg); n > 4 && hasSuffixFold(seg, ".htm") || n > 5 && hasSuffixFold(seg, ".html") {
		stem := seg[:strings.LastIndexByte(seg, '.')]
		// a.m.taobao.com/i123.htm
		if len(stem) > 1 && (stem[0] == 'i' || stem[0] == 'I') && isDigits(stem[1:]) {
			return stem[1:]
		}
		// world.taobao.com/item/123.htm, www.taobao.com/list/item/123.htm
		if isDigits(stem) && containsFold(u.path, "/item/") {
			return stem
		}
		switch {
		case strings.EqualFold(stem, "item"), strings.EqualFold(stem, "item_o"), strings.EqualFold(stem, "detail"):
			return digitParam(u.query, "id", "itemId", "item_id")
		}
		return ""
	}
	if pathHasPrefixFold(u.path, "/security-h5-detail/") {
		return digitParam(u.query, "id", "itemId")
	}
	return ""
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// liveEntity recognises live rooms: live.taobao.com, tbzb.taobao.com and
// paths mentioning "live" (taolive/video.html, act/talent/live.html) with
// id, liveId or feedId; with anyPage, any family page with liveId.
func liveEntity(u rawURL, sub string, plat Platform, anyPage bool) (Entity, bool) {
	id := digitParam(u.query, "liveId")
	feed := digitParam(u.query, "feedId")
	if !anyPage {
		if sub != "live" && sub != "tbzb" && !containsFold(u.path, "live") {
			return Entity{}, false
		}
		if id == "" {
			id = digitParam(u.query, "id")
		}
		if id == "" {
			id = feed
		}
	}
	if id == "" {
		return Entity{}, false
	}
	e := Entity{Platform: plat, Kind: KindLive, ID: id, IDType: IDLive, URL: u.raw}
	if feed != "" && feed != id {
		e.LiveFeedID = feed
	}
	e.Params = filterQuery(u.query, keepParams)
	e.Canonical = canonical("https://h5.m.taobao.com/taolive/video.html?id=", id, "", "", true, u.query)
	return e, true
}

// searchEntity recognises search pages: s.taobao.com, s.m.taobao.com,
// main.m.taobao.com/search, list.tmall.com.
func searchEntity(u rawURL, sub string, fd familyDomain) (Entity, bool) {
	var base string
	switch {
	case fd.domain == "taobao.com" && (sub == "s" || sub == "s.m"),
		fd.domain == "taobao.com" && sub == "main.m" && pathHasPrefixFold(u.path, "/search"):
		base = "https://s.taobao.com/search?q="
	case fd.domain == "tmall.com" && (sub == "list" || sub == "list.m"):
		base = "https://list.tmall.com/search_product.htm?q="
	default:
		return Entity{}, false
	}
	raw, _ := getParam(u.query, "q")
	q := percentDecode(raw, true)
	if !utf8.ValidString(q) {
		q = strings.ToValidUTF8(q, "")
	}
	e := Entity{Platform: fd.platform, Kind: KindSearch, IDType: IDNone, Query: q, URL: u.raw}
	e.Params = filterQuery(u.query, keepParams)
	e.Canonical = base + queryEscape(q)
	return e, true
}

// queryEscape escapes s for a query value (like url.QueryEscape).
func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c):
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

func isUnreserved(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '~'
}

// isShopPage reports a shop page path: shop_index.htm, view_shop.htm.
func isShopPage(path string) bool {
	seg := lastSegment(path)
	return strings.EqualFold(seg, "shop_index.htm") || strings.EqualFold(seg, "view_shop.htm") ||
		strings.EqualFold(seg, "shop_index.html")
}

// shopByParams resolves shop_id= / user_id= style shop links.
func shopByParams(u rawURL, plat Platform) (Entity, bool) {
	shop := digitParam(u.query, "shop_id", "shopId")
	seller := digitParam(u.query, "user_id", "user_number_id", "sellerId", "seller_id", "userId")
	switch {
	case shop != "":
		e := shopEntity(plat, shop, IDShop, "https://shop"+shop+".taobao.com/", false, u)
		e.SellerID = seller
		return e, true
	case seller != "":
		return shopEntity(plat, seller, IDSeller, "https://shop.m.taobao.com/shop/shop_index.htm?user_id="+seller, true, u), true
	}
	return Entity{}, false
}

// shopByHost resolves shopNNN.taobao.com, NAME.taobao.com, NAME.tmall.com,
// NAME.m.tmall.com, NAME.tmall.hk and NNN.world.taobao.com.
func shopByHost(u rawURL, sub string, fd familyDomain) (Entity, bool) {
	if sub == "" || !isShopHomePath(u.path) {
		return Entity{}, false
	}
	seller := digitParam(u.query, "user_id", "user_number_id", "sellerId", "seller_id", "userId", "suid")
	var e Entity
	switch fd.domain {
	case "taobao.com":
		name := strings.TrimSuffix(sub, ".world")
		world := len(name) != len(sub)
		if strings.IndexByte(name, '.') >= 0 {
			return Entity{}, false
		}
		switch {
		case len(name) > 4 && name[:4] == "shop" && isDigits(name[4:]):
			e = shopEntity(fd.platform, name[4:], IDShop, "https://"+name+".taobao.com/", false, u)
		case world && isDigits(name):
			e = shopEntity(fd.platform, name, IDShop, "https://"+sub+".taobao.com/", false, u)
		case world:
			// NAME.world.taobao.com are regional sites (sg., ai.), not shops.
			return Entity{}, false
		case !world && reservedTaobao(name), isDigits(name):
			return Entity{}, false
		default:
			e = shopEntity(fd.platform, name, IDShopDomain, "https://"+sub+".taobao.com/", false, u)
		}
	case "tmall.com", "tmall.hk":
		name := strings.TrimSuffix(sub, ".m")
		if strings.IndexByte(name, '.') >= 0 || reservedTmall(name) || isDigits(name) {
			return Entity{}, false
		}
		e = shopEntity(fd.platform, name, IDShopDomain, "https://"+name+"."+fd.domain+"/", false, u)
	default:
		return Entity{}, false
	}
	if seller != e.ID {
		e.SellerID = seller
	}
	return e, true
}

// isShopHomePath reports paths a shop sub-domain serves as shop pages.
func isShopHomePath(path string) bool {
	switch {
	case path == "", path == "/",
		strings.EqualFold(path, "/index.htm"), strings.EqualFold(path, "/index.html"),
		strings.EqualFold(path, "/search.htm"), strings.EqualFold(path, "/view_shop.htm"),
		strings.EqualFold(path, "/shop_index.htm"),
		pathHasPrefixFold(path, "/shop/"), pathHasPrefixFold(path, "/category"),
		pathHasPrefixFold(path, "/p/"):
		return true
	}
	return false
}

// reservedTaobao lists taobao.com sub-domains that are services, not shops.
func reservedTaobao(name string) bool {
	switch name {
	case "www", "m", "wap", "i", "h5", "main", "market", "item", "detail", "s",
		"list", "login", "passport", "reg", "member", "member1", "buyertrade",
		"trade", "cart", "buy", "my", "favorite", "uland", "world", "huodong",
		"tbzb", "live", "new", "a", "shop", "store", "ai", "pages", "page",
		"chaoshi", "jhs", "ju", "tejia", "temai", "mall", "brand", "3c", "car",
		"travel", "trip", "mm", "pub", "ad", "wangwang", "ww", "im", "bbs",
		"help", "service", "consumerservice", "rule", "err", "error", "assets",
		"g", "gw", "api", "open", "developer", "fuwu", "seller", "sell",
		"sellercenter", "maijia", "zhaoshang", "myseller", "qianniu", "daren",
		"we", "guang", "tb", "tbk", "aq", "security", "safe", "tbsec", "img",
		"static", "cdn", "hd", "wow", "click", "rate", "report", "tmall",
		"paimai", "sf", "xianyu", "2", "ju-m", "vip", "jifen", "coupon", "q",
		"ask", "baike", "zhibo", "tv", "video", "taolive", "alimama", "ali",
		"dl", "download", "app", "apps", "mobile", "mo", "wireless", "air",
		"pass", "account", "logout", "shopsearch", "sclick", "o", "go":
		return true
	}
	return false
}

// reservedTmall lists tmall.com / tmall.hk sub-domains that are services.
func reservedTmall(name string) bool {
	switch name {
	case "www", "m", "h5", "detail", "chaoshi", "list", "login", "pages",
		"page", "equity-vip", "buy", "cart", "vip", "brand", "mei", "miao",
		"wow", "jx", "tv", "ai", "3c", "food", "import", "global", "hk",
		"mall", "huodong", "ju", "service", "rule", "err", "error", "help",
		"assets", "g", "api", "sellercenter", "zhaoshang", "myseller", "yao",
		"car", "jia", "fresh", "super", "tmallgenie", "genie", "passport",
		"member", "my", "trade", "pay", "coupon", "act", "activity", "sale",
		"shop", "store", "s", "search", "img", "static", "cdn", "fw", "xue",
		"pinpai", "tejia", "temai", "tmall", "wireless", "app", "mobile",
		"download", "dl", "go", "o", "new":
		return true
	}
	return false
}

// couponEntity resolves uland.taobao.com and s.click.taobao.com/t links.
func couponEntity(u rawURL) Entity {
	e := Entity{Platform: PlatformTaobao, Kind: KindCoupon, IDType: IDNone, URL: u.raw}
	if id := digitParam(u.query, "itemId", "item_id", "id"); id != "" {
		e.ID, e.IDType = id, IDItem
	} else if id := digitParam(u.query, "sellerId", "seller_id"); id != "" {
		e.ID, e.IDType = id, IDSeller
	}
	if a, _ := getParam(u.query, "activityId"); len(a) <= 64 && isAlnumString(a) {
		e.ActivityID = a
	}
	path := u.path
	if !isSafePath(path) {
		path = "/coupon/edetail"
	}
	e.Params = filterQuery(u.query, keepParams)
	kept := filterQuery(u.query, 1<<ParamIdentity|keepAffiliate)
	var b strings.Builder
	b.Grow(len("https://") + len(u.host) + len(path) + 1 + len(kept))
	b.WriteString("https://")
	b.WriteString(u.host)
	b.WriteString(path)
	if kept != "" {
		b.WriteByte('?')
		b.WriteString(kept)
	}
	e.Canonical = b.String()
	return e
}

func isSafePath(p string) bool {
	if p == "" || p[0] != '/' || len(p) > 128 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !isAlnum(c) && c != '/' && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func itemEntity(plat Platform, id, sku string, u rawURL) Entity {
	e := Entity{Platform: plat, Kind: KindItem, ID: id, IDType: IDItem, SKU: sku, URL: u.raw}
	e.Params = filterQuery(u.query, keepParams)
	prefix := "https://item.taobao.com/item.htm?id="
	if plat == PlatformTmall {
		prefix = "https://detail.tmall.com/item.htm?id="
	}
	e.Canonical = canonical(prefix, id, "&skuId=", sku, true, u.query)
	return e
}

func shopEntity(plat Platform, id string, t IDType, base string, hasQuery bool, u rawURL) Entity {
	e := Entity{Platform: plat, Kind: KindShop, ID: id, IDType: t, URL: u.raw}
	e.Params = filterQuery(u.query, keepParams)
	e.Canonical = canonical(base, "", "", "", hasQuery, u.query)
	return e
}

// shortEntity builds a short-link entity; canon "" means no canonical URL
// (a host outside IsTaobaoHost).
func shortEntity(plat Platform, code, canon string, u rawURL) Entity {
	e := Entity{Platform: plat, Kind: KindShort, ID: code, IDType: IDShortCode, URL: u.raw, Canonical: canon}
	e.Params = filterQuery(u.query, keepParams)
	if tk, _ := getParam(u.query, "tk"); len(tk) >= 8 && len(tk) <= 16 && isAlnumString(tk) {
		e.Tpwd = tk
	}
	return e
}

// canonical builds prefix+id[+skuKey+sku] followed by the affiliate
// parameters of query, in their original order and encoding, in one
// allocation.
func canonical(prefix, id, skuKey, sku string, hasQuery bool, query string) string {
	n := len(prefix) + len(id)
	if sku != "" {
		n += len(skuKey) + len(sku)
	}
	aff := filteredLen(query, keepAffiliate)
	var b strings.Builder
	b.Grow(n + aff)
	b.WriteString(prefix)
	b.WriteString(id)
	if sku != "" {
		b.WriteString(skuKey)
		b.WriteString(sku)
	}
	if aff > 0 {
		sep := byte('&')
		if !hasQuery {
			sep = '?'
		}
		appendFiltered(&b, query, keepAffiliate, sep)
	}
	return b.String()
}
