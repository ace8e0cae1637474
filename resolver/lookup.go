package resolver

import (
	"context"
	"errors"
	"fmt"
)

// Expander expands a Taobao short link (m.tb.cn, s.tb.cn, e.tb.cn, c.tb.cn,
// tb.cn) into the long URL it points to. Implementations do network I/O and
// live in resolver/remote; they must honour ctx's deadline, accept only
// allow-listed hosts in the answer and be safe for concurrent use.
type Expander interface {
	Expand(ctx context.Context, shortURL string) (longURL string, err error)
}

// Decoded is what a 淘口令 decoding service says a token points to
// (taobao.wireless.share.tpwd.query: url, content/title, pic_url, native_url).
type Decoded struct {
	URL       string `json:"url"`
	Title     string `json:"title,omitempty"`
	PicURL    string `json:"pic_url,omitempty"`
	NativeURL string `json:"native_url,omitempty"`
}

// PasswordDecoder decodes a bare 淘口令 token into the URL it stands for.
// Implementations do network I/O and live in resolver/remote.
type PasswordDecoder interface {
	Decode(ctx context.Context, tpwd string) (Decoded, error)
}

// ErrNotConfigured is returned by lookups the operator has not configured
// (for example 淘口令 decoding without a Taobao Open Platform app key).
var ErrNotConfigured = errors.New("resolver: lookup not configured")

// ErrDecodeNotConfigured is Deepen's answer for a bare 淘口令 when the
// decoder says it is not configured (it wraps ErrNotConfigured). It is an
// expected state, not a failure worth a log line.
var ErrDecodeNotConfigured = fmt.Errorf("淘口令 decoding is not configured on this server (--top-app-key, --top-app-secret): copy the token into the Taobao app: %w", ErrNotConfigured)

// ErrLedToUnknown is wrapped by Deepen's error when the lookup answered but
// led somewhere hutong does not understand (not Taobao/Tmall, or another
// short link or 淘口令).
var ErrLedToUnknown = errors.New("not a Taobao/Tmall page hutong understands")

// CanDeepen reports whether Deepen has a lookup to do for e with these
// lookups: a short link with a URL and an Expander, or a bare 淘口令 and a
// PasswordDecoder. x and d may be nil (that lookup is off).
func CanDeepen(e Entity, x Expander, d PasswordDecoder) bool {
	switch e.Kind {
	case KindShort:
		return x != nil && e.URL != ""
	case KindPassword:
		return d != nil
	}
	return false
}

// Deepen is the one rule for what a short link or a bare 淘口令 points to,
// shared by taps, `hutong resolve --expand` and the UI's landing preview:
// the short link expanded by x, the token decoded by d, and the long URL
// parsed. The result keeps the share text's token (Tpwd) and title where
// the long URL has none; long is the URL the lookup answered.
//
// Failure policy: on any error the entity comes back unchanged (what the
// text itself says) with an error saying why: ErrDecodeNotConfigured, a
// lookup's own error (wrapped, naming what was looked up), or one wrapping
// ErrLedToUnknown when the answer is not a Taobao/Tmall page or is another
// short link or 淘口令. Callers decide what to do with the unchanged entity
// (a tap shows the guide with the text to copy). When CanDeepen is false,
// Deepen returns e, "", nil. ctx bounds the lookup; Deepen adds no
// deadline of its own.
func Deepen(ctx context.Context, e Entity, x Expander, d PasswordDecoder) (deep Entity, long string, err error) {
	if !CanDeepen(e, x, d) {
		return e, "", nil
	}
	title := e.Title
	if e.Kind == KindShort {
		long, err = x.Expand(ctx, e.URL)
		if err != nil {
			return e, "", fmt.Errorf("expand %s: %w", e.URL, err)
		}
	} else {
		var dec Decoded
		dec, err = d.Decode(ctx, e.ID)
		if errors.Is(err, ErrNotConfigured) {
			return e, "", ErrDecodeNotConfigured
		}
		if err != nil {
			return e, "", fmt.Errorf("decode 淘口令: %w", err)
		}
		long = dec.URL
		if title == "" {
			title = dec.Title
		}
	}
	inner := Parse(long)
	if !inner.Known() || inner.Kind == KindShort || inner.Kind == KindPassword {
		return e, "", fmt.Errorf("the short link or 淘口令 led to %q, %w", long, ErrLedToUnknown)
	}
	if inner.Tpwd == "" {
		inner.Tpwd = e.Tpwd
		if inner.Tpwd == "" && e.Kind == KindPassword {
			inner.Tpwd = e.ID
		}
	}
	if inner.Title == "" {
		inner.Title = title
	}
	return inner, long, nil
}
