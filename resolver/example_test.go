package resolver_test

import (
	"fmt"

	"github.com/hutong-dev/hutong/resolver"
)

func ExampleParse() {
	e := resolver.Parse("https://item.taobao.com/item.htm?spm=a1z10.1&id=639750024278&skuId=42&from=singlemessage")
	fmt.Println(e.Platform, e.Kind, e.IDType, e.ID, e.SKU)
	fmt.Println(e.Canonical)
	fmt.Println(e.Params)
	// Output:
	// taobao item item_id 639750024278 42
	// https://item.taobao.com/item.htm?id=639750024278&skuId=42
	// id=639750024278&skuId=42
}

func ExampleParse_shareText() {
	e := resolver.Parse("【淘宝】https://m.tb.cn/h.5zxz3j69cN5go4k?tk=XUymWKIqxIz MF6563 「优衣库女装针织开衫」\n点击链接直接打开 或者 淘宝搜索直接打开")
	fmt.Println(e.Kind, e.ID, e.Tpwd)
	fmt.Println(e.Title)
	fmt.Println(e.Canonical)
	// Output:
	// short h.5zxz3j69cN5go4k XUymWKIqxIz
	// 优衣库女装针织开衫
	// https://m.tb.cn/h.5zxz3j69cN5go4k
}

func ExampleParse_password() {
	e := resolver.Parse("復·制这段描述€08skb3DzfQC€后咑閞👉淘♂寳♀👈")
	fmt.Println(e.Platform, e.Kind, e.IDType, e.ID)
	// Output: taobao password tpwd 08skb3DzfQC
}

func ExampleParse_wrapper() {
	// A shopping agent page carrying a percent-encoded Tmall link: Parse
	// returns the Tmall item and names the wrapper in Via.
	e := resolver.Parse("https://m.pandabuy.com/product?url=https%3A%2F%2Fdetail.tmall.com%2Fitem.htm%3Fid%3D625144747417&inviteCode=84QGEFBNY")
	fmt.Println(e.Platform, e.Kind, e.ID, e.Via)
	// Output: tmall item 625144747417 m.pandabuy.com
}

func ExampleParse_lookAlike() {
	for _, in := range []string{
		"https://taobao.com.evil.example/item.htm?id=1",
		"https://item.taobao.com@evil.example/item.htm?id=1",
		`https://evil.example\@item.taobao.com/item.htm?id=1`,
	} {
		e := resolver.Parse(in)
		fmt.Println(e.Platform, e.Kind)
	}
	// Output:
	// unknown unknown
	// unknown unknown
	// unknown unknown
}

func ExampleIsTaobaoHost() {
	for _, h := range []string{"detail.m.tmall.com", "m.tb.cn", "taobao.com.evil.example", "img.alicdn.com"} {
		p, ok := resolver.IsTaobaoHost(h)
		fmt.Println(h, p, ok)
	}
	// Output:
	// detail.m.tmall.com tmall true
	// m.tb.cn taobao true
	// taobao.com.evil.example unknown false
	// img.alicdn.com unknown false
}

func ExampleFilterQuery() {
	q := "spm=a.b&id=1&ali_trackid=2:mm_1_2_3&un=abc&from=timeline&gdt_vid=x"
	// What a destination keeps by default: identity, affiliate, sharer.
	fmt.Println(resolver.FilterQuery(q, func(c resolver.ParamClass) bool {
		return c == resolver.ParamIdentity || c == resolver.ParamAffiliate || c == resolver.ParamSharer
	}))
	// The ad click ids, for the click event.
	fmt.Println(resolver.FilterQuery(q, func(c resolver.ParamClass) bool { return c == resolver.ParamAdClick }))
	// Output:
	// id=1&ali_trackid=2:mm_1_2_3&un=abc
	// gdt_vid=x
}

func ExampleClassifyParam() {
	fmt.Println(resolver.ClassifyParam("bxsign", "tbk3EjCZ"), resolver.ClassifyParam("bxsign", "scdytto"), resolver.ClassifyParam("from", "singlemessage"))
	// Output: affiliate sharer noise
}
