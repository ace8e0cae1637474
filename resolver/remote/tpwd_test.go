package remote

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/resolver/remote/toptest"
)

// The signature example of the platform's own documentation ("API调用方法详解",
// https://open.taobao.com/doc.htm?docId=101617&docType=1, section 签名举例):
// secret helloworld and the parameters below sign with md5 to
// 66987CB115214E59E6EC978214934FB8. The same vector is asserted by public
// TOP SDK ports (for example a C# MD5 test citing that page). For the HMAC
// methods the documentation gives no digest, so the MACs are held to the
// RFC 2202 (HMAC-MD5) and RFC 4231 (HMAC-SHA256) test case 2, whose data
// "what do ya want for nothing?" is the concatenation name+value of one
// parameter.
func TestTOPSignDocumentedVector(t *testing.T) {
	doc := map[string]string{
		"method": "taobao.item.seller.get", "app_key": "12345678", "session": "test",
		"timestamp": "2016-01-01 12:00:00", "format": "json", "v": "2.0", "sign_method": "md5",
		"fields": "num_iid,title,nick,price,num", "num_iid": "11223344",
	}
	rfc := map[string]string{"what": " do ya want for nothing?"}
	tests := []struct {
		name, secret, method string
		params               map[string]string
		want                 string
	}{
		{"TOP doc md5", "helloworld", SignMD5, doc, "66987CB115214E59E6EC978214934FB8"},
		{"RFC 2202 case 2", "Jefe", SignHMAC, rfc, "750C783E6AB0B503EAA86E310A5DB738"},
		{"RFC 4231 case 2", "Jefe", SignHMACSHA256, rfc, "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"},
	}
	for _, tt := range tests {
		if got := topSign(tt.params, tt.secret, tt.method); got != tt.want {
			t.Errorf("%s: topSign = %s; want %s", tt.name, got, tt.want)
		}
		// The fake gateway's independent signer must agree, or its
		// verdicts would prove nothing.
		if got := toptest.Sign(tt.params, tt.secret, tt.method); got != tt.want {
			t.Errorf("%s: toptest.Sign = %s; want %s", tt.name, got, tt.want)
		}
	}
}

const (
	promoURL  = "https://s.click.taobao.com/t?e=m%3D2%26s%3DabcDEF&pvid=10_1"
	ulandURL  = "https://uland.taobao.com/coupon/edetail?e=xyz&pid=mm_1_2_3"
	fakeKey   = "23456789"
	fakeSecre = "s3cr3t-of-the-app"
)

func fakeGateway(t *testing.T) *toptest.Server { return toptest.New(t, fakeKey, fakeSecre) }

func fakeCfg(s *toptest.Server, mods ...func(*TOPConfig)) TOPConfig {
	cfg := TOPConfig{AppKey: fakeKey, AppSecret: fakeSecre, GatewayURL: s.RestURL()}
	for _, m := range mods {
		m(&cfg)
	}
	return cfg
}

func TestTpwdCreate(t *testing.T) {
	s := fakeGateway(t)
	for _, sm := range []string{SignMD5, SignHMAC, SignHMACSHA256} {
		t.Run(sm, func(t *testing.T) {
			c := NewTpwdCreator(fakeCfg(s, func(c *TOPConfig) { c.SignMethod = sm }))
			got, err := c.Create(context.Background(), "  "+promoURL+" ")
			if err != nil {
				t.Fatalf("Create = %v", err)
			}
			if !strings.HasPrefix(got.Simple, "￥") || !strings.HasSuffix(got.Simple, "￥") || len(got.Simple) < 10 {
				t.Errorf("Simple = %q; want ￥token￥", got.Simple)
			}
			if !strings.Contains(got.Model, strings.Trim(got.Simple, "￥")) || !strings.Contains(got.Model, "https://") {
				t.Errorf("Model = %q; want digits, the token and a URL", got.Model)
			}
		})
	}
	calls := s.Calls()
	if len(calls) != 3 {
		t.Fatalf("accepted calls = %d; want 3 (one per sign method)", len(calls))
	}
	var names []string
	for k := range calls[0].Form {
		names = append(names, k)
	}
	sort.Strings(names)
	if got, want := strings.Join(names, ","), "app_key,format,method,sign,sign_method,timestamp,url,v"; got != want {
		t.Errorf("parameters sent = %s; want %s (text and logo have no effect and are not sent)", got, want)
	}
	if calls[0].Form.Get("url") != promoURL {
		t.Errorf("url sent = %q; want the promotion link unchanged", calls[0].Form.Get("url"))
	}

	t.Run("cached", func(t *testing.T) {
		c := NewTpwdCreator(fakeCfg(s))
		a, err1 := c.Create(context.Background(), ulandURL)
		n := s.Hits()
		b, err2 := c.Create(context.Background(), ulandURL)
		if err1 != nil || err2 != nil || a != b || s.Hits() != n {
			t.Errorf("second Create = %+v, %v (requests %d → %d); want the cached answer", b, err2, n, s.Hits())
		}
	})
}

