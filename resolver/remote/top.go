package remote

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
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
}

// TOPDecoder decodes 淘口令 tokens through the Taobao Open Platform method
// taobao.wireless.share.tpwd.query. It implements resolver.PasswordDecoder.
//
// Build it with NewTOPDecoder; the zero value is not usable. A *TOPDecoder
// is safe for concurrent use and must not be copied. Answers are cached by
// token; concurrent decodes of the same token share one request.
type TOPDecoder struct {
	enabled  bool
	cfgErr   error
	key      string
	secret   string
	gateway  string
	signWith string
	client   *http.Client
	timeout  time.Duration
	maxBody  int64
	allow    func(string) bool
	now      func() time.Time
	gmt8     *time.Location
	lookup   *cachedLookup[resolver.Decoded]
}

var _ resolver.PasswordDecoder = (*TOPDecoder)(nil)

// NewTOPDecoder returns a decoder configured by cfg, with defaults for zero
// fields. Without AppKey or AppSecret the decoder is disabled: Enabled
// reports false and Decode returns resolver.ErrNotConfigured without any
// network I/O.
func NewTOPDecoder(cfg TOPConfig) *TOPDecoder {
	d := &TOPDecoder{
		enabled:  cfg.AppKey != "" && cfg.AppSecret != "",
		key:      cfg.AppKey,
		secret:   cfg.AppSecret,
		gateway:  cfg.GatewayURL,
		signWith: cfg.SignMethod,
		timeout:  cfg.Timeout,
		maxBody:  cfg.MaxBodyBytes,
		allow:    cfg.AllowHost,
		now:      cfg.Now,
		gmt8:     time.FixedZone("GMT+8", 8*60*60),
	}
	if d.gateway == "" {
		d.gateway = DefaultTOPGateway
	}
	if d.signWith == "" {
		d.signWith = SignMD5
	}
	switch d.signWith {
	case SignMD5, SignHMAC, SignHMACSHA256:
	default:
		d.cfgErr = fmt.Errorf("%w: TOP sign method %q (want md5, hmac or hmac-sha256)", resolver.ErrNotConfigured, d.signWith)
	}
	if u, err := url.Parse(d.gateway); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		d.cfgErr = fmt.Errorf("%w: TOP gateway URL %q", resolver.ErrNotConfigured, d.gateway)
	}
	if d.timeout <= 0 {
		d.timeout = DefaultTOPTimeout
	}
	if d.maxBody <= 0 {
		d.maxBody = DefaultTOPMaxBodyBytes
	}
	if d.allow == nil {
		d.allow = DefaultAllowHost
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.client = newHTTPClient(cfg.Transport)
	d.lookup = newCachedLookup[resolver.Decoded](cfg.CacheSize, cfg.CacheTTL, cfg.NegativeTTL, d.now)
	return d
}

// Enabled reports whether the decoder has credentials and will call TOP.
func (d *TOPDecoder) Enabled() bool { return d.enabled }

