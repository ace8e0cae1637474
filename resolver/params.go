package resolver

import "strings"

// ParamClass is the policy class of a query parameter on a Taobao-family
// URL (ROUTING.md "Parameters").
type ParamClass uint8

// Parameter classes. The zero value is ParamUnknown.
const (
	// ParamUnknown is a parameter the policy does not know. Default: dropped
	// from Entity.Params and Entity.Canonical (allowlist policy: only
	// parameters whose meaning is known reach a destination).
	ParamUnknown ParamClass = iota
	// ParamIdentity says what the page is: id, skuId, shop_id, user_id,
	// liveId, quantity, and the page-specific itemId, item_id, shopId,
	// sellerId, user_number_id, feedId, activityId, targetId, q,
	// sku_properties. Kept.
	ParamIdentity
	// ParamAffiliate carries commission attribution: ali_trackid,
	// union_lens, pid, refpid, relationId, specialId, e, ak, ali_refid and a
	// bxsign starting "tbk". Kept verbatim, also in Canonical.
	ParamAffiliate
	// ParamSharer identifies who shared: tk, sp_tk, un, share_crt_v,
	// shareUniqueId, suid, ut_sk, wxsign, sm and any other bxsign. Kept in
	// Params, stripped from Canonical.
	ParamSharer
	// ParamNoise is analytics or UI state, including WeChat's from and
	// isappinstalled. Stripped.
	ParamNoise
	// ParamAdClick is an ad-platform click id meant for the hutong link
	// itself (ClickIDParams: gdt_vid, qz_gdt, click_id, clickid, callback,
	// cb, bd_vid, utm_*): recorded on the click, passed on only where a rule
	// says so. Not in Params.
	ParamAdClick
)

var paramClassNames = [...]string{"unknown", "identity", "affiliate", "sharer", "noise", "adclick"}

// String returns the lower-case name of the class ("identity", …).
func (c ParamClass) String() string {
	if int(c) < len(paramClassNames) {
		return paramClassNames[c]
	}
	return "unknown"
}

// ClassifyParam returns the policy class of the query parameter name with
// the given value. The value matters only for bxsign (a "tbk…" signature is
// affiliate, any other is sharer). name is matched case-sensitively, as
// Taobao does, after percent-decoding when it contains '%'.
func ClassifyParam(name, value string) ParamClass {
	if strings.IndexByte(name, '%') >= 0 {
		name = percentDecode(name, false)
	}
	switch name {
	case "id", "skuId", "shop_id", "user_id", "liveId", "quantity",
		"itemId", "item_id", "shopId", "sellerId", "user_number_id",
		"feedId", "activityId", "targetId", "q", "sku_properties":
		return ParamIdentity
	case "ali_trackid", "union_lens", "pid", "refpid", "relationId",
		"specialId", "e", "ak", "ali_refid":
		return ParamAffiliate
	case "bxsign":
		if strings.HasPrefix(value, "tbk") {
			return ParamAffiliate
		}
		return ParamSharer
	case "tk", "sp_tk", "un", "share_crt_v", "shareUniqueId", "suid",
		"ut_sk", "wxsign", "sm":
		return ParamSharer
	case "spm", "scm", "pvid", "utparam", "abbucket", "ns", "priceTId",
		"xxc", "sp_abtk", "tbSocialPopKey", "cpp", "shareurl",
		"short_name", "app", "sourceType", "un_site", "price", "from",
		"isappinstalled", "origin_price", "original_price":
		return ParamNoise
	}
	// A bare "utm_" is no click ID (IsClickIDParam) but is classified
	// with them, as every utm_* parameter.
	if IsClickIDParam(name) || strings.HasPrefix(name, "utm_") {
		return ParamAdClick
	}
	return ParamUnknown
}

// ClickIDParams are the query parameters on a hutong link that identify an
// ad click (ROUTING.md "Parameters"): the one list that classifies a
// target's parameters (ParamAdClick), records click IDs on events
// (internal/track) and validates a link's forward_click_ids. Names ending
// in "_" are prefixes ("utm_" matches utm_source, utm_campaign, …).
// Read-only.
var ClickIDParams = []string{"gdt_vid", "qz_gdt", "click_id", "clickid", "callback", "cb", "bd_vid", "utm_"}

