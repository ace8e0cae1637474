package resolver

import (
	"context"
	"errors"
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
