package resolver

import "testing"

// want is the part of an Entity a named case checks; empty strings are
// checked too (they must be empty), except Canonical/Params/Title/Via/SKU
// which are checked only when the case sets check.
type want struct {
	platform Platform
	kind     Kind
	id       string
	idType   IDType
	tpwd     string
	seller   string
	via      string
}

var (
	unknown     = want{PlatformUnknown, KindUnknown, "", IDNone, "", "", ""}
	taobaoPage  = want{PlatformTaobao, KindUnknown, "", IDNone, "", "", ""}
	tmallPage   = want{PlatformTmall, KindUnknown, "", IDNone, "", "", ""}
	item123     = want{PlatformTaobao, KindItem, "123", IDItem, "", "", ""}
	tmallItem   = func(id string) want { return want{PlatformTmall, KindItem, id, IDItem, "", "", ""} }
	taobaoItem  = func(id string) want { return want{PlatformTaobao, KindItem, id, IDItem, "", "", ""} }
	viaItem     = func(p Platform, id, via string) want { return want{p, KindItem, id, IDItem, "", "", via} }
	passwordTok = func(tok string) want { return want{PlatformTaobao, KindPassword, tok, IDTpwd, "", "", ""} }
)

var parseCases = []struct {
	name  string
	input string
	want  want
}{
	// Item pages on every host.
	{"item.taobao.com", "https://item.taobao.com/item.htm?id=123", item123},
	{"item upper-case host and scheme", "HTTPS://ITEM.TAOBAO.COM/item.htm?id=123", item123},
	{"item trailing-dot host", "https://item.taobao.com./item.htm?id=123", item123},
	{"item with port", "https://item.taobao.com:443/item.htm?id=123", item123},
	{"item with userinfo on genuine host", "https://user:pw@item.taobao.com/item.htm?id=123", item123},
	// A scheme URL whose host is glued to non-ASCII text is one URL up to
	// the next space: a "//" in its path is not a second link (a browser
	// would open host 中). FuzzParse found the \xdc form.
	{"host glued to CJK, then a // path", "https://中//item.taobao.com/item.htm?id=123", unknown},
	{"host of an invalid byte, then a // path", "https://\xdc//tAoBAo.Com/item.htm?id=123", unknown},
	// A query glued on twice (share tools, hand-edited links): the id is
	// the number before the second '?'.
	{"item with a query glued on", "https://item.taobao.com/item.htm?id=123?spm=a21n57.1.0.0", item123},
	{"tmall item with a glued query after spm", "https://detail.tmall.com/item.htm?spm=a1z10&id=527?sku_properties=1&skuId=9", tmallItem("527")},
	{"chaoshi.detail.tmall.com", "https://chaoshi.detail.tmall.com/item.htm?id=527", tmallItem("527")},
	{"detail.tmall.hk item.htm", "https://detail.tmall.hk/item.htm?id=88", tmallItem("88")},
	{"market.m.taobao.com itemId", "https://market.m.taobao.com/app/dinamic/h5-tb-detail/index.html?itemId=4242", taobaoItem("4242")},
	{"detail.yao.95095.com", "https://detail.yao.95095.com/item.htm?id=77", tmallItem("77")},
	{"taobao scheme item", "taobao://item.taobao.com/item.htm?id=123", item123},
	{"tmall page.tm itemDetail", "tmall://page.tm/itemDetail?id=555", tmallItem("555")},
	{"bare host in prose", "看看这个 item.taobao.com/item.htm?id=123 不错", item123},
	{"json escaped", `{"url":"https:\/\/item.taobao.com\/item.htm?id=123"}`, item123},
	{"html amp", `<a href="https://item.taobao.com/item.htm?spm=x&amp;id=123">`, item123},
	{"item id not numeric", "https://item.taobao.com/item.htm?id=12a3", taobaoPage},
	{"item without id", "https://item.taobao.com/item.htm", taobaoPage},
	{"https triple slash", "https:///item.taobao.com/item.htm?id=123", unknown},
	{"numbered list prefix", "1.https://item.taobao.com/item.htm?id=123", item123},

	// Shops.
	{"shop.m shop_id", "https://shop.m.taobao.com/shop/shop_index.htm?shop_id=9", want{PlatformTaobao, KindShop, "9", IDShop, "", "", ""}},
	{"store.taobao.com user_number_id", "https://store.taobao.com/shop/view_shop.htm?user_number_id=31", want{PlatformTaobao, KindShop, "31", IDSeller, "", "", ""}},
	{"NAME.tmall.hk", "https://abc.tmall.hk/", want{PlatformTmall, KindShop, "abc", IDShopDomain, "", "", ""}},
	{"NAME.taobao.com with user_id", "https://foo.taobao.com/?user_id=42", want{PlatformTaobao, KindShop, "foo", IDShopDomain, "", "42", ""}},
	{"shopNNN.m.taobao.com is not a shop_id host", "https://shop12.m.taobao.com/", taobaoPage},
	{"world NAME not reserved", "https://world.taobao.com/", taobaoPage},
	{"login is not a shop", "https://login.taobao.com/member/login.jhtml", taobaoPage},
	{"tmall home", "https://www.tmall.com/", tmallPage},
	{"shop sub-domain non-shop path", "https://foo.taobao.com/some/app.htm", taobaoPage},

	// Live rooms.
	{"live.taobao.com live_detail", "https://live.taobao.com/live_detail.htm?liveId=66", want{PlatformTaobao, KindLive, "66", IDLive, "", "", ""}},
	{"taolive video", "https://h5.m.taobao.com/taolive/video.html?id=67", want{PlatformTaobao, KindLive, "67", IDLive, "", "", ""}},
	{"feedId only", "https://h5.m.taobao.com/taolive/video.html?feedId=68", want{PlatformTaobao, KindLive, "68", IDLive, "", "", ""}},
	{"liveId on an activity page", "https://market.m.taobao.com/app/mtb/x/index.html?liveId=69", want{PlatformTaobao, KindLive, "69", IDLive, "", "", ""}},

	// Short links, affiliate and coupon.
	{"c.tb.cn", "https://c.tb.cn/h.abcdef", want{PlatformTaobao, KindShort, "h.abcdef", IDShortCode, "", "", ""}},
	{"m.tb.cn trailing slash", "https://m.tb.cn/h.gU3qZkM/", want{PlatformTaobao, KindShort, "h.gU3qZkM", IDShortCode, "", "", ""}},
	{"m.tb.cn two segments", "https://m.tb.cn/a/b", taobaoPage},
	{"bare m.tb.cn", "复制 m.tb.cn/h.gU3qZkM 打开", want{PlatformTaobao, KindShort, "h.gU3qZkM", IDShortCode, "", "", ""}},
	{"s.click long affiliate", "https://s.click.taobao.com/t?e=m%3D2%26s%3Dabc&pid=mm_1_2_3", want{PlatformTaobao, KindCoupon, "", IDNone, "", "", ""}},
	{"uland sellerId", "https://uland.taobao.com/quan/detail?sellerId=11&activityId=ab12", want{PlatformTaobao, KindCoupon, "11", IDSeller, "", "", ""}},

	// Search.
	{"main.m search", "https://main.m.taobao.com/search/index.html?q=%E6%89%8B%E6%9C%BA", want{PlatformTaobao, KindSearch, "", IDNone, "", "", ""}},
	{"list.tmall.com", "https://list.tmall.com/search_product.htm?q=abc", want{PlatformTmall, KindSearch, "", IDNone, "", "", ""}},

	// Schemes.
	{"tbopen h5Url shop", "tbopen://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&h5Url=https%3A%2F%2Fshop9.taobao.com%2F", want{PlatformTaobao, KindShop, "9", IDShop, "", "", ""}},
	{"taobao scheme non-family host", "taobao://evil.example/item.htm?id=123", unknown},
	{"tmall page.tm shop by seller", "tmall://page.tm/shop?sellerId=5", want{PlatformTmall, KindShop, "5", IDSeller, "", "", ""}},

	// Share texts and tokens.
	{"yen half-width", "¥AbCd1234EfG¥", passwordTok("AbCd1234EfG")},
	{"pound", "₤AbCd1234EfG₤", passwordTok("AbCd1234EfG")},
	{"cent", "¢AbCd1234EfG¢", passwordTok("AbCd1234EfG")},
	{"paren", "(AbCd1234EfG)", passwordTok("AbCd1234EfG")},
	{"full-width paren", "复制（AbCd1234EfG）打开淘宝", passwordTok("AbCd1234EfG")},
	{"corner brackets", "「AbCd1234EfG」", passwordTok("AbCd1234EfG")},
	{"token then share code", "AbCd1234EfG CZ0001", passwordTok("AbCd1234EfG")},
	{"bare word is not a token", "Information", unknown},
	{"bare lower-case run is not a token", "abcdefghijk", unknown},
	{"digits are not a token", "￥12345678901￥", unknown},
	{"token too short", "￥AbCd1234E￥", unknown},
	{"token too long", "￥AbCd1234EfGh￥", unknown},
	{"mismatched symbols", "￥AbCd1234EfG€", unknown},
	{"token inside a foreign URL is ignored", "https://example.com/$AbCd1234EfG$", unknown},
	{"short link plus token", "【标题】https://m.tb.cn/h.abcdef 复制￥AbCd1234EfG￥", want{PlatformTaobao, KindShort, "h.abcdef", IDShortCode, "AbCd1234EfG", "", ""}},
	{"item link plus token", "【标题】https://item.taobao.com/item.htm?id=123 ￥AbCd1234EfG￥", want{PlatformTaobao, KindItem, "123", IDItem, "AbCd1234EfG", "", ""}},
	{"line breaks and emoji", "👉淘♂寳♀👈\n\n https://m.tb.cn/h.x1y2z3\n", want{PlatformTaobao, KindShort, "h.x1y2z3", IDShortCode, "", "", ""}},
	{"first known wins over family page", "http://m.taobao.com and https://item.taobao.com/item.htm?id=123", item123},

	// Wrappers.
	{"redirector raw", "https://r.example/?u=https://item.taobao.com/item.htm?id=123", viaItem(PlatformTaobao, "123", "r.example")},
	{"redirector double-encoded", "https://r.example/?u=https%253A%252F%252Fitem.taobao.com%252Fitem.htm%253Fid%253D123", viaItem(PlatformTaobao, "123", "r.example")},
	{"wrapper in path", "https://web.archive.org/web/2020/https://item.taobao.com/item.htm?id=123", viaItem(PlatformTaobao, "123", "web.archive.org")},
	{"wrapper with encoded look-alike then genuine", "https://r.example/?a=https%3A%2F%2Ftaobao.com.evil.example%2Fitem.htm%3Fid%3D1&b=https%3A%2F%2Fdetail.tmall.com%2Fitem.htm%3Fid%3D2", viaItem(PlatformTmall, "2", "r.example")},
	{"wrapper with only a look-alike", "https://r.example/?u=https%3A%2F%2Fitem.taobao.com%2540evil.example%2Fitem.htm%3Fid%3D1", unknown},
	{"wrapper token only", "https://landing.example/p.html?taowords=AbCd1234EfG", want{PlatformTaobao, KindPassword, "AbCd1234EfG", IDTpwd, "", "", "landing.example"}},
	{"family page embedding family link", "https://login.taobao.com/?redirectURL=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D123", item123},

	// Look-alikes and open-redirect tricks: never Taobao.
	{"suffix look-alike", "https://taobao.com.evil.example/item.htm?id=123", unknown},
	{"hyphen look-alike", "https://evil-taobao.com/item.htm?id=123", unknown},
	{"prefix look-alike", "https://nottaobao.com/item.htm?id=123", unknown},
	{"tmall look-alike", "https://detail.tmall.com.cn/item.htm?id=123", unknown},
	{"tb.cn look-alike", "https://m.tb.cn.evil.example/h.abcdef", unknown},
	{"tb.cn suffix look-alike", "https://mtb.cn/h.abcdef", unknown},
	{"userinfo trick", "https://taobao.com@evil.example/item.htm?id=123", unknown},
	{"userinfo trick item host", "https://item.taobao.com@evil.example/item.htm?id=123", unknown},
	{"userinfo last at", "https://a@item.taobao.com@evil.example/item.htm?id=123", unknown},
	{"userinfo with encoded at", "https://item.taobao.com%40evil.example/item.htm?id=123", unknown},
	{"backslash before at", `https://evil.example\@item.taobao.com/item.htm?id=123`, unknown},
	{"percent-encoded dot", "https://item%2Etaobao%2Ecom/item.htm?id=123", unknown},
	{"percent-encoded slash in host", "https://evil.example%2F.taobao.com/item.htm?id=123", unknown},
	{"cyrillic homograph", "https://item.tаobao.com/item.htm?id=123", unknown},
	{"full-width homograph", "https://item.ｔａｏｂａｏ.com/item.htm?id=123", unknown},
	{"punycode look-alike", "https://item.xn--tobao-8ta.com/item.htm?id=123", unknown},
	{"bad port", "https://item.taobao.com:evil/item.htm?id=123", unknown},
	{"empty label", "https://item..taobao.com/item.htm?id=123", unknown},
	{"javascript scheme with family host", "javascript://item.taobao.com/%0aalert(1)", unknown},
	{"data scheme mentioning a family host is a family page", "data:text/html,<a href=x>item.taobao.com</a>", taobaoPage},
	{"glued scheme", "xhttps://item.taobao.com/item.htm?id=123", unknown},
	{"path mention only", "https://evil.example/item.taobao.com/item.htm?id=123", unknown},
	{"query mention without scheme", "https://evil.example/?u=item.taobao.com/item.htm?id=123", unknown},
	{"bare look-alike", "去 taobao.com.evil.example/item.htm?id=123 看看", unknown},
	{"bare email-like", "item.taobao.com@evil.example/item.htm?id=123", unknown},
	{"bare after slash", "evil.example/item.taobao.com/item.htm?id=123", unknown},
	{"ipv6 host", "https://[::1]/item.htm?id=123", unknown},
	{"empty", "", unknown},
	{"spaces", "  \n\t ", unknown},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			e := Parse(c.input)
			got := want{e.Platform, e.Kind, e.ID, e.IDType, e.Tpwd, e.SellerID, e.Via}
			if got != c.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", c.input, got, c.want)
			}
			checkInvariants(t, c.input, e)
		})
	}
}

