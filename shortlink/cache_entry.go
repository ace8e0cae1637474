package shortlink

import (
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hutong-dev/hutong/internal/route"
)

// packedLink is the cache's compact, immutable form of a Link. A decoded
// Link is a 552-byte struct plus one allocation per non-empty string (the
// JSON decoder's); packedLink keeps every string of the link, tags and
// forwarded click IDs included, in one backing string and records where
// each ends, and times as UTC seconds and nanoseconds, so a cached link
// is two allocations (plus the tag slices) of about half the size. unpack
// rebuilds the Link without allocating: its strings, slices and ExpiresAt
// point into the packedLink (read-only).
//
// A link it cannot pack exactly (strings over 64 KiB in all, a time
// outside UTC) is kept whole in big.
type packedLink struct {
	s    string                 // all strings, in linkStrings order, then tags, then click IDs
	ends [numLinkStrings]uint16 // end offset in s of each linkStrings field

	createdSec, updatedSec        int64
	createdNsec, updatedNsec      int32
	quantity                      int
	maxClicks, clicks, version    int64
	expiresAt                     *time.Time // unpack's ExpiresAt, UTC, owned by the packedLink
	tags, forwardClickIDs         []string   // substrings of s
	utm                           map[string]string
	tpwd                          *Tpwd // shared, like utm
	disabled                      bool
	preferWeb, buyNow, noCheckout bool
	wechatTpwdGuide               bool
	big                           *Link

	// loaded is when the store read that made the entry succeeded (unix
	// ns, the cache's clock): fresh until loaded+TTL, then served only
	// while a refresh fails, until loaded+TTL+StaleIfError.
	loaded int64
	// retryAt (unix ns): after a failed refresh, the stale entry is served
	// without asking the store again until then.
	retryAt atomic.Int64
}

// negativeEntry is the cache value for "no such link": one shared
// pointer, so a negative entry costs only otter's node and key.
var negativeEntry = &packedLink{}

const numLinkStrings = 25

// linkStrings returns pointers to every string field of l (Entity and Route
// included), in packing order. TestPackedLinkRoundTrip fails when Link
// gains a field packedLink does not carry.
func linkStrings(l *Link) [numLinkStrings]*string {
	e, r := &l.Entity, &l.Route
	return [numLinkStrings]*string{
		&l.Code, &l.Domain, &l.Target,
		(*string)(&e.Platform), (*string)(&e.Kind), &e.ID, (*string)(&e.IDType), &e.SKU, &e.SellerID,
		&e.ActivityID, &e.LiveFeedID, &e.Query, &e.Tpwd, &e.Title, &e.URL, &e.Canonical, &e.Params, &e.Via,
		&r.SKU, &r.DesktopURL,
		&l.Campaign, &l.Title, &l.Description, &l.Image, &l.QRLogo,
	}
}

// packLink returns the compact form of l. It copies every string, so l
// may hold borrowed memory; l.UTM and l.Tpwd are shared (links are treated as
// read-only once cached).
func packLink(l *Link) *packedLink {
	strs := linkStrings(l)
	n := 0
	for _, s := range strs {
		n += len(*s)
	}
	for _, s := range l.Tags {
		n += len(s)
	}
	for _, s := range l.ForwardClickIDs {
		n += len(s)
	}
	if n > math.MaxUint16 || !isUTC(l.CreatedAt) || !isUTC(l.UpdatedAt) || (l.ExpiresAt != nil && !isUTC(*l.ExpiresAt)) {
		big := *l
		return &packedLink{big: &big}
	}
	var b strings.Builder
	b.Grow(n)
	p := &packedLink{
		createdSec: l.CreatedAt.Unix(), createdNsec: int32(l.CreatedAt.Nanosecond()),
		updatedSec: l.UpdatedAt.Unix(), updatedNsec: int32(l.UpdatedAt.Nanosecond()),
		maxClicks: l.MaxClicks, clicks: l.Clicks, version: l.Version,
		quantity: l.Route.Quantity, utm: l.UTM, tpwd: l.Tpwd, disabled: l.Disabled,
		preferWeb: l.Route.PreferWeb, buyNow: l.Route.BuyNow, noCheckout: l.Route.NoCheckout,
		wechatTpwdGuide: l.Route.WeChatTpwdGuide,
	}
	if l.ExpiresAt != nil {
		t := *l.ExpiresAt
		p.expiresAt = &t
	}
	for i, s := range strs {
		b.WriteString(*s)
		p.ends[i] = uint16(b.Len())
	}
	for _, s := range l.Tags {
		b.WriteString(s)
	}
	for _, s := range l.ForwardClickIDs {
		b.WriteString(s)
	}
	p.s = b.String()
	off := int(p.ends[numLinkStrings-1])
	p.tags, off = substrings(p.s, off, l.Tags)
	p.forwardClickIDs, _ = substrings(p.s, off, l.ForwardClickIDs)
	return p
}

// substrings returns ss as substrings of s from off on (where they were
// written), keeping nil as nil, and the offset after them.
func substrings(s string, off int, ss []string) ([]string, int) {
	if ss == nil {
		return nil, off
	}
	out := make([]string, len(ss))
	for i, x := range ss {
		out[i] = s[off : off+len(x)]
		off += len(x)
	}
	return out, off
}

// isUTC reports whether t rebuilds exactly from its Unix seconds and
// nanoseconds with UTC(): no location other than UTC, no monotonic reading.
func isUTC(t time.Time) bool {
	return t.Location() == time.UTC && t == t.Round(0)
}

// key returns the link's cache key, pointing into p.s.
func (p *packedLink) key() key {
	if p.big != nil {
		return key{p.big.Domain, p.big.Code}
	}
	return key{domain: p.s[p.ends[0]:p.ends[1]], code: p.s[:p.ends[0]]}
}

// unpack returns the Link; it does not allocate.
func (p *packedLink) unpack() Link {
	if p.big != nil {
		return *p.big
	}
	l := Link{
		CreatedAt: time.Unix(p.createdSec, int64(p.createdNsec)).UTC(),
		UpdatedAt: time.Unix(p.updatedSec, int64(p.updatedNsec)).UTC(),
		ExpiresAt: p.expiresAt,
		MaxClicks: p.maxClicks, Clicks: p.clicks, Version: p.version, Disabled: p.disabled,
		Route: route.Overrides{PreferWeb: p.preferWeb, BuyNow: p.buyNow, NoCheckout: p.noCheckout, Quantity: p.quantity,
			WeChatTpwdGuide: p.wechatTpwdGuide},
		Tags:            p.tags,
		UTM:             p.utm,
		ForwardClickIDs: p.forwardClickIDs,
		Tpwd:            p.tpwd,
	}
	start := uint16(0)
	for i, s := range linkStrings(&l) {
		*s = p.s[start:p.ends[i]]
		start = p.ends[i]
	}
	return l
}
