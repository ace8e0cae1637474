package track

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// appendEventJSON appends the JSON encoding of ev to dst: byte for byte what
// encoding/json.Marshal(ev) produces (field order and omitempty of the
// struct tags in event.go, HTML-safe string escaping, invalid UTF-8 as
// \ufffd, U+2028/U+2029 escaped, click_ids keys sorted bytewise), without
// reflection and without allocating beyond growing dst. TestEventJSON and
// FuzzEventJSON hold it to encoding/json; a field added to Event must be
// added here too (the test fails until it is).
//
// The only error is a Time that RFC 3339 cannot represent (year outside
// 0..9999, zone offset of 24h or more); it is the error json.Marshal returns.
func appendEventJSON(dst []byte, ev *Event) ([]byte, error) {
	n0 := len(dst)
	dst = append(dst, `{"visit_id":`...)
	dst = appendJSONString(dst, ev.VisitID)
	dst = append(dst, `,"time":"`...)
	if out, ok := appendTimeText(dst, ev.Time); ok {
		dst = out
	} else {
		out, err := ev.Time.AppendText(dst)
		if err != nil {
			// Rare: let encoding/json build its own error for it.
			_, err = json.Marshal(ev)
			return dst[:n0], err
		}
		dst = out
	}
	dst = append(dst, `","code":`...)
	dst = appendJSONString(dst, ev.Code)
	if ev.Domain != "" {
		dst = append(dst, `,"domain":`...)
		dst = appendJSONString(dst, ev.Domain)
	}
	if ev.Campaign != "" {
		dst = append(dst, `,"campaign":`...)
		dst = appendJSONString(dst, ev.Campaign)
	}
	dst = append(dst, `,"entity_kind":`...)
	dst = appendJSONString(dst, ev.EntityKind)
	if ev.EntityID != "" {
		dst = append(dst, `,"entity_id":`...)
		dst = appendJSONString(dst, ev.EntityID)
	}
	dst = append(dst, `,"app":`...)
	dst = appendJSONString(dst, ev.App)
	dst = append(dst, `,"os":`...)
	dst = appendJSONString(dst, ev.OS)
	dst = append(dst, `,"device":`...)
	dst = appendJSONString(dst, ev.Device)
	if ev.Scene != "" {
		dst = append(dst, `,"scene":`...)
		dst = appendJSONString(dst, ev.Scene)
	}
	if ev.Bot {
		dst = append(dst, `,"bot":true`...)
	} else {
		dst = append(dst, `,"bot":false`...)
	}
	if ev.Shell != "" {
		dst = append(dst, `,"shell":`...)
		dst = appendJSONString(dst, ev.Shell)
	}
	dst = append(dst, `,"action":`...)
	dst = appendJSONString(dst, ev.Action)
	if ev.DestHost != "" {
		dst = append(dst, `,"dest_host":`...)
		dst = appendJSONString(dst, ev.DestHost)
	}
	if ev.PayChannel != "" {
		dst = append(dst, `,"pay_channel":`...)
		dst = appendJSONString(dst, ev.PayChannel)
	}
	if ev.Referrer != "" {
		dst = append(dst, `,"referrer_host":`...)
		dst = appendJSONString(dst, ev.Referrer)
	}
	if ev.IP != "" {
		dst = append(dst, `,"ip":`...)
		dst = appendJSONString(dst, ev.IP)
	}
	if len(ev.ClickIDs) > 0 {
		dst = append(dst, `,"click_ids":{`...)
		dst = appendSortedStringMap(dst, ev.ClickIDs)
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

// maxTimeText is 10000-01-01T00:00:00 in Unix seconds: appendTimeText
// formats local times from 1970 up to it.
const maxTimeText = 253402300800

// digits2[2*n:2*n+2] is n in two decimal digits, for n in 0..99.
const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// appendTimeText appends t as t.AppendText does (RFC 3339 with the
// nanoseconds, trailing zeros cut), for a local time in 1970..9999 and a
// zone offset under 24h; otherwise it returns ok=false and dst as it was,
// and the caller uses AppendText. The text depends only on the instant and
// the zone offset; computing it from those takes ~30ns an event where
// AppendText's general formatter takes ~50ns. TestTimeText holds the two
// to the same output.
func appendTimeText(dst []byte, t time.Time) (_ []byte, ok bool) {
	_, off := t.Zone()
	sl := t.Unix() + int64(off) // local seconds since 1970-01-01T00:00:00
	if sl < 0 || sl >= maxTimeText || off <= -24*3600 || off >= 24*3600 {
		return dst, false
	}
	l := uint64(sl)
	// The civil date of the day (Howard Hinnant's civil_from_days), with
	// days counted from 0000-03-01 so that a leap day ends its year; in
	// 32 bits, as every value here is below 2^32.
	z := uint32(l/86400) + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if mp >= 10 {
		month = mp - 9
	}
	year := yoe + era*400
	if month <= 2 {
		year++
	}
	sod := uint32(l % 86400)
	hh, mm, ss := sod/3600, sod/60%60, sod%60
	y1, y2 := 2*(year/100), 2*(year%100)
	dst = append(dst, digits2[y1], digits2[y1+1], digits2[y2], digits2[y2+1], '-',
		digits2[2*month], digits2[2*month+1], '-', digits2[2*day], digits2[2*day+1], 'T',
		digits2[2*hh], digits2[2*hh+1], ':', digits2[2*mm], digits2[2*mm+1], ':', digits2[2*ss], digits2[2*ss+1])
	if ns := uint32(t.Nanosecond()); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := len(frac)
		for frac[n-1] == '0' {
			n--
		}
		dst = append(dst, frac[:n]...)
	}
	if off == 0 {
		return append(dst, 'Z'), true
	}
	zone := off / 60 // minutes, truncated toward zero as AppendText does
	sign := byte('+')
	if zone < 0 {
		sign, zone = '-', -zone
	}
	return append(dst, sign, digits2[2*(zone/60)], digits2[2*(zone/60)+1], ':', digits2[2*(zone%60)], digits2[2*(zone%60)+1]), true
}

// appendSortedStringMap appends m's members, keys in strings.Compare order
// (as encoding/json sorts them), without the braces. The values are taken
// in the same range as the keys: looking each key up again would cost
// about as much as the range itself.
func appendSortedStringMap(dst []byte, m map[string]string) []byte {
	type member struct{ k, v string }
	var arr [16]member
	ms := arr[:0]
	if len(m) > len(arr) {
		ms = make([]member, 0, len(m))
	}
	for k, v := range m {
		ms = append(ms, member{k, v})
	}
	if len(ms) <= len(arr) {
		// Insertion sort: click ID maps hold a handful of keys.
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && ms[j].k < ms[j-1].k; j-- {
				ms[j], ms[j-1] = ms[j-1], ms[j]
			}
		}
	} else {
		slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.k, b.k) })
	}
	for i := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, ms[i].k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, ms[i].v)
	}
	return dst
}

