package tap

import (
	"net/url"
	"slices"

	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// Param is one decoded query parameter of a tap (as fasthttp's Args or
// net/url decode it: percent escapes and '+' as a space). Key and Value
// may alias request memory: the tap core copies what it keeps.
type Param struct {
	Key, Value string
}

// Forward is the one encoder of the per-link part of what a tap appends to
// its destination (route.Request.Forward): the link's UTM parameters,
// sorted by name, then the ad click IDs of query that the link forwards
// (Link.ForwardClickIDs, each a resolver.ClickIDParams name), in query
// order; every key and value url.QueryEscape'd, '&'-joined. Click IDs the
// rules forward for every link (forward_params) are added by the router
// from route.Request.Query, and WeChat's from/isappinstalled never are.
// It returns "" for a nil link or one that forwards nothing. The UI's
// landing preview passes a nil query (no tap, no click IDs).
func Forward(l *shortlink.Link, query []Param) string {
	if l == nil || (len(l.UTM) == 0 && len(l.ForwardClickIDs) == 0) {
		return ""
	}
	var b []byte
	add := func(k, v string) {
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = append(b, url.QueryEscape(k)...)
		b = append(b, '=')
		b = append(b, url.QueryEscape(v)...)
	}
	if len(l.UTM) > 0 {
		keys := make([]string, 0, len(l.UTM))
		for k := range l.UTM {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			add(k, l.UTM[k])
		}
	}
	if len(l.ForwardClickIDs) > 0 {
		for _, p := range query {
			if resolver.IsClickIDParam(p.Key) && slices.Contains(l.ForwardClickIDs, p.Key) {
				add(p.Key, p.Value)
			}
		}
	}
	return string(b)
}
