package route

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/resolver"
)

// clients has one representative client per class, plus variants.
var clients = map[string]clientinfo.Client{
	"bot":                {UA: "facebookexternalhit/1.1", App: clientinfo.AppBot, Device: clientinfo.DeviceBot, Bot: true},
	"wechat-miniprogram": {App: clientinfo.AppWeChatMiniProgram, OS: clientinfo.OSiOS, Device: clientinfo.DeviceMobile, Scene: clientinfo.SceneMiniProgram},
	"wechat-desktop":     {App: clientinfo.AppWeChatDesktop, OS: clientinfo.OSWindows, Device: clientinfo.DeviceDesktop},
	"wechat":             {App: clientinfo.AppWeChat, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile, Scene: clientinfo.SceneGroup},
	"wecom":              {App: clientinfo.AppWeCom, OS: clientinfo.OSiOS, Device: clientinfo.DeviceMobile},
	"taobao":             {App: clientinfo.AppTaobao, OS: clientinfo.OSiOS, Device: clientinfo.DeviceMobile},
	"tmall":              {App: clientinfo.AppTmall, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile},
	"alipay":             {App: clientinfo.AppAlipay, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile},
	"desktop":            {App: clientinfo.AppBrowser, OS: clientinfo.OSMacOS, Device: clientinfo.DeviceDesktop, Browser: "Safari"},
	"inapp":              {App: clientinfo.AppWeibo, OS: clientinfo.OSiOS, Device: clientinfo.DeviceMobile},
	"ios":                {App: clientinfo.AppBrowser, OS: clientinfo.OSiOS, Device: clientinfo.DeviceMobile, Browser: "Safari"},
	"android":            {App: clientinfo.AppBrowser, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile, Browser: "Chrome"},
	"android-firefox":    {App: clientinfo.AppBrowser, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile, Browser: "Firefox"},
	"other":              {},
}

// entities has one entity per column (overrides for buy_now).
var entities = map[Column]Request{
	ColItem:   {Entity: resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindItem, ID: "1001", IDType: resolver.IDItem}},
	ColBuyNow: {Entity: resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindItem, ID: "1001", IDType: resolver.IDItem}, Overrides: Overrides{BuyNow: true, SKU: "2002", Quantity: 3}},
	ColShop:   {Entity: resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindShop, ID: "3003", IDType: resolver.IDShop}},
	ColLive:   {Entity: resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindLive, ID: "4004", IDType: resolver.IDLive}},
	ColSearch: {Entity: resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindSearch, Query: "连衣裙 red&x=1", IDType: resolver.IDNone}},
	ColCoupon: {Entity: resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindCoupon, IDType: resolver.IDNone,
		Canonical: "https://uland.taobao.com/coupon/edetail?e=abc%3D&pid=mm_1_2_3", Params: "e=abc%3D&pid=mm_1_2_3"}},
	ColShort:    {Entity: resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindShort, ID: "ZcL9ab", IDType: resolver.IDShortCode, URL: "https://m.tb.cn/h.ZcL9ab"}},
	ColPassword: {Entity: resolver.Entity{Platform: resolver.PlatformUnknown, Kind: resolver.KindPassword, ID: "AbCd1234", IDType: resolver.IDTpwd, Tpwd: "AbCd1234"}},
	ColUnknown:  {Entity: resolver.Entity{Platform: resolver.PlatformUnknown, Kind: resolver.KindUnknown, IDType: resolver.IDNone, URL: "https://example.com/x"}},
}

