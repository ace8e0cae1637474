package pages

import "github.com/hutong-dev/hutong/resolver"

// infoText is the wording of one info/error kind.
type infoText struct {
	Title, What, Do string
}

// messages is the catalogue of one language. Every field must be set for
// every language (TestCatalogueComplete).
type messages struct {
	// Names of what a link points to, used when the share text had no title.
	Item, Shop, Live, Coupon, Search, Page string
	// Brand names.
	Taobao, Tmall string

	// Interstitial.
	InterLead, OpenApp, InterHint, OpenWeb string
	CopyTpwdLead, CopyLinkLead             string

	// Copy blocks.
	Copy, Copied, CopyFailed string

	// Guide.
	GuideTitle, GuideStep1, GuideStep2 string
	GuideCopyLink, GuideCopyTpwd       string

	// Reasons, in plain words (guide and info pages).
	ReasonDefault, ReasonUnknown, ReasonNotAllowed string
	// The guide of a link with a 淘口令: the token first, the web page next.
	TpwdTitle, TpwdLead, TpwdCopyLead string

	// Preview.
	PreviewDesc, SiteName, Locale string

	// Info pages.
	OpenLink, Code, RequestID, InfoCopyLead string
	Info                                    map[InfoKind]infoText

	// The home page (GET / for a visitor who is not signed in).
	HomeTitle, HomeWhat, HomeDo, HomeSignIn string
}

// kindName is the plain name of what an entity is, for titles.
func (m *messages) kindName(e resolver.Entity) string {
	switch e.Kind {
	case resolver.KindItem:
		return m.Item
	case resolver.KindShop:
		return m.Shop
	case resolver.KindLive:
		return m.Live
	case resolver.KindCoupon:
		return m.Coupon
	case resolver.KindSearch:
		if e.Query != "" {
			return e.Query
		}
		return m.Search
	}
	return m.Page
}

// brand is the marketplace name shown on a page.
func (m *messages) brand(e resolver.Entity) string {
	if e.Platform == resolver.PlatformTmall {
		return m.Tmall
	}
	return m.Taobao
}

