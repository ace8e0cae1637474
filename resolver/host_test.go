package resolver

import "testing"

func TestIsTaobaoHost(t *testing.T) {
	cases := []struct {
		host string
		p    Platform
		ok   bool
	}{
		{"taobao.com", PlatformTaobao, true},
		{"item.taobao.com", PlatformTaobao, true},
		{"ITEM.TaoBao.COM", PlatformTaobao, true},
		{"item.taobao.com.", PlatformTaobao, true},
		{"m.tb.cn", PlatformTaobao, true},
		{"tb.cn", PlatformTaobao, true},
		{"detail.tmall.com", PlatformTmall, true},
		{"detail.tmall.hk", PlatformTmall, true},
		{"detail.liangxinyao.com", PlatformTmall, true},
		{"detail.yao.95095.com", PlatformTmall, true},
		{"95095.com", PlatformUnknown, false},
		{"yukhj.com", PlatformUnknown, false},
		{"diantao.cn", PlatformUnknown, false}, // parsed, never allow-listed
		{"img.alicdn.com", PlatformUnknown, false},
		{"alipay.com", PlatformUnknown, false},
		{"taobao.com.evil.example", PlatformUnknown, false},
		{"evil-taobao.com", PlatformUnknown, false},
		{"nottaobao.com", PlatformUnknown, false},
		{"mtb.cn", PlatformUnknown, false},
		{"tmall.com.cn", PlatformUnknown, false},
		{"item.taobao.com:443", PlatformUnknown, false},
		{"user@item.taobao.com", PlatformUnknown, false},
		{"item%2etaobao.com", PlatformUnknown, false},
		{"item.tаobao.com", PlatformUnknown, false}, // Cyrillic а
		{"item..taobao.com", PlatformUnknown, false},
		{".taobao.com", PlatformUnknown, false},
		{"taobao.com..", PlatformUnknown, false},
		{"", PlatformUnknown, false},
		{".", PlatformUnknown, false},
	}
	for _, c := range cases {
		p, ok := IsTaobaoHost(c.host)
		if p != c.p || ok != c.ok {
			t.Errorf("IsTaobaoHost(%q) = %q, %v; want %q, %v", c.host, p, ok, c.p, c.ok)
		}
	}
}

func TestIsAlipayHost(t *testing.T) {
	for host, want := range map[string]bool{
		"alipay.com": true, "render.alipay.com": true, "ALIPAY.COM.": true,
		"alipay.com.evil.example": false, "notalipay.com": false, "taobao.com": false,
	} {
		if got := IsAlipayHost(host); got != want {
			t.Errorf("IsAlipayHost(%q) = %v; want %v", host, got, want)
		}
	}
}

func TestIsTaobaoHostAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { IsTaobaoHost("detail.m.tmall.com") }); n != 0 {
		t.Errorf("IsTaobaoHost allocates %v times per call; want 0", n)
	}
}