// pageURLs are the expected URLs of each target for the entities above.
var pageURLs = map[string]string{
	"item_h5":     "https://main.m.taobao.com/security-h5-detail/home?id=1001",
	"item_pc":     "https://item.taobao.com/item.htm?id=1001",
	"buy_h5":      "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&skuId=2002&quantity=3&buyNow=true",
	"buy:item_h5": "https://main.m.taobao.com/security-h5-detail/home?id=1001&skuId=2002",
	"buy:item_pc": "https://item.taobao.com/item.htm?id=1001&skuId=2002",
	"shop_h5":     "https://shop.m.taobao.com/shop/shop_index.htm?shop_id=3003",
	"shop_pc":     "https://shop3003.taobao.com/",
	"live_h5":     "https://h5.m.taobao.com/taolive/video.html?id=4004",
	"live_pc":     "https://tbzb.taobao.com/live?liveId=4004",
	"search_h5":   "https://s.m.taobao.com/h5?q=%E8%BF%9E%E8%A1%A3%E8%A3%99%20red%26x%3D1",
	"search_pc":   "https://s.taobao.com/search?q=%E8%BF%9E%E8%A1%A3%E8%A3%99%20red%26x%3D1",
	"coupon":      "https://uland.taobao.com/coupon/edetail?e=abc%3D&pid=mm_1_2_3",
}

// wantTable is ROUTING.md's default routing table, extended to search,
// coupon, short, password and the "other" class: "ACTION [TARGET]".
var wantTable = map[string][numColumns]string{
	//                   item                     buy_now                   shop                      live                      search                      coupon                   short    password  unknown
	"wechat":             {"redirect item_h5", "redirect buy_h5", "redirect shop_h5", "redirect live_h5", "redirect search_h5", "redirect coupon", "guide", "guide", "guide"},
	"wecom":              {"redirect item_h5", "redirect buy_h5", "redirect shop_h5", "redirect live_h5", "redirect search_h5", "redirect coupon", "guide", "guide", "guide"},
	"wechat-miniprogram": {"json item_h5", "json buy_h5", "json shop_h5", "json live_h5", "json search_h5", "json coupon", "json", "json", "json"},
	"wechat-desktop":     {"redirect item_pc", "redirect item_pc", "redirect shop_pc", "redirect live_pc", "redirect search_pc", "redirect coupon", "guide", "guide", "guide"},
	"taobao":             {"redirect item_h5", "redirect buy_h5", "redirect shop_h5", "redirect live_h5", "redirect search_h5", "redirect coupon", "info", "info", "info"},
	"tmall":              {"redirect item_h5", "redirect buy_h5", "redirect shop_h5", "redirect live_h5", "redirect search_h5", "redirect coupon", "info", "info", "info"},
	"alipay":             {"redirect item_h5", "redirect buy_h5", "redirect shop_h5", "redirect live_h5", "redirect search_h5", "redirect coupon", "info", "info", "info"},
	"inapp":              {"interstitial item_h5", "interstitial buy_h5", "interstitial shop_h5", "interstitial live_h5", "interstitial search_h5", "interstitial coupon", "info", "info", "info"},
	"ios":                {"interstitial item_h5", "interstitial buy_h5", "interstitial shop_h5", "interstitial live_h5", "interstitial search_h5", "interstitial coupon", "info", "info", "info"},
	"android":            {"interstitial item_h5", "interstitial buy_h5", "interstitial shop_h5", "interstitial live_h5", "interstitial search_h5", "interstitial coupon", "info", "info", "info"},
	"android-firefox":    {"interstitial item_h5", "interstitial buy_h5", "interstitial shop_h5", "interstitial live_h5", "interstitial search_h5", "interstitial coupon", "info", "info", "info"},
	"desktop":            {"redirect item_pc", "redirect item_pc", "redirect shop_pc", "redirect live_pc", "redirect search_pc", "redirect coupon", "info", "info", "info"},
	"bot":                {"preview item_pc", "preview item_pc", "preview shop_pc", "preview live_pc", "preview search_pc", "preview coupon", "preview", "preview", "preview"},
	"other":              {"redirect item_h5", "redirect buy_h5", "redirect shop_h5", "redirect live_h5", "redirect search_h5", "redirect coupon", "info", "info", "info"},
}