// IsClickIDParam reports whether the query parameter name is one of
// ClickIDParams: exact, or a prefix entry followed by at least one more
// byte ("utm_source", not "utm_"). It does not allocate.
func IsClickIDParam(name string) bool {
	for _, p := range ClickIDParams {
		if p[len(p)-1] == '_' {
			if len(name) > len(p) && name[:len(p)] == p {
				return true
			}
		} else if name == p {
			return true
		}
	}
	return false
}

// FilterQuery returns the parameters of rawQuery (an encoded query string
// without '?', "a=1&b=2") whose class keep accepts, verbatim: original
// order, original encoding, '&'-joined. Empty parameters ("a=1&&b=2") are
// dropped. It returns a substring of rawQuery (no allocation) when the kept
// parameters are contiguous. keep must not be nil.
func FilterQuery(rawQuery string, keep func(ParamClass) bool) string {
	var mask uint8
	for c := ParamUnknown; c <= ParamAdClick; c++ {
		if keep(c) {
			mask |= 1 << c
		}
	}
	return filterQuery(rawQuery, mask)
}

// Masks for filterQuery.
const (
	keepParams    = 1<<ParamIdentity | 1<<ParamAffiliate | 1<<ParamSharer
	keepAffiliate = 1 << ParamAffiliate
)

// nextParam returns the first parameter of q and the rest after its '&'.
func nextParam(q string) (param, rest string) {
	if i := strings.IndexByte(q, '&'); i >= 0 {
		return q[:i], q[i+1:]
	}
	return q, ""
}

func splitParam(p string) (name, value string) {
	if i := strings.IndexByte(p, '='); i >= 0 {
		return p[:i], p[i+1:]
	}
	return p, ""
}

// keeps reports whether parameter p ("name=value") is kept under mask.
// A parameter holding raw bytes that are never valid in a URL (controls,
// space, quotes, angle brackets, backslash…) is never kept, so Params and
// Canonical are safe to put in a Location header.
func keeps(mask uint8, p string) bool {
	name, value := splitParam(p)
	if mask&(1<<ClassifyParam(name, value)) == 0 {
		return false
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c <= ' ', c == 0x7f, c == '"', c == '<', c == '>', c == '\\', c == '`', c == '{', c == '}', c == '|', c == '^':
			return false
		}
	}
	return true
}

func filterQuery(q string, mask uint8) string {
	// First pass: the span of kept parameters, and whether it is contiguous.
	start, end, n, size := -1, -1, 0, 0
	contiguous, gap := true, false
	off := 0
	for rest := q; off < len(q); {
		var p string
		p, rest = nextParam(rest)
		pStart := off
		off += len(p) + 1
		if p == "" || !keeps(mask, p) {
			gap = start >= 0
			continue
		}
		if start < 0 {
			start = pStart
		} else if gap {
			contiguous = false
		}
		end = pStart + len(p)
		n++
		size += len(p)
	}
	if n == 0 {
		return ""
	}
	if contiguous {
		return q[start:end]
	}
	var b strings.Builder
	b.Grow(size + n - 1)
	appendFiltered(&b, q, mask, 0)
	return b.String()
}

// appendFiltered writes the kept parameters of q to b, '&'-joined; a
// non-zero sep is written before the first one.
func appendFiltered(b *strings.Builder, q string, mask uint8, sep byte) {
	first := true
	for rest := q; rest != ""; {
		var p string
		p, rest = nextParam(rest)
		if p == "" || !keeps(mask, p) {
			continue
		}
		switch {
		case !first:
			b.WriteByte('&')
		case sep != 0:
			b.WriteByte(sep)
		}
		first = false
		b.WriteString(p)
	}
}

// filteredLen is the length appendFiltered writes with a separator.
func filteredLen(q string, mask uint8) int {
	n := 0
	for rest := q; rest != ""; {
		var p string
		p, rest = nextParam(rest)
		if p != "" && keeps(mask, p) {
			n += 1 + len(p)
		}
	}
	return n
}

// getParam returns the raw value of the first parameter called name in q.
func getParam(q, name string) (string, bool) {
	for rest := q; rest != ""; {
		var p string
		p, rest = nextParam(rest)
		if len(p) > len(name) && p[len(name)] == '=' && p[:len(name)] == name {
			return p[len(name)+1:], true
		}
		if p == name {
			return "", true
		}
	}
	return "", false
}

// digitParam returns the first of names whose value in q is all digits.
func digitParam(q string, names ...string) string {
	for _, n := range names {
		if v, ok := getParam(q, n); ok && isDigits(v) {
			return v
		}
	}
	return ""
}