// TestParseDetails checks the fields the corpus does not label.
func TestParseDetails(t *testing.T) {
	cases := []struct {
		name, input            string
		canonical, params      string
		sku, title, query, url string
	}{
		{
			name:      "item: noise stripped, order and encoding kept",
			input:     "https://item.taobao.com/item.htm?spm=a.b&id=1&skuId=2&ali_trackid=2:mm_1_2_3&un=x&from=singlemessage&isappinstalled=0&foo=bar",
			canonical: "https://item.taobao.com/item.htm?id=1&skuId=2&ali_trackid=2:mm_1_2_3",
			params:    "id=1&skuId=2&ali_trackid=2:mm_1_2_3&un=x",
			sku:       "2",
			url:       "https://item.taobao.com/item.htm?spm=a.b&id=1&skuId=2&ali_trackid=2:mm_1_2_3&un=x&from=singlemessage&isappinstalled=0&foo=bar",
		},
		{
			name:      "tmall item: bxsign tbk is affiliate, scd is sharer",
			input:     "https://detail.m.tmall.com/item.htm?bxsign=scdX&id=9&bxsign=tbkY&union_lens=lensId%3A1",
			canonical: "https://detail.tmall.com/item.htm?id=9&bxsign=tbkY&union_lens=lensId%3A1",
			params:    "bxsign=scdX&id=9&bxsign=tbkY&union_lens=lensId%3A1",
		},
		{
			name:      "protocol-relative gets https",
			input:     "//a.m.taobao.com/i5.htm",
			canonical: "https://item.taobao.com/item.htm?id=5",
			url:       "https://a.m.taobao.com/i5.htm",
		},
		{
			name:      "bare host gets https",
			input:     "m.tb.cn/h.abcdef?tk=AbCd1234EfG",
			canonical: "https://m.tb.cn/h.abcdef",
			params:    "tk=AbCd1234EfG",
			url:       "https://m.tb.cn/h.abcdef?tk=AbCd1234EfG",
		},
		{
			name:      "coupon keeps identity and affiliate",
			input:     "https://uland.taobao.com/coupon/edetail?spm=x&activityId=ab&pid=mm_1_2_3&itemId=7&src=y",
			canonical: "https://uland.taobao.com/coupon/edetail?activityId=ab&pid=mm_1_2_3&itemId=7",
			params:    "activityId=ab&pid=mm_1_2_3&itemId=7",
		},
		{
			name:      "search query decoded, canonical re-encoded",
			input:     "https://s.taobao.com/search?q=a+b%26c&spm=x",
			canonical: "https://s.taobao.com/search?q=a+b%26c",
			params:    "q=a+b%26c",
			query:     "a b&c",
		},
		{
			name:      "shop with affiliate",
			input:     "https://shop7.taobao.com/?ali_trackid=2:mm_1&spm=x",
			canonical: "https://shop7.taobao.com/?ali_trackid=2:mm_1",
			params:    "ali_trackid=2:mm_1",
		},
		{
			name:      "decoded CRLF never reaches Canonical, Params or URL",
			input:     "https://r.example/?u=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D1%26ali_trackid%3Dx%250D%250ALocation%3Aevil%0D%0AX:y",
			canonical: "https://item.taobao.com/item.htm?id=1&ali_trackid=x%0D%0ALocation:evil",
			url:       "https://item.taobao.com/item.htm?id=1&ali_trackid=x%0D%0ALocation:evil",
		},
		{
			name:      "raw control bytes are dropped from Params",
			input:     "https://r.example/?u=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D1%26un%3Da%0Db",
			canonical: "https://item.taobao.com/item.htm?id=1",
			params:    "id=1&un=a",
			url:       "https://item.taobao.com/item.htm?id=1&un=a",
		},
		{
			name:  "password title",
			input: "【好东西】復·制这段描述￥AbCd1234EfG￥后咑閞👉淘♂寳♀👈",
			title: "好东西",
		},
		{
			name:      "2021 share text title",
			input:     "【淘宝】https://m.tb.cn/h.abcdef?tk=AbCd1234EfG CZ0001 「好「东」西」\n点击链接直接打开",
			canonical: "https://m.tb.cn/h.abcdef",
			params:    "tk=AbCd1234EfG",
			title:     "好「东」西",
			url:       "https://m.tb.cn/h.abcdef?tk=AbCd1234EfG",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Parse(c.input)
			check := func(field, got, want string) {
				if want != "" && got != want {
					t.Errorf("Parse(%q).%s = %q; want %q", c.input, field, got, want)
				}
			}
			check("Canonical", e.Canonical, c.canonical)
			check("Params", e.Params, c.params)
			check("SKU", e.SKU, c.sku)
			check("Title", e.Title, c.title)
			check("Query", e.Query, c.query)
			check("URL", e.URL, c.url)
			checkInvariants(t, c.input, e)
		})
	}
}