func TestDefaultTable(t *testing.T) {
	tb := mustNew(t)
	for clientName, row := range wantTable {
		client, ok := clients[clientName]
		if !ok {
			t.Fatalf("no client %q", clientName)
		}
		for coli, want := range row {
			col := columns[coli]
			t.Run(clientName+"/"+string(col), func(t *testing.T) {
				r := entities[col]
				r.Client = client
				d := tb.Decide(r)
				wantAction, wantTarget, _ := strings.Cut(want, " ")
				if string(d.Action) != wantAction || d.Target != wantTarget {
					t.Fatalf("got %s %s; want %s (decision %+v)", d.Action, d.Target, want, d)
				}
				key := wantTarget
				if col == ColBuyNow && wantTarget != "buy_h5" {
					key = "buy:" + wantTarget
				}
				if wantURL := pageURLs[key]; d.Location != wantURL {
					t.Errorf("Location: got %q; want %q", d.Location, wantURL)
				}
				if d.Location != "" {
					if err := tb.Allowlist().Check(d.Location); err != nil {
						t.Errorf("Location %q: %v", d.Location, err)
					}
				}
				// App URLs only behind an interstitial; intent only for Chrome on Android.
				if d.Action == ActionInterstitial {
					wantApp := "tbopen://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&bootImage=0&h5Url=" + url.QueryEscape(d.Location)
					if d.AppURL != wantApp {
						t.Errorf("AppURL: got %q; want %q", d.AppURL, wantApp)
					}
					if clientName == "android" {
						if !strings.HasPrefix(d.IntentURL, "intent://") || !strings.HasSuffix(d.IntentURL, "S.browser_fallback_url="+url.QueryEscape(d.Location)+";end") {
							t.Errorf("IntentURL: got %q; want intent:// with fallback %s", d.IntentURL, d.Location)
						}
					} else if d.IntentURL != "" {
						t.Errorf("IntentURL: got %q; want none for %s", d.IntentURL, clientName)
					}
				} else if d.AppURL != "" || d.IntentURL != "" {
					t.Errorf("got AppURL %q IntentURL %q; want none for %s", d.AppURL, d.IntentURL, d.Action)
				}
				switch col {
				case ColShort, ColPassword, ColUnknown:
					if d.Reason == "" && d.Action != ActionJSON && d.Action != ActionPreview {
						t.Errorf("got no Reason for %s", d.Action)
					}
					wantCopy := map[Column]string{ColShort: "https://m.tb.cn/h.ZcL9ab", ColPassword: "AbCd1234", ColUnknown: "https://example.com/x"}[col]
					if d.Copy != wantCopy {
						t.Errorf("Copy: got %q; want %q", d.Copy, wantCopy)
					}
				default:
					if d.H5 == "" || d.PC == "" {
						t.Errorf("got H5 %q PC %q; want both", d.H5, d.PC)
					}
				}
				if string(d.Class) != strings.TrimSuffix(strings.NewReplacer("wecom", "wechat", "tmall", "taobao").Replace(clientName), "-firefox") {
					t.Errorf("Class: got %q for client %s", d.Class, clientName)
				}
			})
		}
	}
}