func TestTpwdCreateErrors(t *testing.T) {
	s := fakeGateway(t)
	c := NewTpwdCreator(fakeCfg(s))
	for _, in := range []string{"https://item.taobao.com/item.htm?id=1", "https://s.click.taobao.com/", "http://s.click.taobao.com.evil.example/t?e=1",
		"https://user@s.click.taobao.com/t?e=1", "javascript:alert(1)", ""} {
		if _, err := c.Create(context.Background(), in); !errors.Is(err, ErrNotPromotionLink) {
			t.Errorf("Create(%q) = %v; want ErrNotPromotionLink", in, err)
		}
	}
	if s.Hits() != 0 {
		t.Fatalf("gateway requests for non-promotion links = %d; want 0", s.Hits())
	}
	tests := []struct {
		name    string
		cfg     TOPConfig
		url     string
		code    int
		subCode string
	}{
		{"no permission", fakeCfg(s), promoURL + "&noperm=1", 11, "isv.permission-api-package-limit"},
		{"call limit", fakeCfg(s), promoURL + "&limited=1", 7, "accesscontrol.limited-by-app-access-count"},
		{"bad signature", fakeCfg(s, func(c *TOPConfig) { c.AppSecret = "wrong" }), promoURL, 25, ""},
		{"bad app key", fakeCfg(s, func(c *TOPConfig) { c.AppKey = "999" }), promoURL, 29, ""},
		{"clock 11 min fast", fakeCfg(s, func(c *TOPConfig) { c.Now = func() time.Time { return time.Now().Add(11 * time.Minute) } }), promoURL, 31, ""},
		{"clock 11 min slow", fakeCfg(s, func(c *TOPConfig) { c.Now = func() time.Time { return time.Now().Add(-11 * time.Minute) } }), promoURL, 31, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTpwdCreator(tt.cfg).Create(context.Background(), tt.url)
			var te *TOPError
			if !errors.As(err, &te) || te.Code != tt.code || te.SubCode != tt.subCode || !errors.Is(err, ErrUpstream) {
				t.Fatalf("Create = %v; want TOPError %d %q", err, tt.code, tt.subCode)
			}
		})
	}
	t.Run("clock 9 min off is accepted", func(t *testing.T) {
		cfg := fakeCfg(s, func(c *TOPConfig) { c.Now = func() time.Time { return time.Now().Add(-9 * time.Minute) } })
		if _, err := NewTpwdCreator(cfg).Create(context.Background(), promoURL); err != nil {
			t.Fatalf("Create = %v; want success within the 10-minute window", err)
		}
	})
	t.Run("timestamp is GMT+8 whatever the local zone", func(t *testing.T) {
		cfg := fakeCfg(s, func(c *TOPConfig) { c.Now = func() time.Time { return time.Now().In(time.FixedZone("X", -5*3600)) } })
		if _, err := NewTpwdCreator(cfg).Create(context.Background(), ulandURL+"&z=1"); err != nil {
			t.Fatalf("Create = %v", err)
		}
		ts := s.Calls()[len(s.Calls())-1].Form.Get("timestamp")
		want := time.Now().In(time.FixedZone("GMT+8", 8*3600)).Format(time.DateTime)[:13]
		if !strings.HasPrefix(ts, want) {
			t.Errorf("timestamp = %q; want GMT+8 %s:…", ts, want)
		}
	})
	t.Run("not configured", func(t *testing.T) {
		if _, err := NewTpwdCreator(TOPConfig{}).Create(context.Background(), promoURL); !errors.Is(err, resolver.ErrNotConfigured) {
			t.Errorf("Create = %v; want ErrNotConfigured", err)
		}
	})
}

