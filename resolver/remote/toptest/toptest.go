// Package toptest is a fake Taobao Open Platform (TOP) REST gateway on
// loopback for tests. It checks what the real gateway documents it checks
// (https://open.taobao.com/doc.htm?docId=101617&docType=1, "API调用方法详解"):
// a POST of application/x-www-form-urlencoded parameters; the public
// parameters method, app_key, timestamp, format, v, sign_method and sign;
// the API's own parameters, no unknown ones; a timestamp
// "yyyy-MM-dd HH:mm:ss" in GMT+8 at most 10 minutes off the gateway's
// clock; and the signature (md5, hmac, hmac-sha256), computed here
// independently of the client under test. Failures answer in the
// platform's error_response envelope with its codes (25 Invalid Signature,
// 29 Invalid App Key, 31 Invalid Timestamp, 40 Missing Required Arguments,
// 41 Invalid Arguments, 22 Invalid Method).
//
// It serves taobao.tbk.tpwd.create (minting deterministic tokens it can
// decode again), taobao.wireless.share.tpwd.query and
// taobao.tbk.dg.general.link.parse. A Server is safe for concurrent use.
package toptest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Method names served.
const (
	MethodTpwdCreate = "taobao.tbk.tpwd.create"
	MethodTpwdQuery  = "taobao.wireless.share.tpwd.query"
	MethodLinkParse  = "taobao.tbk.dg.general.link.parse"
)

// apiParams are each method's own parameters: required, then optional.
var apiParams = map[string]struct{ required, optional []string }{
	MethodTpwdCreate: {[]string{"url"}, []string{"text", "logo", "ext", "user_id"}},
	MethodTpwdQuery:  {[]string{"password_content"}, nil},
	MethodLinkParse:  {[]string{"material_dto", "adzone_id"}, []string{"relation_id", "fields"}},
}

var publicParams = []string{"method", "app_key", "timestamp", "format", "v", "sign_method", "sign"}

// Server is a running fake gateway. Its fields may be changed between
// requests (they are read under a lock).
type Server struct {
	*httptest.Server
	AppKey, AppSecret string

	mu sync.Mutex
	// Now is the gateway's clock (default time.Now).
	now func() time.Time
	// delay holds every answer back; fail makes every answer a 502.
	delay time.Duration
	fail  bool
	// minted maps a token (without ￥) to the URL it was minted for.
	minted map[string]string

	hits  atomic.Int64
	calls []Call
}

// Call is one request the gateway accepted (its checks passed).
type Call struct {
	Method string
	Form   url.Values
}

