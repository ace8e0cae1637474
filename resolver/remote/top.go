package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/resolver"
)

// The Taobao Open Platform (TOP) call protocol, as documented on the
// platform's "API调用方法详解" page (mirrored at
// https://api.1688.com/doc2/detail.htm?articleId=101617&docType=1&treeId=154
// and quoted in https://blog.csdn.net/kaoyan015/article/details/79504310):
//
//   - public parameters: method, app_key, timestamp ("yyyy-MM-dd HH:mm:ss",
//     GMT+8, at most 10 minutes off), format (xml|json), v ("2.0"),
//     sign_method (md5|hmac|hmac-sha256), sign; plus the API's own
//     parameters (here password_content);
//   - signing: sort all parameters but sign (and byte[] ones) by name in
//     ASCII order, concatenate name1value1name2value2…, then
//     md5:          MD5(secret + s + secret)
//     hmac:         HMAC-MD5(key = secret, s)
//     hmac-sha256:  HMAC-SHA256(key = secret, s)
//     and write the digest as upper-case hex. The official SDKs skip
//     parameters whose name or value is empty (SignUtil.signTopRequest,
//     quoted at https://cnblogs.com/zeroone/p/6181024.html and
//     https://cnblogs.com/kfzsy/p/13853666.html);
//   - gateways: https://eco.taobao.com/router/rest and
//     https://gw.api.taobao.com/router/rest (China), api.taobao.com
//     (overseas); the SDKs POST application/x-www-form-urlencoded UTF-8;
//   - errors: {"error_response":{"code":…,"msg":…,"sub_code":…,
//     "sub_msg":…,"request_id":…}} (for example code 25 "Invalid
//     signature", 31 "Invalid timestamp", 7 "App Call Limited").
//
// taobao.wireless.share.tpwd.query (查询解析淘口令) takes password_content
// and answers {"wireless_share_tpwd_query_response":{"content":…,
// "title":…,"price":…,"pic_url":…,"suc":…,"url":…,"native_url":…,
// "thumb_pic_url":…}} (field list as in the generated model
// bububa/opentaobao model/wirelessshare/TaobaoWirelessShareTpwdQueryResponse.go).

// DefaultTOPGateway is the TOP gateway used unless TOPConfig.GatewayURL
// says otherwise.
const DefaultTOPGateway = "https://eco.taobao.com/router/rest"

// TOPTpwdQueryMethod is the TOP method that decodes a 淘口令.
const TOPTpwdQueryMethod = "taobao.wireless.share.tpwd.query"

// Sign methods accepted in TOPConfig.SignMethod.
const (
	SignMD5        = "md5"
	SignHMAC       = "hmac" // HMAC-MD5
	SignHMACSHA256 = "hmac-sha256"
)

// Defaults of TOPConfig.
const (
	DefaultTOPTimeout      = 2 * time.Second
	DefaultTOPMaxBodyBytes = 64 << 10
)

// maxTokenLen bounds the password_content sent to TOP.
const maxTokenLen = 4 << 10

// TOPConfig configures NewTOPDecoder. The zero value configures a decoder
// that is switched off (Decode returns resolver.ErrNotConfigured).
type TOPConfig struct {
	// AppKey and AppSecret are the TOP application's credentials. Decoding
	// is enabled only when both are set.
	//
	// Optional. Default: "" (decoding not configured).
	AppKey    string
	AppSecret string

	// GatewayURL is the TOP REST endpoint.
	//
	// Optional. Default: DefaultTOPGateway (https://eco.taobao.com/router/rest).
	GatewayURL string

	// SignMethod is SignMD5, SignHMAC (HMAC-MD5) or SignHMACSHA256. Any
	// other value makes Decode fail with an error wrapping
	// resolver.ErrNotConfigured.
	//
	// Optional. Default: SignMD5.
	SignMethod string

	// Transport sends the requests.
	//
	// Optional. Default: a clone of http.DefaultTransport that ignores
	// proxy environment variables.
	Transport http.RoundTripper

	// Timeout bounds one call to TOP. The caller's context is honoured as
	// well.
	//
	// Optional. Default: DefaultTOPTimeout (2 s).
	Timeout time.Duration

	// MaxBodyBytes caps the response read from TOP.
	//
	// Optional. Default: DefaultTOPMaxBodyBytes (64 KiB).
	MaxBodyBytes int64

	// AllowHost decides which hosts the decoded url may point to (see
	// ExpanderConfig.AllowHost). A decoded url elsewhere fails with
	// ErrDisallowedHost.
	//
	// Optional. Default: DefaultAllowHost.
	AllowHost func(host string) bool

	// CacheSize bounds the number of cached tokens (LRU).
	//
	// Optional. Default: DefaultCacheSize (4096). A negative value disables
	// caching.
	CacheSize int

	// CacheTTL is how long a decoded token is cached.
	//
	// Optional. Default: DefaultCacheTTL (1 h).
	CacheTTL time.Duration

	// NegativeTTL is how long ErrNotFound and ErrDisallowedHost answers are
	// cached. Upstream failures, TOP errors included, are never cached.
	//
	// Optional. Default: DefaultNegativeTTL (1 min).
	NegativeTTL time.Duration

	// Now is the clock used for the timestamp parameter and the cache.
	//
	// Optional. Default: time.Now.
	Now func() time.Time

	// DecodeMethod picks the TOP method TOPDecoder calls:
	// TOPTpwdQueryMethod (taobao.wireless.share.tpwd.query) or
	// TOPLinkParseMethod (taobao.tbk.dg.general.link.parse, for affiliate
	// accounts without the former; needs AdzoneID). Any other value makes
	// Decode fail with an error wrapping resolver.ErrNotConfigured.
	//
	// Optional. Default: TOPTpwdQueryMethod.
	DecodeMethod string

	// AdzoneID is the affiliate's adzone (推广位) id, the third number of
	// its mm_x_y_z pid, sent as adzone_id to taobao.tbk.dg.general.link.parse.
	//
	// Optional. Required with TOPLinkParseMethod.
	AdzoneID string

	// BreakerFailures is how many calls in a row may fail upstream
	// (network error, timeout, 5xx, malformed answer, TOP error codes 7 and
	// 15 and the platform's isp.* sub codes) before the circuit opens:
	// while open, calls fail at once with ErrCircuitOpen, without network
	// I/O, until BreakerCooldown has passed; then one call is let through
	// and its outcome closes or reopens the circuit.
	//
	// Optional. Default: DefaultBreakerFailures (5). Negative: no breaker.
	BreakerFailures int

	// BreakerCooldown is how long the circuit stays open.
	//
	// Optional. Default: DefaultBreakerCooldown (30 s).
	BreakerCooldown time.Duration
}

