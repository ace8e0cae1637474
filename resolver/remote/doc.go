// Package remote holds the network-backed lookups behind the resolver's
// interfaces: an Expander for Taobao short links (m.tb.cn and family) and a
// TOPDecoder for 淘口令 tokens through the Taobao Open Platform.
//
// Both types are built from plain Config structs (no environment is read),
// are safe for concurrent use once built, cache their answers in a bounded
// in-process cache with a TTL, collapse concurrent lookups of the same key
// into one upstream request, and give every request its own deadline.
//
// Errors form a small vocabulary meant to be mapped to user messages in one
// place:
//
//	ErrNotShortLink      the input is not a short link; nothing was fetched
//	ErrNotFound          the link or token points nowhere (unknown, expired)
//	ErrDisallowedHost    the answer points outside the allowed hosts
//	ErrTooLarge          the upstream answer exceeded the size cap
//	ErrTooManyHops       a redirect loop or too long a short-link chain
//	ErrUpstream          the upstream failed (network, timeout, status,
//	                     malformed answer, TOP error_response); wraps the
//	                     cause, so errors.Is(err, context.DeadlineExceeded)
//	                     and errors.As(err, new(*TOPError)) work
//	resolver.ErrNotConfigured  decoding is not configured (no app key)
//
// A caller's own context ending is returned as ctx.Err() unwrapped.
package remote

import (
	"errors"

	"github.com/hutong-dev/hutong/resolver"
)

// The error vocabulary of this package. Returned errors wrap one of these
// (test with errors.Is); the message adds detail for logs.
var (
	// ErrNotShortLink means the input is not a short link on an accepted
	// short-link host (m.tb.cn, s.tb.cn, e.tb.cn, c.tb.cn, tb.cn) with a
	// plausible code. Nothing is fetched for such input.
	ErrNotShortLink = errors.New("remote: not a Taobao short link")
	// ErrNotFound means the upstream answered but the link or token leads
	// nowhere: unknown or expired code, a page without a target, a token
	// the decoding service does not know.
	ErrNotFound = errors.New("remote: link or token not found")
	// ErrDisallowedHost means the answer points to a URL whose scheme or
	// host is not allowed (look-alike hosts, userinfo tricks, other
	// schemes, non-Taobao hosts). The URL is never returned.
	ErrDisallowedHost = errors.New("remote: answer points to a disallowed host")
	// ErrTooLarge means the upstream response body exceeded the configured
	// size cap.
	ErrTooLarge = errors.New("remote: upstream response too large")
	// ErrTooManyHops means following short-link hops looped or exceeded the
	// configured number of hops.
	ErrTooManyHops = errors.New("remote: too many short-link hops")
	// ErrUpstream means the upstream could not give an answer: network
	// error, timeout, unexpected status, malformed body, or a TOP
	// error_response (then a *TOPError is in the chain).
	ErrUpstream = errors.New("remote: upstream error")
)

// Disabled is a lookup that is switched off: it implements both
// resolver.Expander and resolver.PasswordDecoder and always returns
// resolver.ErrNotConfigured. The zero value is ready to use and safe for
// concurrent use.
type Disabled struct{}

var (
	_ resolver.Expander        = Disabled{}
	_ resolver.PasswordDecoder = Disabled{}
)
