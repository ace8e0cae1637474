package remote

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/resolver"
)

const (
	testAppKey    = "12345678"
	testAppSecret = "helloworld"
	testToken     = "￥AbCdEf12345￥"
)

// testNow is 2024-09-12 02:00:00 UTC, i.e. 10:00:00 in GMT+8.
func testNow() time.Time { return time.Date(2024, 9, 12, 2, 0, 0, 0, time.UTC) }

// TestTopSignKnownVectors checks the signature against strings built by
// hand from the documented rule and digests computed outside Go
// (python3 hashlib/hmac and `openssl md5`).
func TestTopSignKnownVectors(t *testing.T) {
	params := func(method string) map[string]string {
		return map[string]string{
			"method":           "taobao.wireless.share.tpwd.query",
			"app_key":          testAppKey,
			"timestamp":        "2024-09-12 10:00:00",
			"format":           "json",
			"v":                "2.0",
			"sign_method":      method,
			"password_content": testToken,
			"sign":             "ignored",
			"session":          "", // empty values are not signed
		}
	}
	tests := []struct {
		method string
		signed string // what is digested, built by hand
		want   string
	}{
		{SignMD5,
			"helloworld" + "app_key12345678" + "formatjson" + "methodtaobao.wireless.share.tpwd.query" +
				"password_content￥AbCdEf12345￥" + "sign_methodmd5" + "timestamp2024-09-12 10:00:00" + "v2.0" + "helloworld",
			"4967C10E46199DD98BCB3C162F43FD88"},
		{SignHMAC,
			"app_key12345678" + "formatjson" + "methodtaobao.wireless.share.tpwd.query" +
				"password_content￥AbCdEf12345￥" + "sign_methodhmac" + "timestamp2024-09-12 10:00:00" + "v2.0",
			"3B3B36166E66696F61B943AF4B94864D"},
		{SignHMACSHA256,
			"app_key12345678" + "formatjson" + "methodtaobao.wireless.share.tpwd.query" +
				"password_content￥AbCdEf12345￥" + "sign_methodhmac-sha256" + "timestamp2024-09-12 10:00:00" + "v2.0",
			"B7E292FBEF9687BA78E697189075B6E0F2A38D2D31185C9B93831CD92BDA865F"},
	}
	for _, tt := range tests {
		if got := topSign(params(tt.method), testAppSecret, tt.method); got != tt.want {
			t.Errorf("topSign(%s) = %s; want %s (digest of %q)", tt.method, got, tt.want, tt.signed)
		}
	}
	// The md5 vector once more, digesting the hand-built string here.
	sum := md5.Sum([]byte(tests[0].signed))
	if got := strings.ToUpper(hex.EncodeToString(sum[:])); got != tests[0].want {
		t.Errorf("md5(hand-built) = %s; want %s", got, tests[0].want)
	}
	// The ordering example of the TOP documentation: foo:1, bar:2,
	// foo_bar:3, foobar:4 concatenate as bar2foo1foo_bar3foobar4.
	doc := map[string]string{"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"}
	if got, want := topSign(doc, "test", SignMD5), "21A48F3352CEE1E95AD1B728D16E8016"; got != want {
		t.Errorf("topSign(doc example) = %s; want %s = MD5(testbar2foo1foo_bar3foobar4test)", got, want)
	}
}