// catalogue builds the message catalogue. It is called once by New.
func catalogue() map[Lang]*messages {
	return map[Lang]*messages{
		LangZH: {
			Item: "商品", Shop: "店铺", Live: "直播间", Coupon: "优惠券", Search: "搜索结果", Page: "页面",
			Taobao: "淘宝", Tmall: "天猫",

			InterLead:    "在淘宝 App 中打开，查看详情和下单更方便。",
			OpenApp:      "打开淘宝 App",
			InterHint:    "点按后如果没有打开 App，2 秒后将自动转到网页版。",
			OpenWeb:      "继续访问网页版",
			CopyTpwdLead: "也可以复制淘口令，打开淘宝 App 后会自动识别：",
			CopyLinkLead: "也可以复制链接，稍后在浏览器或淘宝 App 中打开：",

			Copy: "复制", Copied: "已复制", CopyFailed: "复制失败，请长按上面的文字手动复制。",

			GuideTitle:    "请在浏览器中打开",
			GuideStep1:    "点击右上角的 ⋯ 按钮",
			GuideStep2:    "选择「在浏览器打开」",
			GuideCopyLink: "或者复制链接，粘贴到浏览器地址栏：",
			GuideCopyTpwd: "或者复制淘口令，打开淘宝 App 会自动识别：",

			ReasonDefault:    "微信里无法直接打开这个页面。",
			ReasonUnknown:    "我们没能识别这个链接指向的淘宝页面。",
			ReasonNotAllowed: "这个链接指向的网站不在允许跳转的范围内。",

			TpwdTitle:    "复制淘口令，打开淘宝 App",
			TpwdLead:     "微信里无法直接打开淘宝 App。复制下面的淘口令，再打开淘宝 App，就会直接跳到这个页面。",
			TpwdCopyLead: "淘口令：",

			PreviewDesc: "点击在淘宝中查看", SiteName: "淘宝", Locale: "zh_CN",

			OpenLink: "打开链接", Code: "错误代码", RequestID: "请求编号",
			InfoCopyLead: "复制下面的内容，稍后打开：",
			HomeTitle:    "hutong 短链接服务",
			HomeWhat:     "这里是 hutong 短链接服务：把淘宝、天猫链接变成在微信里也能打开的短链接和二维码。",
			HomeDo:       "收到了这里的短链接？直接点开它即可。管理链接请先登录。",
			HomeSignIn:   "登录管理后台",
			Info: map[InfoKind]infoText{
				InfoNotFound:    {"链接不存在", "这个链接不存在，可能是输入有误或已被删除。", "请检查链接是否完整，或向分享者索取新的链接。"},
				InfoExpired:     {"链接已过期", "这个链接已经过了有效期。", "请向分享者索取新的链接。"},
				InfoDisabled:    {"链接已停用", "这个链接已被创建者停用。", "请向分享者索取新的链接。"},
				InfoClickLimit:  {"链接访问次数已满", "这个链接的访问次数已达到上限。", "请向分享者索取新的链接。"},
				InfoBadInput:    {"不是淘宝或天猫链接", "你提供的内容不是淘宝或天猫的链接，也不含淘口令。", "请粘贴淘宝、天猫的商品、店铺或直播链接，或完整的淘口令分享文字。"},
				InfoTooLarge:    {"内容太长", "提交的内容超过了长度限制。", "请只粘贴链接或淘口令本身，不要附带其他文字。"},
				InfoNotAllowed:  {"无法跳转", "这个链接指向的网站不在允许跳转的范围内，为了你的安全，我们不会自动打开它。", "如果你确认它可信，可以复制链接后自行打开。"},
				InfoUnsupported: {"暂时无法直接打开", "我们没能识别这个链接指向的淘宝页面。", "复制下面的内容，打开淘宝 App 或浏览器查看。"},
				InfoTooMany:     {"访问太频繁", "短时间内的访问次数太多了。", "请稍等片刻再试。"},
				InfoInternal:    {"出了点问题", "服务暂时出现故障，这不是你的问题。", "请稍后再试。如果一直出现，请把下面的请求编号告诉我们。"},
			},
		},
		LangEN: {
			Item: "item", Shop: "shop", Live: "live stream", Coupon: "coupon", Search: "search results", Page: "page",
			Taobao: "Taobao", Tmall: "Tmall",

			InterLead:    "Open it in the Taobao app to see the details and order.",
			OpenApp:      "Open in the Taobao app",
			InterHint:    "If the app does not open after you tap, the web page opens in 2 seconds.",
			OpenWeb:      "Continue on the web",
			CopyTpwdLead: "Or copy the Taobao code; the Taobao app picks it up when you open it:",
			CopyLinkLead: "Or copy the link and open it later in a browser or the Taobao app:",

			Copy: "Copy", Copied: "Copied", CopyFailed: "Could not copy. Press and hold the text above to copy it.",

			GuideTitle:    "Open this in your browser",
			GuideStep1:    "Tap the ⋯ button at the top right",
			GuideStep2:    "Choose “Open in Browser”",
			GuideCopyLink: "Or copy the link and paste it into your browser:",
			GuideCopyTpwd: "Or copy the Taobao code; the Taobao app picks it up when you open it:",

			ReasonDefault:    "WeChat cannot open this page directly.",
			ReasonUnknown:    "We could not tell which Taobao page this link points to.",
			ReasonNotAllowed: "This link leads to a site we do not redirect to.",

			TpwdTitle:    "Copy the Taobao code, then open Taobao",
			TpwdLead:     "WeChat cannot open the Taobao app. Copy the code below and open the Taobao app: it takes you straight to this page.",
			TpwdCopyLead: "Taobao code:",

			PreviewDesc: "Tap to view it on Taobao", SiteName: "Taobao", Locale: "en_US",

			OpenLink: "Open the link", Code: "Error code", RequestID: "Request ID",
			InfoCopyLead: "Copy this to open it later:",
			HomeTitle:    "hutong short links",
			HomeWhat:     "This host serves hutong short links: Taobao and Tmall links turned into short links and QR codes that open inside WeChat.",
			HomeDo:       "Got a short link from here? Just open it. To manage links, sign in first.",
			HomeSignIn:   "Sign in",
			Info: map[InfoKind]infoText{
				InfoNotFound:    {"Link not found", "This link does not exist. It may be mistyped or it was deleted.", "Check that the link is complete, or ask the person who shared it for a new one."},
				InfoExpired:     {"Link expired", "This link has expired.", "Ask the person who shared it for a new one."},
				InfoDisabled:    {"Link disabled", "The owner of this link has turned it off.", "Ask the person who shared it for a new one."},
				InfoClickLimit:  {"Link used up", "This link has reached its limit of visits.", "Ask the person who shared it for a new one."},
				InfoBadInput:    {"Not a Taobao or Tmall link", "What you sent is not a Taobao or Tmall link and holds no Taobao code.", "Paste a Taobao or Tmall item, shop or live link, or a whole Taobao share text."},
				InfoTooLarge:    {"Too long", "What you sent is longer than we accept.", "Paste only the link or the Taobao code, without other text."},
				InfoNotAllowed:  {"We can't take you there", "This link leads to a site outside the list we redirect to, so for your safety we won't open it.", "If you trust it, copy the link and open it yourself."},
				InfoUnsupported: {"Can't open this directly", "We could not tell which Taobao page this link points to.", "Copy the text below and open it in the Taobao app or a browser."},
				InfoTooMany:     {"Too many requests", "There were too many visits in a short time.", "Wait a moment and try again."},
				InfoInternal:    {"Something went wrong", "The service had a problem. It is not your fault.", "Try again later. If it keeps happening, tell us the request ID below."},
			},
		},
	}
}