// TOPDecoder decodes 淘口令 tokens through the Taobao Open Platform, with
// taobao.wireless.share.tpwd.query (the default) or, for affiliate
// accounts, taobao.tbk.dg.general.link.parse (TOPConfig.DecodeMethod). It
// implements resolver.PasswordDecoder.
//
// Build it with NewTOPDecoder; the zero value is not usable. A *TOPDecoder
// is safe for concurrent use and must not be copied. Answers are cached by
// token; concurrent decodes of the same token share one request.
type TOPDecoder struct {
	top    *TOPClient
	method string
	adzone string
	allow  func(string) bool
	lookup *cachedLookup[resolver.Decoded]
}

var _ resolver.PasswordDecoder = (*TOPDecoder)(nil)

// NewTOPDecoder returns a decoder configured by cfg, with defaults for zero
// fields. Without AppKey or AppSecret the decoder is disabled: Enabled
// reports false and Decode returns resolver.ErrNotConfigured without any
// network I/O.
func NewTOPDecoder(cfg TOPConfig) *TOPDecoder {
	d := &TOPDecoder{top: NewTOPClient(cfg), method: cfg.DecodeMethod, adzone: cfg.AdzoneID, allow: cfg.AllowHost}
	if d.method == "" {
		d.method = TOPTpwdQueryMethod
	}
	switch d.method {
	case TOPTpwdQueryMethod:
	case TOPLinkParseMethod:
		if d.top.cfgErr == nil && d.adzone == "" {
			d.top.cfgErr = fmt.Errorf("%w: %s needs the adzone id (the third part of the mm_x_y_z pid)", resolver.ErrNotConfigured, TOPLinkParseMethod)
		}
	default:
		if d.top.cfgErr == nil {
			d.top.cfgErr = fmt.Errorf("%w: TOP decode method %q (want %s or %s)", resolver.ErrNotConfigured, d.method, TOPTpwdQueryMethod, TOPLinkParseMethod)
		}
	}
	if d.allow == nil {
		d.allow = DefaultAllowHost
	}
	d.lookup = newCachedLookup[resolver.Decoded](cfg.CacheSize, cfg.CacheTTL, cfg.NegativeTTL, d.top.now)
	return d
}

// Enabled reports whether the decoder has credentials and will call TOP.
func (d *TOPDecoder) Enabled() bool { return d.top.Enabled() }

// Method is the TOP method Decode calls.
func (d *TOPDecoder) Method() string { return d.method }