// handSign is the test's own signer for the fake gateway: sort, join,
// digest (md5 only; hmac requests are checked against the vectors above).
func handSign(form map[string]string, secret string) string {
	var keys []string
	for k, v := range form {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	s := secret
	for _, k := range keys {
		s += k + form[k]
	}
	sum := md5.Sum([]byte(s + secret))
	return fmt.Sprintf("%X", sum)
}

// topServer is a fake TOP gateway that checks requests the way the
// platform documents (POST form, public parameters, GMT+8 timestamp,
// signature) and answers per password_content.
type topServer struct {
	*httptest.Server
	hits    atomic.Int64
	release chan struct{} // when non-nil, requests wait for it
}

const okResponse = `{"wireless_share_tpwd_query_response":{"content":"纯棉短袖T恤男夏季宽松百搭","title":"淘口令-宝贝","price":"59.00","pic_url":"//img.alicdn.com/bao/uploaded/i1/O1CN01abc_!!0-item_pic.jpg","suc":true,"url":"https://item.taobao.com/item.htm?id=812345678901&sourceType=item&ut_sk=1.x_21380790_1.Copy.1","native_url":"tbopen://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&h5Url=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D812345678901","thumb_pic_url":"//img.alicdn.com/thumb.jpg","request_id":"16abcdef"}}`

func newTOPServer(t *testing.T) *topServer {
	t.Helper()
	s := &topServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.release != nil {
			<-s.release
		}
		w.Header().Set("Content-Type", "text/javascript;charset=UTF-8")
		fail := func(code int, msg, sub, subMsg string) {
			fmt.Fprintf(w, `{"error_response":{"code":%d,"msg":%q,"sub_code":%q,"sub_msg":%q,"request_id":"3x9k2"}}`, code, msg, sub, subMsg)
		}
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			fail(9, "Http Action Not Allowed", "", "")
			return
		}
		if err := r.ParseForm(); err != nil {
			fail(41, "Invalid Arguments", "", err.Error())
			return
		}
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		for k, want := range map[string]string{"method": TOPTpwdQueryMethod, "format": "json", "v": "2.0", "app_key": testAppKey} {
			if form[k] != want {
				fail(40, "Missing Required Arguments", "", fmt.Sprintf("%s=%q; want %q", k, form[k], want))
				return
			}
		}
		if form["timestamp"] != "2024-09-12 10:00:00" {
			fail(31, "Invalid Timestamp", "", form["timestamp"])
			return
		}
		switch form["sign_method"] {
		case "md5":
			if form["sign"] != handSign(form, testAppSecret) {
				fail(25, "Invalid Signature", "", "")
				return
			}
		case "hmac":
			if form["sign"] != "3B3B36166E66696F61B943AF4B94864D" || form["password_content"] != testToken {
				fail(25, "Invalid Signature", "", "")
				return
			}
		default:
			fail(25, "Invalid Signature", "", "sign_method")
			return
		}
		pc := form["password_content"]
		if !strings.HasPrefix(pc, "￥") || !strings.HasSuffix(pc, "￥") {
			fail(15, "Remote service error", "isv.password-content-invalid", "no 淘口令 in "+pc)
			return
		}
		switch strings.Trim(pc, "￥") {
		case "AbCdEf12345":
			fmt.Fprint(w, okResponse)
		case "unknown":
			fmt.Fprint(w, `{"wireless_share_tpwd_query_response":{"suc":false,"request_id":"1"}}`)
		case "stringsuc":
			fmt.Fprint(w, `{"wireless_share_tpwd_query_response":{"suc":"true","url":"https://detail.tmall.com/item.htm?id=9","title":"T"}}`)
		case "evil":
			fmt.Fprint(w, `{"wireless_share_tpwd_query_response":{"suc":true,"url":"https://taobao.com.evil.example/x","native_url":"javascript:alert(1)"}}`)
		case "badnative":
			fmt.Fprint(w, `{"wireless_share_tpwd_query_response":{"suc":true,"url":"https://uland.taobao.com/coupon/edetail?e=x","pic_url":"javascript:1","native_url":"weixin://dl/x"}}`)
		case "bizerror":
			fail(15, "Remote service error", "isv.invalid-parameter", "口令不存在")
		case "limited":
			fmt.Fprint(w, `{"error_response":{"code":"7","msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last for 1 more seconds"}}`)
		case "garbage":
			fmt.Fprint(w, `<html>gateway timeout</html>`)
		case "empty":
			fmt.Fprint(w, `{}`)
		case "status":
			w.WriteHeader(http.StatusBadGateway)
		case "huge":
			fmt.Fprint(w, `{"wireless_share_tpwd_query_response":{"content":"`+strings.Repeat("x", 70<<10)+`"}}`)
		default:
			fail(15, "Remote service error", "isv.unexpected", form["password_content"])
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func newTestTOP(s *topServer, mods ...func(*TOPConfig)) *TOPDecoder {
	cfg := TOPConfig{AppKey: testAppKey, AppSecret: testAppSecret, GatewayURL: s.URL, Now: testNow}
	for _, m := range mods {
		m(&cfg)
	}
	return NewTOPDecoder(cfg)
}

func TestTOPDecode(t *testing.T) {
	s := newTOPServer(t)
	d := newTestTOP(s)
	if !d.Enabled() {
		t.Fatal("Enabled() = false with key and secret")
	}
	got, err := d.Decode(context.Background(), "  AbCdEf12345\n") // bare token: wrapped in ￥…￥
	if err != nil {
		t.Fatalf("Decode = %v", err)
	}
	want := resolver.Decoded{
		URL:       "https://item.taobao.com/item.htm?id=812345678901&sourceType=item&ut_sk=1.x_21380790_1.Copy.1",
		Title:     "纯棉短袖T恤男夏季宽松百搭",
		PicURL:    "https://img.alicdn.com/bao/uploaded/i1/O1CN01abc_!!0-item_pic.jpg",
		NativeURL: "tbopen://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&h5Url=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D812345678901",
	}
	if got != want {
		t.Errorf("Decode =\n %+v\nwant\n %+v", got, want)
	}

	t.Run("hmac", func(t *testing.T) {
		d := newTestTOP(s, func(c *TOPConfig) { c.SignMethod = SignHMAC })
		if got, err := d.Decode(context.Background(), testToken); err != nil || got.URL != want.URL {
			t.Errorf("Decode with hmac = %+v, %v; want %q", got, err, want.URL)
		}
	})
	t.Run("string suc and title fallback", func(t *testing.T) {
		got, err := d.Decode(context.Background(), "stringsuc")
		if err != nil || got.URL != "https://detail.tmall.com/item.htm?id=9" || got.Title != "T" {
			t.Errorf("Decode(stringsuc) = %+v, %v", got, err)
		}
	})
	t.Run("unsafe side fields dropped", func(t *testing.T) {
		got, err := d.Decode(context.Background(), "badnative")
		if err != nil || got.PicURL != "" || got.NativeURL != "" || got.URL == "" {
			t.Errorf("Decode(badnative) = %+v, %v; want URL only", got, err)
		}
	})
}

func TestTOPErrors(t *testing.T) {
	s := newTOPServer(t)
	d := newTestTOP(s)
	tests := []struct {
		token   string
		wantErr error
		code    int // TOPError code when non-zero
		subCode string
	}{
		{"unknown", ErrNotFound, 0, ""},
		{"evil", ErrDisallowedHost, 0, ""},
		{"bizerror", ErrUpstream, 15, "isv.invalid-parameter"},
		{"limited", ErrUpstream, 7, "accesscontrol.limited-by-app-access-count"},
		{"garbage", ErrUpstream, 0, ""},
		{"empty", ErrUpstream, 0, ""},
		{"status", ErrUpstream, 0, ""},
		{"huge", ErrTooLarge, 0, ""},
		{"", ErrNotFound, 0, ""},
		{"   ", ErrNotFound, 0, ""},
		{strings.Repeat("x", maxTokenLen+1), ErrNotFound, 0, ""},
	}
	for _, tt := range tests {
		name := tt.token
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			got, err := d.Decode(context.Background(), tt.token)
			if !errors.Is(err, tt.wantErr) || got != (resolver.Decoded{}) {
				t.Fatalf("Decode(%q) = %+v, %v; want %v", name, got, err, tt.wantErr)
			}
			var te *TOPError
			if isTOP := errors.As(err, &te); isTOP != (tt.code != 0) {
				t.Fatalf("Decode(%q) error %v: *TOPError = %v; want %v", name, err, isTOP, tt.code != 0)
			}
			if te != nil && (te.Code != tt.code || te.SubCode != tt.subCode) {
				t.Errorf("TOPError = %+v; want code %d sub_code %q", te, tt.code, tt.subCode)
			}
		})
	}

	t.Run("bad signature", func(t *testing.T) {
		d := newTestTOP(s, func(c *TOPConfig) { c.AppSecret = "wrong" })
		_, err := d.Decode(context.Background(), testToken)
		var te *TOPError
		if !errors.As(err, &te) || te.Code != 25 || !errors.Is(err, ErrUpstream) {
			t.Fatalf("Decode with a wrong secret = %v; want TOPError 25 (Invalid Signature)", err)
		}
		if !strings.Contains(err.Error(), "25") || !strings.Contains(err.Error(), "Invalid Signature") {
			t.Errorf("error text %q lacks code and message", err)
		}
	})
	t.Run("wrong clock", func(t *testing.T) {
		d := newTestTOP(s, func(c *TOPConfig) { c.Now = time.Now })
		var te *TOPError
		if _, err := d.Decode(context.Background(), testToken); !errors.As(err, &te) || te.Code != 31 {
			t.Fatalf("Decode with another clock = %v; want TOPError 31 (the fake checks the timestamp)", err)
		}
	})
}

