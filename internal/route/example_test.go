package route_test

import (
	"fmt"
	"strings"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
)

func ExampleTable_Decide() {
	table, err := route.New()
	if err != nil {
		panic(err)
	}
	d := table.Decide(route.Request{
		Entity: resolver.Entity{
			Platform: resolver.PlatformTmall, Kind: resolver.KindItem,
			ID: "684473423652", IDType: resolver.IDItem,
			Params: "id=684473423652&ali_trackid=2:mm_123_456_789",
		},
		Client:    clientinfo.Client{App: clientinfo.AppWeChat, OS: clientinfo.OSiOS, Device: clientinfo.DeviceMobile},
		Overrides: route.Overrides{BuyNow: true, SKU: "5046582397777", Quantity: 2},
		Query:     "from=singlemessage&isappinstalled=0",
	})
	fmt.Println(d.Action, d.Target, d.PayChannel)
	fmt.Println(d.Location)
	// Output:
	// redirect buy_h5 wechat
	// https://buy.m.tmall.com/order/confirmOrderWap.htm?itemId=684473423652&skuId=5046582397777&quantity=2&buyNow=true&ali_trackid=2:mm_123_456_789
}

func ExampleLoad() {
	rules := `
# send iOS Safari straight to the web page, hint WeChat Pay at checkout
routes:
  ios:
    item: redirect item_h5
pay_channel_param: {name: payChannel, values: {wechat: wxpay}}
`
	table, err := route.Load(strings.NewReader(rules), "rules.yaml")
	if err != nil {
		panic(err)
	}
	action, target, _ := table.Route(route.ClassIOS, route.ColItem)
	fmt.Println(action, target)

	_, err = route.Load(strings.NewReader("routes:\n  ios:\n    item: jump item_h5\n"), "bad.yaml")
	fmt.Println(err)
	// Output:
	// redirect item_h5
	// bad.yaml:3: routes.ios.item: unknown action "jump" (valid: redirect, interstitial, guide, json, preview, info)
}

func ExampleAllowlist_Check() {
	a := route.DefaultAllowlist()
	fmt.Println(a.Check("https://item.taobao.com/item.htm?id=1"))
	fmt.Println(a.Check("https://taobao.com.evil.example/"))
	fmt.Println(a.Check("https://taobao.com@evil.example/"))
	// Output:
	// <nil>
	// url not allowed: host "taobao.com.evil.example" is not on the allowlist
	// url not allowed: userinfo (@) in URL
}