func TestTableComplete(t *testing.T) {
	tb := mustNew(t)
	for _, c := range Classes() {
		for _, col := range Columns() {
			a, _, ok := tb.Route(c, col)
			if !ok || a == "" {
				t.Errorf("Route(%s, %s): got %q %v; want a route", c, col, a, ok)
			}
		}
	}
	if _, _, ok := tb.Route("nope", ColItem); ok {
		t.Errorf("Route(nope): got ok; want not ok")
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		name   string
		client clientinfo.Client
		want   Class
	}{
		{"zero", clientinfo.Client{}, ClassOther},
		{"bot flag wins over app", clientinfo.Client{App: clientinfo.AppWeChat, Bot: true}, ClassBot},
		{"wecom", clientinfo.Client{App: clientinfo.AppWeCom}, ClassWeChat},
		{"mini program", clientinfo.Client{App: clientinfo.AppWeChatMiniProgram, OS: clientinfo.OSAndroid}, ClassMiniProgram},
		{"wechat desktop", clientinfo.Client{App: clientinfo.AppWeChatDesktop, OS: clientinfo.OSMacOS, Device: clientinfo.DeviceDesktop}, ClassWeChatPC},
		{"tmall app", clientinfo.Client{App: clientinfo.AppTmall}, ClassTaobao},
		{"dingtalk on desktop", clientinfo.Client{App: clientinfo.AppDingTalk, OS: clientinfo.OSWindows, Device: clientinfo.DeviceDesktop}, ClassDesktop},
		{"dingtalk on phone", clientinfo.Client{App: clientinfo.AppDingTalk, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile}, ClassInApp},
		{"qq", clientinfo.Client{App: clientinfo.AppQQ, OS: clientinfo.OSiOS, Device: clientinfo.DeviceMobile}, ClassInApp},
		{"douyin", clientinfo.Client{App: clientinfo.AppDouyin, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile}, ClassInApp},
		{"uc", clientinfo.Client{App: clientinfo.AppUC, OS: clientinfo.OSAndroid, Device: clientinfo.DeviceMobile}, ClassInApp},
		{"ipad", clientinfo.Client{App: clientinfo.AppBrowser, OS: clientinfo.OSiOS, Device: clientinfo.DeviceTablet}, ClassIOS},
		{"harmonyos", clientinfo.Client{App: clientinfo.AppBrowser, OS: clientinfo.OSHarmonyOS, Device: clientinfo.DeviceMobile}, ClassAndroid},
		{"linux no device", clientinfo.Client{App: clientinfo.AppBrowser, OS: clientinfo.OSLinux}, ClassDesktop},
		{"other os phone", clientinfo.Client{App: clientinfo.AppBrowser, OS: clientinfo.OSOther, Device: clientinfo.DeviceMobile}, ClassOther},
	}
	for _, tt := range tests {
		if got := ClassOf(tt.client); got != tt.want {
			t.Errorf("%s: ClassOf = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestPayChannelOnBuyNow(t *testing.T) {
	tb := mustNew(t)
	tests := []struct {
		client string
		want   string
	}{
		{"wechat", PayWeChat}, {"wecom", PayWeChat}, {"wechat-miniprogram", PayWeChat}, {"wechat-desktop", PayWeChat},
		{"alipay", PayAlipay}, {"taobao", PayAlipay}, {"tmall", PayAlipay},
		{"ios", ""}, {"android", ""}, {"inapp", ""}, {"desktop", ""}, {"bot", ""}, {"other", ""},
	}
	for _, tt := range tests {
		r := entities[ColBuyNow]
		r.Client = clients[tt.client]
		if d := tb.Decide(r); d.PayChannel != tt.want {
			t.Errorf("%s: PayChannel = %q; want %q", tt.client, d.PayChannel, tt.want)
		}
	}
}

func TestPayChannelParam(t *testing.T) {
	tb := mustLoad(t, "pay.yaml", "pay_channel_param:\n  name: payChannel\n  values: {wechat: wxpay, alipay: alipay}\n")
	tpl := mustLoad(t, "pay.yaml", `templates: {buy_h5: "https://h5.m.taobao.com/awp/base/order.htm?itemId={id}&quantity={qty}[&channel={pay_channel}]"}`)
	tests := []struct {
		name   string
		table  *Table
		client string
		want   string
	}{
		{"wechat gets wxpay", tb, "wechat", "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&skuId=2002&quantity=3&buyNow=true&payChannel=wxpay"},
		{"alipay gets alipay", tb, "alipay", "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&skuId=2002&quantity=3&buyNow=true&payChannel=alipay"},
		{"ios browser gets none", tb, "ios", "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&skuId=2002&quantity=3&buyNow=true"},
		{"placeholder wechat", tpl, "wechat", "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&quantity=3&channel=wechat"},
		{"placeholder empty", tpl, "other", "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&quantity=3"},
	}
	for _, tt := range tests {
		r := entities[ColBuyNow]
		r.Client = clients[tt.client]
		d := tt.table.Decide(r)
		if d.Location != tt.want {
			t.Errorf("%s: Location = %q; want %q", tt.name, d.Location, tt.want)
		}
		if strings.Contains(d.H5, "payChannel") || strings.Contains(d.PC, "payChannel") {
			t.Errorf("%s: pay parameter on a non-checkout page: H5 %q PC %q", tt.name, d.H5, d.PC)
		}
	}
}

func TestOverrides(t *testing.T) {
	tb := mustNew(t)
	noCheckout := mustLoad(t, "r.yaml", "no_checkout: true")
	preferWeb := mustLoad(t, "r.yaml", "prefer_web: true")
	item := entities[ColItem]
	buy := entities[ColBuyNow]
	tmallBuy := buy
	tmallBuy.Entity.Platform = resolver.PlatformTmall
	skuInEntity := item
	skuInEntity.Entity.SKU = "777"
	skuInEntity.Overrides = Overrides{BuyNow: true}
	tests := []struct {
		name       string
		table      *Table
		req        Request
		client     string
		over       Overrides
		wantAction Action
		wantTarget string
		wantLoc    string
	}{
		{"prefer web per link", tb, item, "ios", Overrides{PreferWeb: true}, ActionRedirect, "item_h5", pageURLs["item_h5"]},
		{"prefer web global", preferWeb, item, "android", Overrides{}, ActionRedirect, "item_h5", pageURLs["item_h5"]},
		{"prefer web leaves wechat alone", tb, item, "wechat", Overrides{PreferWeb: true}, ActionRedirect, "item_h5", pageURLs["item_h5"]},
		{"desktop url on desktop", tb, item, "desktop", Overrides{DesktopURL: "https://pages.tmall.com/wow/a/act/tmall/dailygroup/1"}, ActionRedirect, "desktop_url", "https://pages.tmall.com/wow/a/act/tmall/dailygroup/1"},
		{"desktop url on wechat desktop", tb, item, "wechat-desktop", Overrides{DesktopURL: "https://www.tmall.com/"}, ActionRedirect, "desktop_url", "https://www.tmall.com/"},
		{"desktop url ignored on phone", tb, item, "wechat", Overrides{DesktopURL: "https://www.tmall.com/"}, ActionRedirect, "item_h5", pageURLs["item_h5"]},
		{"desktop url off the allowlist", tb, item, "desktop", Overrides{DesktopURL: "https://evil.example/"}, ActionInfo, "", ""},
		{"desktop url javascript", tb, item, "desktop", Overrides{DesktopURL: "javascript:alert(1)"}, ActionInfo, "", ""},
		{"buy now with sku and qty", tb, buy, "wechat", buy.Overrides, ActionRedirect, "buy_h5", pageURLs["buy_h5"]},
		{"buy now tmall checkout", tb, tmallBuy, "wechat", buy.Overrides, ActionRedirect, "buy_h5", "https://buy.m.tmall.com/order/confirmOrderWap.htm?itemId=1001&skuId=2002&quantity=3&buyNow=true"},
		{"buy now without qty is 1, sku from entity", tb, skuInEntity, "alipay", skuInEntity.Overrides, ActionRedirect, "buy_h5", "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&skuId=777&quantity=1&buyNow=true"},
		{"buy now without any sku", tb, item, "wechat", Overrides{BuyNow: true}, ActionRedirect, "buy_h5", "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&quantity=1&buyNow=true"},
		{"no checkout per link", tb, buy, "wechat", Overrides{BuyNow: true, SKU: "2002", NoCheckout: true}, ActionRedirect, "item_h5", pageURLs["buy:item_h5"]},
		{"no checkout global", noCheckout, buy, "alipay", buy.Overrides, ActionRedirect, "item_h5", pageURLs["buy:item_h5"]},
		{"no checkout interstitial", noCheckout, buy, "ios", buy.Overrides, ActionInterstitial, "item_h5", pageURLs["buy:item_h5"]},
		{"desktop buy now gets item pc with sku", tb, buy, "desktop", buy.Overrides, ActionRedirect, "item_pc", pageURLs["buy:item_pc"]},
		{"bad sku override falls back", tb, skuInEntity, "wechat", Overrides{BuyNow: true, SKU: "1&x=2"}, ActionRedirect, "buy_h5", "https://h5.m.taobao.com/awp/base/order.htm?itemId=1001&skuId=777&quantity=1&buyNow=true"},
	}
	for _, tt := range tests {
		r := tt.req
		r.Client = clients[tt.client]
		r.Overrides = tt.over
		d := tt.table.Decide(r)
		if d.Action != tt.wantAction || d.Target != tt.wantTarget || d.Location != tt.wantLoc {
			t.Errorf("%s: got %s %s %q; want %s %s %q", tt.name, d.Action, d.Target, d.Location, tt.wantAction, tt.wantTarget, tt.wantLoc)
		}
		if d.Action == ActionInfo && d.Reason == "" {
			t.Errorf("%s: got info without a Reason", tt.name)
		}
		if r.Overrides.BuyNow && (d.SKU == "" || d.Quantity < 1) && tt.name != "buy now without any sku" {
			t.Errorf("%s: got SKU %q Quantity %d; want both on a buy-now decision", tt.name, d.SKU, d.Quantity)
		}
		if d.Action == ActionRedirect && d.AppURL != "" {
			t.Errorf("%s: got AppURL %q on a redirect", tt.name, d.AppURL)
		}
	}
}

func TestEntityVariants(t *testing.T) {
	tb := mustNew(t)
	wechat, desktop := clients["wechat"], clients["desktop"]
	tests := []struct {
		name    string
		entity  resolver.Entity
		client  clientinfo.Client
		wantLoc string
		wantPC  string
	}{
		{"tmall item", resolver.Entity{Platform: resolver.PlatformTmall, Kind: resolver.KindItem, ID: "5", IDType: resolver.IDItem, SKU: "6"}, wechat,
			"https://detail.m.tmall.com/item.htm?id=5&skuId=6", "https://detail.tmall.com/item.htm?id=5&skuId=6"},
		{"taobao shop by seller", resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindShop, ID: "77", IDType: resolver.IDSeller}, wechat,
			"https://shop.m.taobao.com/shop/shop_index.htm?user_id=77", "https://store.taobao.com/shop/view_shop.htm?user_number_id=77"},
		{"taobao shop by domain", resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindShop, ID: "coolshop", IDType: resolver.IDShopDomain}, desktop,
			"https://coolshop.taobao.com/", "https://coolshop.taobao.com/"},
		{"tmall shop by domain", resolver.Entity{Platform: resolver.PlatformTmall, Kind: resolver.KindShop, ID: "nike", IDType: resolver.IDShopDomain}, desktop,
			"https://nike.tmall.com/", "https://nike.tmall.com/"},
		{"tmall shop domain given whole", resolver.Entity{Platform: resolver.PlatformTmall, Kind: resolver.KindShop, ID: "nike.tmall.com", IDType: resolver.IDShopDomain}, wechat,
			"https://nike.tmall.com/", "https://nike.tmall.com/"},
		{"tmall shop by id and seller", resolver.Entity{Platform: resolver.PlatformTmall, Kind: resolver.KindShop, ID: "9", IDType: resolver.IDShop, SellerID: "10"}, desktop,
			"https://shop9.taobao.com/", "https://shop9.taobao.com/"},
		{"tmall search", resolver.Entity{Platform: resolver.PlatformTmall, Kind: resolver.KindSearch, Query: "a b"}, desktop,
			"https://list.tmall.com/search_product.htm?q=a%20b", "https://list.tmall.com/search_product.htm?q=a%20b"},
		{"coupon without canonical", resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindCoupon, ActivityID: "abc123", Params: "e=xyz&pid=mm_1"}, wechat,
			"https://uland.taobao.com/coupon/edetail?activityId=abc123&e=xyz&pid=mm_1", "https://uland.taobao.com/coupon/edetail?activityId=abc123&e=xyz&pid=mm_1"},
	}
	for _, tt := range tests {
		d := tb.Decide(Request{Entity: tt.entity, Client: tt.client})
		if d.Location != tt.wantLoc || d.PC != tt.wantPC {
			t.Errorf("%s: got Location %q PC %q; want %q %q", tt.name, d.Location, d.PC, tt.wantLoc, tt.wantPC)
		}
	}
}