// New starts a gateway for the app key and secret; it is closed when the
// test ends.
func New(t interface {
	Helper()
	Cleanup(func())
}, appKey, appSecret string) *Server {
	t.Helper()
	s := &Server{AppKey: appKey, AppSecret: appSecret, now: time.Now, minted: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// SetNow sets the gateway's clock.
func (s *Server) SetNow(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// SetDelay makes every answer wait d (a slow gateway).
func (s *Server) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// SetFailing makes every answer a 502 (a failing gateway).
func (s *Server) SetFailing(f bool) { s.mu.Lock(); s.fail = f; s.mu.Unlock() }

// Hits is the number of HTTP requests received, accepted or not.
func (s *Server) Hits() int64 { return s.hits.Load() }

// Calls returns the accepted calls so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// URL of the gateway's REST endpoint.
func (s *Server) RestURL() string { return s.URL + "/router/rest" }

// Sign computes a TOP signature: parameters but sign with non-empty
// values, sorted by name, concatenated name+value; md5 of
// secret+string+secret, or HMAC-MD5 / HMAC-SHA256 keyed with the secret;
// upper-case hex. An unknown method returns "".
func Sign(form map[string]string, secret, method string) string {
	var names []string
	for k, v := range form {
		if k != "sign" && v != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, k := range names {
		sb.WriteString(k)
		sb.WriteString(form[k])
	}
	var h hash.Hash
	msg := sb.String()
	switch method {
	case "md5":
		h = md5.New()
		msg = secret + msg + secret
	case "hmac":
		h = hmac.New(md5.New, []byte(secret))
	case "hmac-sha256":
		h = hmac.New(sha256.New, []byte(secret))
	default:
		return ""
	}
	h.Write([]byte(msg))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

func topError(w http.ResponseWriter, code int, msg, sub, subMsg string) {
	b, _ := json.Marshal(map[string]any{"error_response": map[string]any{
		"code": code, "msg": msg, "sub_code": sub, "sub_msg": subMsg, "request_id": "fake0001"}})
	w.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	delay, fail, now := s.delay, s.fail, s.now
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if fail {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/javascript;charset=UTF-8")
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		topError(w, 9, "Http Action Not Allowed", "", "POST application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		topError(w, 41, "Invalid Arguments", "", err.Error())
		return
	}
	form := map[string]string{}
	for k, v := range r.PostForm {
		if len(v) != 1 {
			topError(w, 41, "Invalid Arguments", "", k+" given more than once")
			return
		}
		form[k] = v[0]
	}
	for k := range r.URL.Query() {
		topError(w, 41, "Invalid Arguments", "", "parameter "+k+" in the URL: send every parameter in the body")
		return
	}
	method := form["method"]
	api, ok := apiParams[method]
	if !ok {
		topError(w, 22, "Invalid Method", "", method)
		return
	}
	for _, k := range append(append([]string(nil), publicParams...), api.required...) {
		if form[k] == "" {
			topError(w, 40, "Missing Required Arguments", "", k)
			return
		}
	}
	known := map[string]bool{"session": true, "simplify": true, "target_app_key": true, "partner_id": true}
	for _, k := range publicParams {
		known[k] = true
	}
	for _, k := range append(append([]string(nil), api.required...), api.optional...) {
		known[k] = true
	}
	for k := range form {
		if !known[k] {
			topError(w, 41, "Invalid Arguments", "", "unknown parameter "+k)
			return
		}
	}
	if form["app_key"] != s.AppKey {
		topError(w, 29, "Invalid App Key", "", "")
		return
	}
	if form["v"] != "2.0" || form["format"] != "json" {
		topError(w, 41, "Invalid Arguments", "", "v must be 2.0 and format json")
		return
	}
	ts, err := time.ParseInLocation("2006-01-02 15:04:05", form["timestamp"], time.FixedZone("GMT+8", 8*3600))
	if err != nil {
		topError(w, 31, "Invalid Timestamp", "", "want yyyy-MM-dd HH:mm:ss in GMT+8: "+form["timestamp"])
		return
	}
	if d := now().Sub(ts); d > 10*time.Minute || d < -10*time.Minute {
		topError(w, 31, "Invalid Timestamp", "", fmt.Sprintf("%s is %s off the gateway's clock (at most 10m)", form["timestamp"], d.Round(time.Second)))
		return
	}
	want := Sign(form, s.AppSecret, form["sign_method"])
	if want == "" {
		topError(w, 25, "Invalid Signature", "", "unknown sign_method "+form["sign_method"])
		return
	}
	if form["sign"] != want {
		topError(w, 25, "Invalid Signature", "", "")
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Form: r.PostForm})
	s.mu.Unlock()
	switch method {
	case MethodTpwdCreate:
		s.create(w, form["url"])
	case MethodTpwdQuery:
		s.query(w, form["password_content"])
	case MethodLinkParse:
		var dto []struct {
			MaterialURL string `json:"material_url"`
		}
		if json.Unmarshal([]byte(form["material_dto"]), &dto) != nil || len(dto) == 0 || dto[0].MaterialURL == "" {
			topError(w, 41, "Invalid Arguments", "", "material_dto: want a JSON list of {\"material_url\": …}")
			return
		}
		s.parse(w, dto[0].MaterialURL)
	}
}

// create answers taobao.tbk.tpwd.create. URLs containing "noperm" get the
// permission error, "limited" the call limit, "isperr" a platform error
// (isp.*); other non-promotion URLs the platform's parameter error.
func (s *Server) create(w http.ResponseWriter, raw string) {
	switch {
	case strings.Contains(raw, "noperm"):
		topError(w, 11, "Insufficient isv permissions", "isv.permission-api-package-limit", "scope ids is 11655 13503")
		return
	case strings.Contains(raw, "limited"):
		topError(w, 7, "App Call Limited", "accesscontrol.limited-by-app-access-count", "This ban will last for 1 more seconds")
		return
	case strings.Contains(raw, "isperr"):
		topError(w, 15, "Remote service error", "isp.top-remote-connection-timeout", "remote service timeout")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Host != "s.click.taobao.com" && u.Host != "uland.taobao.com") {
		topError(w, 15, "Remote service error", "isv.tpwd-create-error", "url 必须是联盟官方渠道获取的推广链接")
		return
	}
	sum := md5.Sum([]byte(raw))
	tok := tokenOf(sum[:])
	s.mu.Lock()
	s.minted[tok] = raw
	s.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"tbk_tpwd_create_response": map[string]any{
		"data": map[string]string{
			"model":           "6￥" + tok + "￥/ https://m.tb.cn/h.fake" + tok[:4] + " CZ0001",
			"password_simple": "￥" + tok + "￥",
		},
		"request_id": "fake0002",
	}})
	w.Write(b)
}

// tokenOf makes an 11-character token of letters and digits from b.
func tokenOf(b []byte) string {
	const abc = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	out := make([]byte, 11)
	for i := range out {
		out[i] = abc[int(b[i])%len(abc)]
	}
	return string(out)
}

// lookup finds the URL a minted token (in any wrapper) points to.
func (s *Server) lookup(text string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, u := range s.minted {
		if strings.Contains(text, tok) {
			return u, true
		}
	}
	return "", false
}

func (s *Server) query(w http.ResponseWriter, pc string) {
	u, ok := s.lookup(pc)
	if !ok {
		fmt.Fprint(w, `{"wireless_share_tpwd_query_response":{"suc":false,"request_id":"fake0003"}}`)
		return
	}
	b, _ := json.Marshal(map[string]any{"wireless_share_tpwd_query_response": map[string]any{
		"suc": true, "url": u, "content": "fake item", "request_id": "fake0003"}})
	w.Write(b)
}

func (s *Server) parse(w http.ResponseWriter, material string) {
	u, ok := s.lookup(material)
	if !ok {
		if strings.HasPrefix(material, "https://") {
			u, ok = material, true
		}
	}
	if !ok {
		fmt.Fprint(w, `{"tbk_dg_general_link_parse_response":{"data":{"material_url_list":[{"code":10001,"msg":"口令不存在","input_material_url":""}]},"request_id":"fake0004"}}`)
		return
	}
	b, _ := json.Marshal(map[string]any{"tbk_dg_general_link_parse_response": map[string]any{
		"data": map[string]any{"material_url_list": []any{map[string]any{
			"code": 0, "input_material_url": material,
			"link_info_dto": map[string]any{"tpwd_origin_url": u, "material_type": 5, "tk_biz_type": 1},
		}}},
		"request_id": "fake0004"}})
	w.Write(b)
}
