package shortlink

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hutong-dev/hutong/resolver"
)

// Limits checked by Validate. Lengths are in bytes of UTF-8.
const (
	MaxTargetLength  = 4096
	MaxTags          = 20
	MaxTagLength     = 64
	MaxCampaignLen   = 128
	MaxTitleLength   = 512
	MaxDescLength    = 2048
	MaxImageLength   = 2048
	MaxUTMParams     = 10
	MaxUTMNameLength = 64
	// MaxUTMValueLength bounds one utm_ value (utm_campaign=…).
	MaxUTMValueLength = 256
	MaxClickIDs       = 20
	MaxClickIDLength  = 64
	MaxSKULength      = 64
	MaxDesktopURLLen  = 2048
	// MaxQuantity bounds route.quantity (a buy-now link's item count).
	MaxQuantity = 999
	// MaxKeyNameLength bounds an API key's name.
	MaxKeyNameLength = 128
)

// MaxExpiry is the latest expires_at a link may have: JSON (RFC 3339)
// cannot write a later year.
var MaxExpiry = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// invalidField returns the CodeInvalid *Error for a field: Field names it,
// Message starts with it so a person reading only the message knows what
// to fix.
func invalidField(field, format string, args ...any) *Error {
	return FieldError(CodeInvalid, field, "", format, args...)
}

// invalidBecause is invalidField with a Reason.
func invalidBecause(field, reason, format string, args ...any) *Error {
	return FieldError(CodeInvalid, field, reason, format, args...)
}

// textRule is how checkText treats one field.
type textRule struct {
	max int
	// multiline admits tab, LF and CR (share texts, descriptions).
	multiline bool
	// required refuses "".
	required bool
}

// checkText refuses invalid UTF-8, control characters (C0, DEL, C1; tab,
// LF and CR only in multi-line fields), Unicode line/paragraph separators
// and bidirectional overrides, and values longer than r.max bytes.
func checkText(field, v string, r textRule) error {
	if v == "" {
		if r.required {
			return invalidBecause(field, ReasonRequired, "is required")
		}
		return nil
	}
	if len(v) > r.max {
		return invalidBecause(field, ReasonTooLong, "is %d bytes, longer than the limit of %d", len(v), r.max)
	}
	for i := 0; i < len(v); {
		c, size := utf8.DecodeRuneInString(v[i:])
		if c == utf8.RuneError && size <= 1 {
			return invalidField(field, "is not valid UTF-8 (byte %d)", i)
		}
		if bad := badRune(c, r.multiline); bad != "" {
			return invalidField(field, "contains %s (U+%04X at byte %d)", bad, c, i)
		}
		i += size
	}
	return nil
}

func badRune(c rune, multiline bool) string {
	switch {
	case c == '\t' || c == '\n' || c == '\r':
		if multiline {
			return ""
		}
		return "a tab or line break"
	case c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0):
		return "a control character"
	case c == 0x2028 || c == 0x2029:
		return "a line separator"
	case (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069):
		return "a bidirectional override"
	}
	return ""
}