func TestUnsafeEntities(t *testing.T) {
	tb := mustNew(t)
	tests := []struct {
		name   string
		entity resolver.Entity
		want   Action
	}{
		{"item without id", resolver.Entity{Kind: resolver.KindItem}, ActionGuide},
		{"item id injecting a host", resolver.Entity{Kind: resolver.KindItem, ID: "1@evil.example/"}, ActionInfo},
		{"shop domain injecting a host", resolver.Entity{Kind: resolver.KindShop, ID: "evil.example/x", IDType: resolver.IDShopDomain}, ActionInfo},
		{"shop domain with slash", resolver.Entity{Kind: resolver.KindShop, ID: "a/b", IDType: resolver.IDShopDomain}, ActionInfo},
		{"coupon canonical off the list", resolver.Entity{Kind: resolver.KindCoupon, Canonical: "https://evil.example/?e=1"}, ActionInfo},
		{"coupon canonical javascript", resolver.Entity{Kind: resolver.KindCoupon, Canonical: "javascript:alert(1)"}, ActionInfo},
		{"search without keyword", resolver.Entity{Kind: resolver.KindSearch}, ActionGuide},
	}
	for _, tt := range tests {
		d := tb.Decide(Request{Entity: tt.entity, Client: clients["wechat"]})
		if d.Action != tt.want || d.Location != "" || d.Reason == "" {
			t.Errorf("%s: got %s %q reason %q; want %s, no Location, a Reason", tt.name, d.Action, d.Location, d.Reason, tt.want)
		}
	}
}

