package track

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/hutong-dev/hutong/internal/click"
	"github.com/hutong-dev/hutong/resolver"
)

// crockford is the ULID alphabet (Crockford base32, lexically ordered).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewVisitID returns a new 26-character, time-sortable, unique visit ID in
// the ULID layout: 48 bits of Unix milliseconds then 79 random bits, in
// Crockford base32. Randomness comes from math/rand/v2's runtime source
// (per-thread ChaCha8, seeded by the OS), so it is fast, lock-free and not
// guessable in practice; visit IDs are identifiers, not secrets. Safe for
// concurrent use; one allocation (the string).
func NewVisitID() string {
	return newVisitIDAt(time.Now())
}

// visitIDLen is the length of a visit ID.
const visitIDLen = 26

func newVisitIDAt(t time.Time) string {
	var b [visitIDLen]byte
	putVisitID(&b, t)
	return string(b[:])
}

// crockford2[x] is the two Crockford base32 digits of the 10-bit x, high
// digit first: putVisitID writes a visit ID two characters per lookup.
var crockford2 = func() (t [1024][2]byte) {
	for x := range t {
		t[x] = [2]byte{crockford[x>>5], crockford[x&31]}
	}
	return t
}()

// putVisitID writes a new visit ID for time t into b (see NewVisitID).
func putVisitID(b *[visitIDLen]byte, t time.Time) {
	putVisitIDBits(b, uint64(t.UnixMilli()), rand.Uint64(), rand.Uint64())
}

// putVisitIDBits writes the visit ID of Unix time ms with the random bits
// r1 (all 64 used) and r2 (its low 15 used): 79 random bits in all.
func putVisitIDBits(b *[visitIDLen]byte, ms, r1, r2 uint64) {
	// 10 chars of time (50 bits, top 2 always zero for 48-bit ms).
	for i := 8; i >= 0; i -= 2 {
		b[i], b[i+1] = crockford2[ms&1023][0], crockford2[ms&1023][1]
		ms >>= 10
	}
	// 16 chars of randomness: 13 from r1 (the last one 4 bits), 3 from r2.
	for i := 10; i < 22; i += 2 {
		b[i], b[i+1] = crockford2[r1&1023][0], crockford2[r1&1023][1]
		r1 >>= 10
	}
	b[22] = crockford[r1&31]
	b[23] = crockford[r2&31]
	b[24], b[25] = crockford2[(r2>>5)&1023][0], crockford2[(r2>>5)&1023][1]
}

// visitIDChunk is how many visit IDs fillVisitIDs puts in one string. A
// chunk stays in memory as long as any of its IDs does (an event waiting
// in the embedded mode's postback queue keeps 416 bytes, not 32), so it is
// small; 16 IDs already make the allocations per event a sixteenth.
const visitIDChunk = 16

// fillVisitIDs sets the VisitID of every event in events that has none, as
// newVisitIDAt(ev.Time) would, but with one allocation per visitIDChunk
// IDs instead of one per event: the writer fills whole batches, and a
// string per event would be nearly all it allocates. Each VisitID is a
// substring of its chunk's string, so it is an ordinary, immutable string
// to every reader after the writer (the sink, the spill file, AfterWrite);
// the IDs are not written into a buffer reused across batches for that
// reason.
func fillVisitIDs(events []Event) {
	var buf [visitIDChunk * visitIDLen]byte
	var idx [visitIDChunk]int // the events whose IDs are in buf
	n := 0
	emit := func() {
		s := string(buf[:n*visitIDLen])
		for k, i := range idx[:n] {
			events[i].VisitID = s[k*visitIDLen : (k+1)*visitIDLen]
		}
		n = 0
	}
	for i := range events {
		if events[i].VisitID != "" {
			continue
		}
		putVisitID((*[visitIDLen]byte)(buf[n*visitIDLen:]), events[i].Time)
		idx[n] = i
		if n++; n == visitIDChunk {
			emit()
		}
	}
	if n > 0 {
		emit()
	}
}

// IP privacy modes for IPPolicy.Mode.
const (
	// IPTruncate keeps the network part: /24 for IPv4, /48 for IPv6 by
	// default ("203.0.113.0", "2001:db8:1::").
	IPTruncate = "truncate"
	// IPHash replaces the address with "h:" + the first 16 bytes of
	// HMAC-SHA256(Key, address) in hex; stable per key, not reversible
	// without the key. Rotate the key to unlink old data.
	IPHash = "hash"
	// IPDrop records no address at all.
	IPDrop = "drop"
)

// IPPolicy says how a client address is recorded on an Event; the address is
// never kept in clear. The zero value truncates to /24 and /48. An IPPolicy
// is a plain value, safe for concurrent use once built.
type IPPolicy struct {
	// Mode is IPTruncate, IPHash or IPDrop. Optional. Default: IPTruncate.
	Mode string
	// Key is the HMAC key for IPHash. Required for IPHash: with an empty
	// key Apply records nothing (as IPDrop) rather than an unkeyed hash,
	// which would be reversible by brute force over the IPv4 space.
	Key []byte
	// V4Bits is the IPv4 prefix kept by IPTruncate. Optional. Default: 24.
	V4Bits int
	// V6Bits is the IPv6 prefix kept by IPTruncate. Optional. Default: 48.
	V6Bits int
}

// Apply returns the recorded form of addr (an IP address, optionally with
// a port or IPv6 zone) under the policy, or "" for IPDrop or an address it
// cannot parse.
func (p IPPolicy) Apply(addr string) string {
	if addr == "" || p.Mode == IPDrop {
		return ""
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(addr)
		if err2 != nil {
			return ""
		}
		ip = ap.Addr()
	}
	return p.ApplyAddr(ip)
}

// ApplyAddr is Apply for an address already parsed (no string round trip).
// It returns "" for IPDrop or an invalid address.
func (p IPPolicy) ApplyAddr(ip netip.Addr) string {
	if !ip.IsValid() || p.Mode == IPDrop {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	switch p.Mode {
	case IPHash:
		if len(p.Key) == 0 {
			return ""
		}
		m := hmac.New(sha256.New, p.Key)
		m.Write(ip.AsSlice())
		sum := m.Sum(nil)
		return "h:" + hex.EncodeToString(sum[:16])
	case "", IPTruncate:
		bits := p.V4Bits
		if bits <= 0 || bits > 32 {
			bits = 24
		}
		if ip.Is6() {
			bits = p.V6Bits
			if bits <= 0 || bits > 128 {
				bits = 48
			}
		}
		pfx, err := ip.Prefix(bits)
		if err != nil {
			return ""
		}
		return pfx.Addr().String()
	}
	return ""
}

// ClickIDParams are the query parameters on a hutong link that identify an
// ad click: resolver.ClickIDParams, the one list. Read-only.
var ClickIDParams = resolver.ClickIDParams

// IsClickIDParam reports whether the query parameter name is one of
// ClickIDParams (resolver.IsClickIDParam). It does not allocate.
func IsClickIDParam(name string) bool { return resolver.IsClickIDParam(name) }

// AddClickID records name=value in m if name is a click-ID parameter: see
// click.AddClickID. It copies name and value; borrowed bytes are safe:
//
//	var ids map[string]string
//	c.Context().QueryArgs().VisitAll(func(k, v []byte) { ids = track.AddClickID(ids, k, v) })
func AddClickID(m map[string]string, name, value []byte) map[string]string {
	return click.AddClickID(m, name, value)
}
