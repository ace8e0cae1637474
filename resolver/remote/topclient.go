package remote

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hutong-dev/hutong/resolver"
)

// TOP methods hutong calls.
const (
	// TOPTpwdCreateMethod mints a 淘口令 for an Alimama promotion link
	// (淘宝客-公用-淘口令生成).
	TOPTpwdCreateMethod = "taobao.tbk.tpwd.create"
	// TOPLinkParseMethod is the affiliate "万能解析": it takes a URL or a
	// 淘口令 (material_dto[].material_url) and answers what it points to.
	TOPLinkParseMethod = "taobao.tbk.dg.general.link.parse"
)

// Breaker defaults of TOPConfig.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
)

// ErrCircuitOpen means recent calls to the Open Platform failed upstream so
// often that calls are refused for a while without network I/O. It wraps
// ErrUpstream.
var ErrCircuitOpen = fmt.Errorf("%w: Taobao Open Platform circuit open after repeated failures", ErrUpstream)

// TOPClient makes signed calls to the Taobao Open Platform (TOP) REST
// gateway: the public parameters, the GMT+8 timestamp, the signature, a
// deadline per call, a size cap on the answer, the error_response envelope
// and a circuit breaker. TOPDecoder and TpwdCreator are built on it.
//
// Build it with NewTOPClient; the zero value is not usable. Safe for
// concurrent use.
type TOPClient struct {
	enabled  bool
	cfgErr   error
	key      string
	secret   string
	gateway  string
	signWith string
	client   *http.Client
	timeout  time.Duration
	maxBody  int64
	now      func() time.Time
	gmt8     *time.Location
	brk      *breaker
}

// NewTOPClient returns a client configured by cfg (its AppKey, AppSecret,
// GatewayURL, SignMethod, Transport, Timeout, MaxBodyBytes, Now and
// Breaker fields), with defaults for zero fields. Without AppKey or
// AppSecret it is disabled: Call returns resolver.ErrNotConfigured.
func NewTOPClient(cfg TOPConfig) *TOPClient {
	c := &TOPClient{
		enabled:  cfg.AppKey != "" && cfg.AppSecret != "",
		key:      cfg.AppKey,
		secret:   cfg.AppSecret,
		gateway:  cfg.GatewayURL,
		signWith: cfg.SignMethod,
		timeout:  cfg.Timeout,
		maxBody:  cfg.MaxBodyBytes,
		now:      cfg.Now,
		gmt8:     time.FixedZone("GMT+8", 8*60*60),
	}
	if c.gateway == "" {
		c.gateway = DefaultTOPGateway
	}
	if c.signWith == "" {
		c.signWith = SignMD5
	}
	switch c.signWith {
	case SignMD5, SignHMAC, SignHMACSHA256:
	default:
		c.cfgErr = fmt.Errorf("%w: TOP sign method %q (want md5, hmac or hmac-sha256)", resolver.ErrNotConfigured, c.signWith)
	}
	if u, err := url.Parse(c.gateway); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		c.cfgErr = fmt.Errorf("%w: TOP gateway URL %q", resolver.ErrNotConfigured, c.gateway)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTOPTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultTOPMaxBodyBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.client = newHTTPClient(cfg.Transport)
	c.brk = newBreaker(cfg.BreakerFailures, cfg.BreakerCooldown, c.now)
	return c
}

// Enabled reports whether the client has credentials and will call TOP.
func (c *TOPClient) Enabled() bool { return c.enabled }

// usable returns the error a call fails with before any I/O: not
// configured, or misconfigured.
func (c *TOPClient) usable() error {
	if !c.enabled {
		return resolver.ErrNotConfigured
	}
	return c.cfgErr
}

// Call invokes method with the API parameters params (empty values are
// neither sent nor signed) and returns the JSON object the platform
// answers under "<method without taobao., dots as _>_response".
//
// Errors: resolver.ErrNotConfigured; ErrCircuitOpen; ErrTooLarge;
// ErrUpstream for network errors, timeouts (wrapping
// context.DeadlineExceeded), statuses other than 200 and malformed
// answers; a *TOPError for an error_response.
func (c *TOPClient) Call(ctx context.Context, method string, params map[string]string) (json.RawMessage, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if !c.brk.allow() {
		return nil, ErrCircuitOpen
	}
	body, err := c.call(ctx, method, params)
	c.brk.done(countsAsOutage(err))
	return body, err
}