func TestTOPSlowAndFailingGateway(t *testing.T) {
	s := fakeGateway(t)
	t.Run("timeout", func(t *testing.T) {
		s.SetDelay(time.Second)
		defer s.SetDelay(0)
		c := NewTpwdCreator(fakeCfg(s, func(c *TOPConfig) { c.Timeout = 50 * time.Millisecond }))
		start := time.Now()
		_, err := c.Create(context.Background(), promoURL)
		if !errors.Is(err, ErrUpstream) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Create against a slow gateway = %v; want ErrUpstream wrapping DeadlineExceeded", err)
		}
		if el := time.Since(start); el > 500*time.Millisecond {
			t.Errorf("Create took %v; want about the 50ms timeout", el)
		}
	})
	t.Run("circuit opens and recovers", func(t *testing.T) {
		s.SetFailing(true)
		clk := newFakeClock()
		s.SetNow(clk.Now)
		defer s.SetNow(time.Now)
		c := NewTpwdCreator(fakeCfg(s, func(c *TOPConfig) {
			c.Now, c.BreakerFailures, c.BreakerCooldown = clk.Now, 3, time.Minute
		}))
		before := s.Hits()
		for i := 0; i < 3; i++ {
			if _, err := c.Create(context.Background(), promoURL); !errors.Is(err, ErrUpstream) || errors.Is(err, ErrCircuitOpen) {
				t.Fatalf("call %d = %v; want an upstream error", i, err)
			}
		}
		for i := 0; i < 5; i++ {
			if _, err := c.Create(context.Background(), promoURL); !errors.Is(err, ErrCircuitOpen) || !errors.Is(err, ErrUpstream) {
				t.Fatalf("call with the circuit open = %v; want ErrCircuitOpen", err)
			}
		}
		if got := s.Hits() - before; got != 3 {
			t.Fatalf("gateway requests = %d; want 3 (none while open)", got)
		}
		clk.Advance(61 * time.Second)
		s.SetFailing(false)
		if _, err := c.Create(context.Background(), promoURL); err != nil {
			t.Fatalf("trial call after the cooldown = %v; want success", err)
		}
		if _, err := c.Create(context.Background(), ulandURL); err != nil {
			t.Fatalf("call after recovery = %v", err)
		}
	})
	t.Run("platform refusals do not open the circuit", func(t *testing.T) {
		c := NewTpwdCreator(fakeCfg(s, func(c *TOPConfig) { c.BreakerFailures = 2 }))
		for i := 0; i < 4; i++ {
			var te *TOPError
			if _, err := c.Create(context.Background(), promoURL+"&noperm="+url.QueryEscape(string(rune('a'+i)))); !errors.As(err, &te) {
				t.Fatalf("call %d = %v; want the permission TOPError", i, err)
			}
		}
	})
}

func TestDecodeMethods(t *testing.T) {
	s := fakeGateway(t)
	minted, err := NewTpwdCreator(fakeCfg(s)).Create(context.Background(), ulandURL)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.Trim(minted.Simple, "￥")
	for _, m := range []string{TOPTpwdQueryMethod, TOPLinkParseMethod} {
		t.Run(m, func(t *testing.T) {
			d := NewTOPDecoder(fakeCfg(s, func(c *TOPConfig) { c.DecodeMethod, c.AdzoneID = m, "112233" }))
			if d.Method() != m {
				t.Errorf("Method() = %q", d.Method())
			}
			got, err := d.Decode(context.Background(), tok)
			if err != nil || got.URL != ulandURL {
				t.Fatalf("Decode(%q) = %+v, %v; want %s", tok, got, err, ulandURL)
			}
			last := s.Calls()[len(s.Calls())-1]
			if last.Method != m {
				t.Errorf("method called = %s; want %s", last.Method, m)
			}
			if _, err := d.Decode(context.Background(), "ZZZZnotminted"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Decode(unknown) = %v; want ErrNotFound", err)
			}
		})
	}
	t.Run("link.parse needs the adzone", func(t *testing.T) {
		d := NewTOPDecoder(fakeCfg(s, func(c *TOPConfig) { c.DecodeMethod = TOPLinkParseMethod }))
		if _, err := d.Decode(context.Background(), tok); !errors.Is(err, resolver.ErrNotConfigured) {
			t.Errorf("Decode = %v; want ErrNotConfigured", err)
		}
		d = NewTOPDecoder(fakeCfg(s, func(c *TOPConfig) { c.DecodeMethod = "taobao.other" }))
		if _, err := d.Decode(context.Background(), tok); !errors.Is(err, resolver.ErrNotConfigured) {
			t.Errorf("Decode with an unknown method = %v; want ErrNotConfigured", err)
		}
	})
}

func TestIsPromotionLink(t *testing.T) {
	for in, want := range map[string]bool{
		promoURL: true, ulandURL: true, "https://s.click.taobao.com/Xyz123": true, "http://uland.taobao.com/quan/detail?e=1": true,
		"https://s.click.taobao.com": false, "https://item.taobao.com/item.htm?id=1": false, "https://m.tb.cn/h.abc": false,
		"https://s.click.taobao.com:8443/t?e=1": false, "ftp://s.click.taobao.com/t": false, "￥AbC￥": false,
	} {
		if got := IsPromotionLink(in); got != want {
			t.Errorf("IsPromotionLink(%q) = %v; want %v", in, got, want)
		}
	}
}
