package track

import (
	"encoding/json"
	"slices"
	"strconv"
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
	out, err := ev.Time.AppendText(dst)
	if err != nil {
		// Rare: let encoding/json build its own error for it.
		_, err = json.Marshal(ev)
		return dst[:n0], err
	}
	dst = out
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

// appendSortedStringMap appends m's members, keys in strings.Compare order
// (as encoding/json sorts them), without the braces.
func appendSortedStringMap(dst []byte, m map[string]string) []byte {
	var arr [16]string
	keys := arr[:0]
	if len(m) > len(arr) {
		keys = make([]string, 0, len(m))
	}
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) <= len(arr) {
		// Insertion sort: click ID maps hold a handful of keys.
		for i := 1; i < len(keys); i++ {
			for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
			}
		}
	} else {
		slices.Sort(keys)
	}
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, m[k])
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

// jsonSafe[b] is true for the ASCII bytes encoding/json writes as they are
// in a string with HTML escaping on: printable ASCII except " \ < > &.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
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
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
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
