package route

import (
	"testing"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/resolver"
)

// wechatItemTap is the hot case: an item tapped in a WeChat chat, with an
// affiliate parameter kept by the resolver and WeChat's from= on the tap.
func wechatItemTap() Request {
	return Request{
		Entity: resolver.Entity{
			Platform: resolver.PlatformTaobao, Kind: resolver.KindItem,
			ID: "684473423652", IDType: resolver.IDItem, SKU: "5046582397777",
			Params: "id=684473423652&skuId=5046582397777&ali_trackid=2:mm_123_456_789:1700000000_1_1&union_lens=lensId:OPT@1700000000@2",
		},
		Client: clientinfo.Client{App: clientinfo.AppWeChat, OS: clientinfo.OSiOS, Device: clientinfo.DeviceMobile, Scene: clientinfo.SceneChat},
		Query:  "from=singlemessage&isappinstalled=0&gdt_vid=wx0abc",
	}
}

func interstitialTap() Request {
	r := wechatItemTap()
	r.Client = clientinfo.Client{App: clientinfo.AppBrowser, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile, Browser: "Chrome"}
	return r
}

func BenchmarkDecideWeChatItem(b *testing.B) {
	tb := mustNew(b)
	r := wechatItemTap()
	b.ReportAllocs()
	for b.Loop() {
		_ = tb.Decide(r)
	}
}

func BenchmarkDecideAndroidInterstitial(b *testing.B) {
	tb := mustNew(b)
	r := interstitialTap()
	b.ReportAllocs()
	for b.Loop() {
		_ = tb.Decide(r)
	}
}

func BenchmarkDecideBuyNowPayParam(b *testing.B) {
	tb := mustLoad(b, "rules.yaml", "forward_params: [gdt_vid]\npay_channel_param: {name: payChannel, values: {wechat: wxpay}}\n")
	r := wechatItemTap()
	r.Overrides = Overrides{BuyNow: true, Quantity: 2}
	b.ReportAllocs()
	for b.Loop() {
		_ = tb.Decide(r)
	}
}

func BenchmarkDecideParallel(b *testing.B) {
	tb := mustNew(b)
	r := wechatItemTap()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = tb.Decide(r)
		}
	})
}

func BenchmarkAllowlistCheck(b *testing.B) {
	a := DefaultAllowlist()
	u := "https://main.m.taobao.com/security-h5-detail/home?id=684473423652&skuId=5046582397777"
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Check(u); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadRules(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecideAllocs holds the hot path to one allocation: the string all
// the decision's URLs share.
func TestDecideAllocs(t *testing.T) {
	tb := mustNew(t)
	for name, r := range map[string]Request{"wechat item": wechatItemTap(), "android interstitial": interstitialTap()} {
		if n := testing.AllocsPerRun(200, func() { _ = tb.Decide(r) }); n > 1 {
			t.Errorf("%s: Decide allocs = %v; want ≤ 1", name, n)
		}
	}
	a := tb.Allowlist()
	if n := testing.AllocsPerRun(200, func() { _ = a.Check("https://item.taobao.com/item.htm?id=1") }); n != 0 {
		t.Errorf("Allowlist.Check allocs = %v; want 0", n)
	}
}