// Decode asks TOP what the 淘口令 tpwd points to. tpwd is the bare token
// (e.g. "AbCdEf12345", sent as "￥AbCdEf12345￥") or a text holding one
// (sent as given, after trimming white space). Answers are cached by the
// trimmed tpwd.
//
// Errors: resolver.ErrNotConfigured when the decoder is disabled or
// misconfigured; ErrNotFound for an empty token or when TOP does not know
// it (suc false or no url); ErrDisallowedHost when the decoded url is not
// an allowed host; ErrTooLarge; ErrUpstream for network errors, timeouts,
// unexpected statuses, malformed answers and an open circuit
// (ErrCircuitOpen); a *TOPError (which also matches ErrUpstream) for a TOP
// error_response. When ctx ends first, Decode returns ctx.Err().
func (d *TOPDecoder) Decode(ctx context.Context, tpwd string) (resolver.Decoded, error) {
	if err := d.top.usable(); err != nil {
		return resolver.Decoded{}, err
	}
	token := strings.TrimSpace(tpwd)
	if token == "" || len(token) > maxTokenLen {
		return resolver.Decoded{}, fmt.Errorf("%w: empty or oversize 淘口令", ErrNotFound)
	}
	return d.lookup.do(ctx, token, func(ctx context.Context) (resolver.Decoded, error) {
		if d.method == TOPLinkParseMethod {
			return d.linkParse(ctx, passwordContent(token))
		}
		body, err := d.top.Call(ctx, TOPTpwdQueryMethod, map[string]string{"password_content": passwordContent(token)})
		if err != nil {
			return resolver.Decoded{}, err
		}
		return d.parse(body)
	})
}

// passwordContent returns what is sent as password_content: a bare token
// (letters and digits only, as the resolver extracts it) is put back in the
// ￥…￥ wrapper share texts carry, since TOP documents password_content as
// the 淘口令 text [INF: the wrapper is how the platform recognises a token
// in free text]; anything else is sent as given.
func passwordContent(token string) string {
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return token
		}
	}
	return "￥" + token + "￥"
}

// tpwdQueryResponse is the wireless_share_tpwd_query_response object.
type tpwdQueryResponse struct {
	Content   string   `json:"content"`
	Title     string   `json:"title"`
	PicURL    string   `json:"pic_url"`
	URL       string   `json:"url"`
	NativeURL string   `json:"native_url"`
	Suc       flexBool `json:"suc"`
}

// parse turns a wireless_share_tpwd_query_response into a Decoded or an
// error.
func (d *TOPDecoder) parse(body []byte) (resolver.Decoded, error) {
	var r tpwdQueryResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s: malformed response: %v", ErrUpstream, TOPTpwdQueryMethod, err)
	}
	if !r.Suc || strings.TrimSpace(r.URL) == "" {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP does not know this 淘口令", ErrNotFound)
	}
	target, err := checkTarget(r.URL, d.allow)
	if err != nil {
		return resolver.Decoded{}, fmt.Errorf("decoded 淘口令: %w", err)
	}
	out := resolver.Decoded{URL: target, Title: strings.TrimSpace(r.Content)}
	if out.Title == "" {
		out.Title = strings.TrimSpace(r.Title)
	}
	if pic, err := checkTarget(r.PicURL, validHostName); err == nil {
		out.PicURL = pic
	}
	out.NativeURL = cleanNativeURL(r.NativeURL, d.allow)
	return out, nil
}

// cleanNativeURL keeps a native_url only when it is an app link of the
// Taobao family (tbopen:, taobao:, tmall:) without control characters, or
// an allowed web URL; anything else is dropped.
func cleanNativeURL(s string, allow func(string) bool) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxURLLen {
		return ""
	}
	if t, err := checkTarget(s, allow); err == nil {
		return t
	}
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return ""
	}
	switch strings.ToLower(s[:i]) {
	case "tbopen", "taobao", "tmall":
	default:
		return ""
	}
	for j := 0; j < len(s); j++ {
		if c := s[j]; c <= ' ' || c == 0x7f || c == '\\' {
			return ""
		}
	}
	return s
}

// flexBool decodes a JSON boolean also written as a string ("true").
type flexBool bool

func (b *flexBool) UnmarshalJSON(p []byte) error {
	switch string(bytes.Trim(p, `"`)) {
	case "true", "1":
		*b = true
	case "false", "0", "", "null":
		*b = false
	default:
		return fmt.Errorf("remote: %s is not a boolean", p)
	}
	return nil
}

// TOPError is a TOP error_response: Code is the platform code (for example
// 7 App Call Limited, 25 Invalid signature, 27 Invalid session, 29 Invalid
// app key, 31 Invalid timestamp, 15 Remote service error), SubCode and
// SubMsg the business detail (for example "isv.invalid-parameter").
// errors.Is(err, ErrUpstream) is true for a *TOPError.
type TOPError struct {
	Code      int
	Msg       string
	SubCode   string
	SubMsg    string
	RequestID string
}

// Error returns "remote: TOP error CODE MSG (SUB_CODE: SUB_MSG)".
func (e *TOPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "remote: TOP error %d %s", e.Code, e.Msg)
	if e.SubCode != "" || e.SubMsg != "" {
		fmt.Fprintf(&b, " (%s: %s)", e.SubCode, e.SubMsg)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " request_id=%s", e.RequestID)
	}
	return b.String()
}

// Unwrap returns ErrUpstream, so a TOP error is an upstream error.
func (e *TOPError) Unwrap() error { return ErrUpstream }