// countsAsOutage reports whether err says the platform is unwell (as
// opposed to refusing this one request): network errors, timeouts, bad
// statuses and answers, call limits (7), remote service errors (15) and
// isp.* sub codes.
func countsAsOutage(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var te *TOPError
	if errors.As(err, &te) {
		return te.Code == 7 || te.Code == 15 && strings.HasPrefix(te.SubCode, "isp.")
	}
	return errors.Is(err, ErrUpstream) || errors.Is(err, ErrTooLarge)
}

func (c *TOPClient) call(ctx context.Context, method string, params map[string]string) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	form := c.form(method, params).Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.gateway, strings.NewReader(form))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUpstream, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: TOP %s: %w", ErrUpstream, method, err)
	}
	defer resp.Body.Close()
	body, err := readCapped(resp, c.maxBody)
	if err != nil {
		return nil, fmt.Errorf("TOP %s: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: TOP %s: status %d", ErrUpstream, method, resp.StatusCode)
	}
	return unwrapTOP(method, body)
}

// form returns the signed request parameters of one call.
func (c *TOPClient) form(method string, params map[string]string) url.Values {
	p := make(map[string]string, len(params)+7)
	for k, v := range params {
		if k != "" && v != "" {
			p[k] = v
		}
	}
	p["method"] = method
	p["app_key"] = c.key
	p["timestamp"] = c.now().In(c.gmt8).Format(time.DateTime)
	p["format"] = "json"
	p["v"] = "2.0"
	p["sign_method"] = c.signWith
	v := make(url.Values, len(p)+1)
	for k, val := range p {
		v.Set(k, val)
	}
	v.Set("sign", topSign(p, c.secret, c.signWith))
	return v
}

// responseKey is the JSON key of method's answer:
// taobao.tbk.tpwd.create → tbk_tpwd_create_response.
func responseKey(method string) string {
	return strings.ReplaceAll(strings.TrimPrefix(method, "taobao."), ".", "_") + "_response"
}

// unwrapTOP returns the method's response object from a TOP answer, or the
// error it holds.
func unwrapTOP(method string, body []byte) (json.RawMessage, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: TOP %s: malformed JSON: %v", ErrUpstream, method, err)
	}
	if raw, ok := env["error_response"]; ok {
		var e struct {
			Code      json.RawMessage `json:"code"`
			Msg       string          `json:"msg"`
			SubCode   string          `json:"sub_code"`
			SubMsg    string          `json:"sub_msg"`
			RequestID string          `json:"request_id"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("%w: TOP %s: malformed error_response: %v", ErrUpstream, method, err)
		}
		code, _ := strconv.Atoi(strings.Trim(string(e.Code), `"`))
		return nil, &TOPError{Code: code, Msg: e.Msg, SubCode: e.SubCode, SubMsg: e.SubMsg, RequestID: e.RequestID}
	}
	raw, ok := env[responseKey(method)]
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("%w: TOP %s: answer holds neither a response nor an error", ErrUpstream, method)
	}
	return raw, nil
}

// topSign signs TOP request parameters: every parameter but "sign" with a
// non-empty name and value, sorted by name (byte order), concatenated as
// name+value, digested with the sign method and written as upper-case hex.
// md5 wraps the string in the secret; hmac and hmac-sha256 key the MAC with
// it. An unknown method signs as md5 (NewTOPClient refuses those).
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

// breaker is a consecutive-failure circuit breaker: closed until max
// outages in a row, then open for cooldown, then half-open (one trial
// call; others keep failing fast until it reports). A nil *breaker always
// allows. Safe for concurrent use.
type breaker struct {
	mu       sync.Mutex
	max      int
	cooldown time.Duration
	now      func() time.Time
	fails    int
	openTill time.Time
	trial    bool // a half-open trial call is out
}

func newBreaker(max int, cooldown time.Duration, now func() time.Time) *breaker {
	if max < 0 {
		return nil
	}
	if max == 0 {
		max = DefaultBreakerFailures
	}
	if cooldown <= 0 {
		cooldown = DefaultBreakerCooldown
	}
	return &breaker{max: max, cooldown: cooldown, now: now}
}

func (b *breaker) allow() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fails < b.max {
		return true
	}
	if b.now().Before(b.openTill) || b.trial {
		return false
	}
	b.trial = true
	return true
}

func (b *breaker) done(outage bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if !outage {
		b.fails = 0
		return
	}
	b.fails++
	if b.fails >= b.max {
		b.openTill = b.now().Add(b.cooldown)
	}
}