func TestTOPNotConfigured(t *testing.T) {
	s := newTOPServer(t)
	for name, cfg := range map[string]TOPConfig{
		"zero":          {},
		"no secret":     {AppKey: testAppKey, GatewayURL: s.URL},
		"no key":        {AppSecret: testAppSecret, GatewayURL: s.URL},
		"sign method":   {AppKey: testAppKey, AppSecret: testAppSecret, GatewayURL: s.URL, SignMethod: "sha1"},
		"gateway":       {AppKey: testAppKey, AppSecret: testAppSecret, GatewayURL: "eco.taobao.com/router/rest"},
		"gateway parse": {AppKey: testAppKey, AppSecret: testAppSecret, GatewayURL: "http://[::1"},
	} {
		d := NewTOPDecoder(cfg)
		if _, err := d.Decode(context.Background(), testToken); !errors.Is(err, resolver.ErrNotConfigured) {
			t.Errorf("%s: Decode = %v; want resolver.ErrNotConfigured", name, err)
		}
	}
	if d := NewTOPDecoder(TOPConfig{}); d.Enabled() {
		t.Error("Enabled() = true without credentials")
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("gateway requests = %d; want 0", n)
	}
}

func TestTOPSingleflightAndCache(t *testing.T) {
	s := newTOPServer(t)
	s.release = make(chan struct{})
	clk := newFakeClock()
	d := newTestTOP(s, func(c *TOPConfig) {
		c.Now = clk.Now // also the timestamp: 2024-09-12 10:00:00 GMT+8
		c.CacheTTL, c.NegativeTTL = 10*time.Minute, time.Minute
	})
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.Decode(context.Background(), testToken)
			errs <- err
		}()
	}
	for s.hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(s.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := s.hits.Load(); got != 1 {
		t.Fatalf("gateway requests for %d concurrent decodes = %d; want 1", n, got)
	}
	if _, err := d.Decode(context.Background(), testToken); err != nil || s.hits.Load() != 1 {
		t.Fatalf("cached Decode = %v, requests %d; want nil, 1", err, s.hits.Load())
	}
	// Negative answers are cached too; TOP errors are not.
	_, _ = d.Decode(context.Background(), "unknown")
	_, _ = d.Decode(context.Background(), "unknown")
	if got := s.hits.Load(); got != 2 {
		t.Errorf("requests after two unknown decodes = %d; want 2", got)
	}
	_, _ = d.Decode(context.Background(), "bizerror")
	_, _ = d.Decode(context.Background(), "bizerror")
	if got := s.hits.Load(); got != 4 {
		t.Errorf("requests after two TOP errors = %d; want 4", got)
	}
}

func TestTOPTimeout(t *testing.T) {
	s := newTOPServer(t)
	s.release = make(chan struct{})
	t.Cleanup(func() { close(s.release) })
	d := newTestTOP(s, func(c *TOPConfig) { c.Timeout = 50 * time.Millisecond })
	_, err := d.Decode(context.Background(), testToken)
	if !errors.Is(err, ErrUpstream) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Decode against a stalled gateway = %v; want ErrUpstream wrapping DeadlineExceeded", err)
	}
}

func TestPasswordContent(t *testing.T) {
	for in, want := range map[string]string{
		"AbCdEf12345":   "￥AbCdEf12345￥",
		"￥AbCdEf12345￥": "￥AbCdEf12345￥",
		"€AbCdEf12345€": "€AbCdEf12345€",
		"【T】￥AbC￥ 打开淘宝": "【T】￥AbC￥ 打开淘宝",
	} {
		if got := passwordContent(in); got != want {
			t.Errorf("passwordContent(%q) = %q; want %q", in, got, want)
		}
	}
}