// appendBatchJSON appends b as encoding/json.Marshal(b) would (the spill
// file's line format), events encoded by appendEventJSON.
func appendBatchJSON(dst []byte, b *Batch) ([]byte, error) {
	n0 := len(dst)
	dst = append(dst, `{"w":`...)
	dst = appendJSONString(dst, b.Writer)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, b.Seq, 10)
	if b.Events == nil {
		return append(dst, `,"events":null}`...), nil
	}
	dst = append(dst, `,"events":[`...)
	for i := range b.Events {
		if i > 0 {
			dst = append(dst, ',')
		}
		out, err := appendEventJSON(dst, &b.Events[i])
		if err != nil {
			return dst[:n0], err
		}
		dst = out
	}
	return append(dst, `]}`...), nil
}

const hexDigits = "0123456789abcdef"

// jsonSafe[b] is true for the bytes encoding/json writes as they are in a
// string with HTML escaping on: printable ASCII except " \ < > &. It has
// an entry for every byte (false from utf8.RuneSelf up), so the common
// case costs one lookup per byte and no range check.
var jsonSafe = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// appendJSONString appends s as a JSON string exactly as encoding/json does
// with HTML escaping (json.Marshal's default).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if jsonSafe[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				// Other control bytes, and < > & (HTML-safe output).
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are escaped for JSONP safety, as encoding/json does.
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
