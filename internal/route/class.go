package route

import (
	"strings"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/resolver"
)

// Class is a row of the routing table: a family of clients that are routed
// alike. Names are the keys of the rules file's routes section.
type Class string

// Client classes, in the order ClassOf tests them.
const (
	ClassBot         Class = "bot"                // link-preview bots → OG preview
	ClassMiniProgram Class = "wechat-miniprogram" // mini-program web-view → JSON
	ClassWeChatPC    Class = "wechat-desktop"     // WeChat for Windows/macOS → PC pages
	ClassWeChat      Class = "wechat"             // WeChat in-app browser and WeCom
	ClassTaobao      Class = "taobao"             // Taobao and Tmall apps
	ClassAlipay      Class = "alipay"             // Alipay
	ClassDesktop     Class = "desktop"            // any desktop browser or desktop app
	ClassInApp       Class = "inapp"              // other in-app browsers: QQ, Weibo, Douyin, DingTalk, UC, Baidu, …
	ClassIOS         Class = "ios"                // iOS/iPadOS browsers
	ClassAndroid     Class = "android"            // Android and HarmonyOS browsers
	ClassOther       Class = "other"              // anything else (unknown OS or device)
)

// classes lists every Class; its index is the Class's row in a Table.
var classes = [...]Class{ClassBot, ClassMiniProgram, ClassWeChatPC, ClassWeChat, ClassTaobao, ClassAlipay, ClassDesktop, ClassInApp, ClassIOS, ClassAndroid, ClassOther}

const numClasses = len(classes)

// Classes returns every client class.
func Classes() []Class { return append([]Class(nil), classes[:]...) }

func classIndex(c Class) int {
	for i, x := range classes {
		if x == c {
			return i
		}
	}
	return -1
}

// ClassOf returns the routing class of a client: bots first, then the
// WeChat family (mini program, desktop, in-app and WeCom), Taobao/Tmall,
// Alipay, then desktop devices, other in-app browsers, and the OS.
func ClassOf(c clientinfo.Client) Class {
	if c.Bot || c.App == clientinfo.AppBot || c.Device == clientinfo.DeviceBot {
		return ClassBot
	}
	switch c.App {
	case clientinfo.AppWeChatMiniProgram:
		return ClassMiniProgram
	case clientinfo.AppWeChatDesktop:
		return ClassWeChatPC
	case clientinfo.AppWeChat, clientinfo.AppWeCom:
		return ClassWeChat
	case clientinfo.AppTaobao, clientinfo.AppTmall:
		return ClassTaobao
	case clientinfo.AppAlipay:
		return ClassAlipay
	}
	if c.Device == clientinfo.DeviceDesktop {
		return ClassDesktop
	}
	switch c.App {
	case clientinfo.AppDingTalk, clientinfo.AppQQ, clientinfo.AppQQBrowser, clientinfo.AppWeibo,
		clientinfo.AppDouyin, clientinfo.AppUC, clientinfo.AppBaidu:
		return ClassInApp
	}
	switch c.OS {
	case clientinfo.OSiOS:
		return ClassIOS
	case clientinfo.OSAndroid, clientinfo.OSHarmonyOS:
		return ClassAndroid
	case clientinfo.OSWindows, clientinfo.OSMacOS, clientinfo.OSLinux:
		if c.Device == "" {
			return ClassDesktop
		}
	}
	return ClassOther
}

// PayChannelOf returns the pay channel of a client (ROUTING.md, "Paying
// with WeChat Pay"): PayWeChat for the WeChat family, PayAlipay for Alipay,
// Taobao and Tmall, empty otherwise.
func PayChannelOf(c clientinfo.Client) string {
	if c.WeChatFamily() {
		return PayWeChat
	}
	switch c.App {
	case clientinfo.AppAlipay, clientinfo.AppTaobao, clientinfo.AppTmall:
		return PayAlipay
	}
	return ""
}

// Column is a column of the routing table: what was tapped. Names are the
// keys under each class in the rules file's routes section.
type Column string

// Columns.
const (
	ColItem     Column = "item"     // an item
	ColBuyNow   Column = "buy_now"  // an item with Overrides.BuyNow
	ColShop     Column = "shop"     // a shop (shop_id, seller_id or domain)
	ColLive     Column = "live"     // a live room
	ColSearch   Column = "search"   // a search page
	ColCoupon   Column = "coupon"   // a uland / s.click coupon or affiliate link
	ColShort    Column = "short"    // a short link the caller could not expand
	ColPassword Column = "password" // a bare 淘口令 token
	ColUnknown  Column = "unknown"  // anything else, or an entity without its id
)

var columns = [...]Column{ColItem, ColBuyNow, ColShop, ColLive, ColSearch, ColCoupon, ColShort, ColPassword, ColUnknown}

const numColumns = len(columns)

// Columns returns every column.
func Columns() []Column { return append([]Column(nil), columns[:]...) }

func columnIndex(c Column) int {
	for i, x := range columns {
		if x == c {
			return i
		}
	}
	return -1
}

// ColumnOf returns the column of an entity: its kind, with buy-now items in
// ColBuyNow and entities missing what their kind needs (an item without
// id, a search without keyword, …) in ColUnknown.
func ColumnOf(e resolver.Entity, o Overrides) Column {
	switch e.Kind {
	case resolver.KindItem:
		if e.ID == "" {
			return ColUnknown
		}
		if o.BuyNow {
			return ColBuyNow
		}
		return ColItem
	case resolver.KindShop:
		if e.ID == "" && e.SellerID == "" {
			return ColUnknown
		}
		return ColShop
	case resolver.KindLive:
		if e.ID == "" {
			return ColUnknown
		}
		return ColLive
	case resolver.KindSearch:
		if e.Query == "" {
			return ColUnknown
		}
		return ColSearch
	case resolver.KindCoupon:
		return ColCoupon
	case resolver.KindShort:
		return ColShort
	case resolver.KindPassword:
		return ColPassword
	}
	return ColUnknown
}

// intentBrowser reports whether browser is one of names (case-insensitive).
func intentBrowser(names []string, browser string) bool {
	for _, n := range names {
		if strings.EqualFold(n, browser) {
			return true
		}
	}
	return false
}