// Validate checks the parts of a link that do not depend on time: code,
// domain, every text field (valid UTF-8, no control characters, a length
// limit), the sizes of tags, UTM and click-ID lists, and numeric bounds.
// It returns an *Error with CodeInvalid whose Field names the first
// problem. The code must be set (Service.Create fills in a random one
// first). Service.Create, CreateMany and Update call it, so the API (POST,
// PATCH, bulk) and the web UI share these rules.
func (l *Link) Validate() error {
	if err := ValidateCode(l.Code); err != nil {
		return err
	}
	if err := ValidateDomain(l.Domain); err != nil {
		return err
	}
	if err := ValidateTarget(l.Target); err != nil {
		return err
	}
	switch {
	case l.MaxClicks < 0:
		return invalidField("max_clicks", "must not be negative")
	case l.Clicks < 0:
		return invalidField("clicks", "must not be negative")
	case len(l.Tags) > MaxTags:
		return invalidField("tags", "at most %d tags per link, got %d", MaxTags, len(l.Tags))
	case len(l.UTM) > MaxUTMParams:
		return invalidField("utm", "at most %d utm parameters, got %d", MaxUTMParams, len(l.UTM))
	case len(l.ForwardClickIDs) > MaxClickIDs:
		return invalidField("forward_click_ids", "at most %d forwarded click IDs, got %d", MaxClickIDs, len(l.ForwardClickIDs))
	case l.Route.Quantity < 0 || l.Route.Quantity > MaxQuantity:
		return invalidBecause("route.quantity", ReasonRange, "want 0 (one item) to %d, got %d", MaxQuantity, l.Route.Quantity)
	}
	for _, f := range [...]struct {
		name, v string
		r       textRule
	}{
		{"campaign", l.Campaign, textRule{max: MaxCampaignLen}},
		{"title", l.Title, textRule{max: MaxTitleLength}},
		{"description", l.Description, textRule{max: MaxDescLength, multiline: true}},
		{"image", l.Image, textRule{max: MaxImageLength}},
		{"route.sku", l.Route.SKU, textRule{max: MaxSKULength}},
		{"route.desktop_url", l.Route.DesktopURL, textRule{max: MaxDesktopURLLen}},
	} {
		if err := checkText(f.name, f.v, f.r); err != nil {
			return err
		}
	}
	if l.QRLogo != "" {
		if err := CheckLogoName("qr_logo", l.QRLogo); err != nil {
			return err
		}
	}
	for i, t := range l.Tags {
		if err := checkText("tags", t, textRule{max: MaxTagLength, required: true}); err != nil {
			return err
		}
		if slices.Contains(l.Tags[:i], t) {
			return invalidField("tags", "%q is listed twice", t)
		}
	}
	for k, v := range l.UTM {
		if err := checkText("utm", k, textRule{max: MaxUTMNameLength, required: true}); err != nil {
			return err
		}
		if err := checkText("utm."+k, v, textRule{max: MaxUTMValueLength}); err != nil {
			return err
		}
	}
	for _, k := range l.ForwardClickIDs {
		if err := checkText("forward_click_ids", k, textRule{max: MaxClickIDLength, required: true}); err != nil {
			return err
		}
	}
	if err := l.Tpwd.validate(); err != nil {
		return err
	}
	if l.Image != "" {
		if u, err := url.Parse(l.Image); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return invalidBecause("image", ReasonURL, "must be an http(s) URL")
		}
	}
	if l.ExpiresAt != nil && l.ExpiresAt.After(MaxExpiry) {
		return invalidField("expires_at", "later than %s", MaxExpiry.Format(time.RFC3339))
	}
	return nil
}

// ValidateCreate is Validate plus the checks that only apply to a new link:
// an expiry, when set, must be after now.
func (l *Link) ValidateCreate(now time.Time) error {
	if err := l.Validate(); err != nil {
		return err
	}
	return ValidateExpiresAt(l.ExpiresAt, now)
}

// ValidateExpiresAt checks an expiry being set (on a new link, or changed
// by an edit): nil (no expiry) or after now and not after MaxExpiry.
func ValidateExpiresAt(t *time.Time, now time.Time) error {
	switch {
	case t == nil:
		return nil
	case !t.After(now):
		return invalidBecause("expires_at", ReasonPast, "%s is not in the future: send a later time, or null for no expiry", t.Format(time.RFC3339))
	case t.After(MaxExpiry):
		return invalidField("expires_at", "later than %s", MaxExpiry.Format(time.RFC3339))
	}
	return nil
}

// dangerousSchemes are never part of a stored target, wherever they occur.
var dangerousSchemes = [...]string{"javascript:", "vbscript:", "data:", "file:"}

// ValidateTarget checks a link's target as text: required, at most
// MaxTargetLength bytes, valid UTF-8, no control characters other than line
// breaks (share texts span lines), and no javascript:, vbscript:, data: or
// file: anywhere in it.
func ValidateTarget(target string) error {
	if err := checkText("target", target, textRule{max: MaxTargetLength, multiline: true, required: true}); err != nil {
		return err
	}
	lower := strings.ToLower(target)
	for _, s := range dangerousSchemes {
		if strings.Contains(lower, s) {
			return invalidField("target", "contains %q: paste the Taobao/Tmall link or share text itself", s)
		}
	}
	return nil
}

// CleanTarget returns the target to store for the input in, from which the
// resolver made e: in itself (trimmed) when it is share text or a URL on a
// Taobao/Tmall host, and e's canonical URL when in is a single URL whose own
// scheme or host is something else (a Taobao link wrapped in another URL or
// an app scheme): the stored target is then what hutong resolved, never the
// wrapper. Errors as ValidateTarget.
func CleanTarget(in string, e resolver.Entity) (string, error) {
	in = strings.TrimSpace(in)
	if err := ValidateTarget(in); err != nil {
		return "", err
	}
	if strings.ContainsAny(in, " \t\r\n") || !hasScheme(in) {
		return in, nil // share text or a bare host/path
	}
	u, err := url.Parse(in)
	ok := err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.User == nil
	if ok {
		if _, taobao := resolver.IsTaobaoHost(u.Hostname()); taobao { // tb.cn too
			return in, nil
		}
	}
	if e.Canonical == "" {
		return "", invalidField("target", "is a URL on neither a Taobao/Tmall host nor m.tb.cn: paste the Taobao/Tmall link itself")
	}
	return e.Canonical, nil
}

// hasScheme reports whether s starts with an RFC 3986 scheme and a colon.
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}