func TestParameterPolicy(t *testing.T) {
	tb := mustNew(t)
	fwd := mustLoad(t, "fwd.yaml", "forward_params: [gdt_vid, \"utm_*\"]\nstrip_params: [spm]\n")
	strip := mustLoad(t, "strip.yaml", "strip_sharer: true\n")
	const aff = "ali_trackid=2:mm_123_456_789:1700000000_1_1&union_lens=lensId%3AOPT%401700000000&pid=mm_1_2_3&relationId=42&e=a%2Bb"
	base := "https://main.m.taobao.com/security-h5-detail/home?id=1001"
	tests := []struct {
		name    string
		table   *Table
		params  string
		forward string
		query   string
		want    string
	}{
		{"affiliate kept verbatim", tb, "id=1001&" + aff, "", "", base + "&" + aff},
		{"from and isappinstalled never pass", tb, "id=1001&from=singlemessage&isappinstalled=1&pid=mm_1", "from=timeline&isappinstalled=0&utm_source=wx", "from=groupmessage&isappinstalled=0", base + "&pid=mm_1&utm_source=wx"},
		{"click ids not forwarded by default", tb, "", "", "gdt_vid=abc&qz_gdt=q&utm_source=x", base},
		{"click ids forwarded when configured", fwd, "", "", "gdt_vid=abc&qz_gdt=q&utm_source=x&utm_medium=y&from=singlemessage", base + "&gdt_vid=abc&utm_source=x&utm_medium=y"},
		{"caller forward always passes", tb, "", "bd_vid=b1&click_id=c1", "", base + "&bd_vid=b1&click_id=c1"},
		{"identity left to the template", tb, "id=9999&skuId=1&itemId=3&quantity=2&shop_id=4&user_id=5&liveId=6", "", "", base},
		{"no duplicate of template params", tb, "", "id=5&x=1&x=2", "", base + "&x=1"},
		{"first source wins", fwd, "pid=mm_1", "pid=mm_2&utm_source=a", "utm_source=b", base + "&pid=mm_1&utm_source=a"},
		{"strip_params", fwd, "spm=a1z10&pid=mm_1", "", "", base + "&pid=mm_1"},
		{"sharer kept by default", tb, "tk=abc&sp_tk=QUJD&un=u1&bxsign=scdXYZ", "", "", base + "&tk=abc&sp_tk=QUJD&un=u1&bxsign=scdXYZ"},
		{"sharer stripped when set, affiliate bxsign kept", strip, "tk=abc&sp_tk=QUJD&un=u1&share_crt_v=1&shareUniqueId=9&suid=s&ut_sk=1.x&wxsign=w&bxsign=scdXYZ&pid=mm_1", "", "", base + "&pid=mm_1"},
		{"affiliate bxsign kept when sharer stripped", strip, "bxsign=tbkABC", "", "", base + "&bxsign=tbkABC"},
		{"encoded newline pair dropped", tb, "pid=mm_1&x=a%0d%0aSet-Cookie:1", "y=%00", "", base + "&pid=mm_1"},
		{"unsafe bytes escaped", tb, "a=b c#d&q=\"<x>\"", "", "", base + "&a=b%20c%23d&q=%22%3Cx%3E%22"},
		{"stray percent escaped", tb, "a=100%", "", "", base + "&a=100%25"},
		{"empty keys skipped", tb, "=x&&pid=1", "", "", base + "&pid=1"},
	}
	for _, tt := range tests {
		r := entities[ColItem]
		r.Entity.Params, r.Forward, r.Query = tt.params, tt.forward, tt.query
		r.Client = clients["wechat"]
		d := tt.table.Decide(r)
		if d.Location != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, d.Location, tt.want)
		}
		if d.Action != ActionRedirect {
			t.Errorf("%s: got %s (%s); want redirect", tt.name, d.Action, d.Reason)
		}
		if _, err := url.Parse(d.Location); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestParamsWithFragmentTemplate(t *testing.T) {
	tb := mustLoad(t, "frag.yaml", `templates: {item_h5: "https://h5.m.taobao.com/app/detail#id={id}", tmall: {item_h5: "https://detail.m.tmall.com/item.htm#x"}}`)
	r := entities[ColItem]
	r.Entity.Params = "pid=mm_1"
	r.Client = clients["wechat"]
	if d := tb.Decide(r); d.Location != "https://h5.m.taobao.com/app/detail?pid=mm_1#id=1001" {
		t.Errorf("got %q; want params before the fragment", d.Location)
	}
	r.Entity.Platform = resolver.PlatformTmall
	if d := tb.Decide(r); d.Location != "https://detail.m.tmall.com/item.htm?pid=mm_1#x" {
		t.Errorf("got %q; want params before the fragment", d.Location)
	}
}

func TestMiniProgramBuyNowJSON(t *testing.T) {
	tb := mustNew(t)
	r := entities[ColBuyNow]
	r.Client = clients["wechat-miniprogram"]
	d := tb.Decide(r)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"json","target":"buy_h5","location":"` + pageURLs["buy_h5"] + `","h5":"` + pageURLs["buy:item_h5"] + `","pc":"` + pageURLs["buy:item_pc"] + `","sku":"2002","quantity":3,"pay_channel":"wechat","class":"wechat-miniprogram"}`
	if got := strings.ReplaceAll(string(b), `\u0026`, "&"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