// Decode asks TOP what the 淘口令 tpwd points to. tpwd is the bare token
// (e.g. "AbCdEf12345", sent as "￥AbCdEf12345￥") or a text holding one
// (sent as given, after trimming white space). Answers are cached by the
// trimmed tpwd.
//
// Errors: resolver.ErrNotConfigured when the decoder is disabled or
// misconfigured; ErrNotFound for an empty token or when TOP does not know
// it (suc false or no url); ErrDisallowedHost when the decoded url is not
// an allowed host; ErrTooLarge; ErrUpstream for network errors, timeouts,
// unexpected statuses and malformed answers; a *TOPError (which also
// matches ErrUpstream) for a TOP error_response. When ctx ends first,
// Decode returns ctx.Err().
func (d *TOPDecoder) Decode(ctx context.Context, tpwd string) (resolver.Decoded, error) {
	if !d.enabled {
		return resolver.Decoded{}, resolver.ErrNotConfigured
	}
	if d.cfgErr != nil {
		return resolver.Decoded{}, d.cfgErr
	}
	token := strings.TrimSpace(tpwd)
	if token == "" || len(token) > maxTokenLen {
		return resolver.Decoded{}, fmt.Errorf("%w: empty or oversize 淘口令", ErrNotFound)
	}
	return d.lookup.do(ctx, token, func(ctx context.Context) (resolver.Decoded, error) {
		return d.query(ctx, passwordContent(token))
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

// params returns the signed request parameters for token.
func (d *TOPDecoder) params(token string) url.Values {
	p := map[string]string{
		"method":           TOPTpwdQueryMethod,
		"app_key":          d.key,
		"timestamp":        d.now().In(d.gmt8).Format(time.DateTime),
		"format":           "json",
		"v":                "2.0",
		"sign_method":      d.signWith,
		"password_content": token,
	}
	v := make(url.Values, len(p)+1)
	for k, val := range p {
		v.Set(k, val)
	}
	v.Set("sign", topSign(p, d.secret, d.signWith))
	return v
}

// topSign signs TOP request parameters: every parameter but "sign" with a
// non-empty name and value, sorted by name (byte order), concatenated as
// name+value, digested with the sign method and written as upper-case hex.
// md5 wraps the string in the secret; hmac and hmac-sha256 key the MAC with
// it. An unknown method signs as md5 (NewTOPDecoder refuses those).
func topSign(params map[string]string, secret, method string) string {
	keys := make([]string, 0, len(params))
	n := 0
	for k, v := range params {
		if k == "" || v == "" || k == "sign" {
			continue
		}
		keys = append(keys, k)
		n += len(k) + len(v)
	}
	sort.Strings(keys)
	var h hash.Hash
	wrap := false // md5: secret + s + secret
	switch method {
	case SignHMAC:
		h = hmac.New(md5.New, []byte(secret))
	case SignHMACSHA256:
		h = hmac.New(sha256.New, []byte(secret))
	default:
		h, wrap = md5.New(), true
	}
	var buf bytes.Buffer
	buf.Grow(n + 2*len(secret))
	if wrap {
		buf.WriteString(secret)
	}
	for _, k := range keys {
		buf.WriteString(k)
		buf.WriteString(params[k])
	}
	if wrap {
		buf.WriteString(secret)
	}
	h.Write(buf.Bytes())
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// query makes one call to TOP.
func (d *TOPDecoder) query(ctx context.Context, token string) (resolver.Decoded, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	form := d.params(token).Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.gateway, strings.NewReader(form))
	if err != nil {
		return resolver.Decoded{}, fmt.Errorf("%w: %v", ErrUpstream, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s: %w", ErrUpstream, TOPTpwdQueryMethod, err)
	}
	defer resp.Body.Close()
	body, err := readCapped(resp, d.maxBody)
	if err != nil {
		return resolver.Decoded{}, fmt.Errorf("TOP %s: %w", TOPTpwdQueryMethod, err)
	}
	if resp.StatusCode != http.StatusOK {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s: status %d", ErrUpstream, TOPTpwdQueryMethod, resp.StatusCode)
	}
	return d.parse(body)
}

// topEnvelope is a TOP JSON answer: the method's response or an error.
type topEnvelope struct {
	Resp *struct {
		Content   string   `json:"content"`
		Title     string   `json:"title"`
		PicURL    string   `json:"pic_url"`
		URL       string   `json:"url"`
		NativeURL string   `json:"native_url"`
		Suc       flexBool `json:"suc"`
	} `json:"wireless_share_tpwd_query_response"`
	Err *struct {
		Code      json.RawMessage `json:"code"`
		Msg       string          `json:"msg"`
		SubCode   string          `json:"sub_code"`
		SubMsg    string          `json:"sub_msg"`
		RequestID string          `json:"request_id"`
	} `json:"error_response"`
}

// parse turns a TOP answer into a Decoded or an error.
func (d *TOPDecoder) parse(body []byte) (resolver.Decoded, error) {
	var env topEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s: malformed JSON: %v", ErrUpstream, TOPTpwdQueryMethod, err)
	}
	if e := env.Err; e != nil {
		code, _ := strconv.Atoi(strings.Trim(string(e.Code), `"`))
		return resolver.Decoded{}, &TOPError{Code: code, Msg: e.Msg, SubCode: e.SubCode, SubMsg: e.SubMsg, RequestID: e.RequestID}
	}
	r := env.Resp
	if r == nil {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s: answer holds neither a response nor an error", ErrUpstream, TOPTpwdQueryMethod)
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
