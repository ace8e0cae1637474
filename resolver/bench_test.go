package resolver

import "testing"

const (
	benchItemURL   = "https://item.taobao.com/item.htm?spm=a211oj.20087502.2458555970.ditem1.161f2a7bvMjm5c&id=639750024278&utparam=null"
	benchShareText = "【淘宝】https://m.tb.cn/h.5zxz3j69cN5go4k?tk=XUymWKIqxIz MF6563 「优衣库女装网眼V领短针织开衫长袖薄外套空调衫2024新款468541」\n    点击链接直接打开 或者 淘宝搜索直接打开"
	benchAffiliate = "https://main.m.taobao.com/security-h5-detail/home?id=626255378669&ali_trackid=2:mm_121082340_1321900169_114538200278:1713270599_086_1174981851&union_lens=lensId:TAPI@1713258290@213c748d_1153_18ee626dc3c_788a@01&ak=33956823&spm=a.b&bxsign=tbk3EjCZJ9UnwXTS8fccdWNWfWy7AMT5&fromNormal=true"
	benchWrapper   = "https://m.pandabuy.com/product?url=https%3A%2F%2Fdetail.tmall.com%2Fitem.htm%3Fid%3D625144747417&inviteCode=84QGEFBNY"
	benchToken     = "【杭州真丝上衣女2018新款短袖t恤夏桑蚕丝处理清仓】，復·制这段描述€08skb3DzfQC€后咑閞👉淘♂寳♀👈"
)

var sink Entity

func benchParse(b *testing.B, in string) {
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		sink = Parse(in)
	}
}

func BenchmarkParseItemURL(b *testing.B)   { benchParse(b, benchItemURL) }
func BenchmarkParseShareText(b *testing.B) { benchParse(b, benchShareText) }
func BenchmarkParseAffiliate(b *testing.B) { benchParse(b, benchAffiliate) }
func BenchmarkParseWrapper(b *testing.B)   { benchParse(b, benchWrapper) }
func BenchmarkParseToken(b *testing.B)     { benchParse(b, benchToken) }

func BenchmarkParseCorpus(b *testing.B) {
	cases := loadCorpus(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range cases {
			sink = Parse(c.Input)
		}
	}
}

func BenchmarkIsTaobaoHost(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		IsTaobaoHost("detail.m.tmall.com")
	}
}

// TestParseAllocs is the allocation budget of the hot path (no timing
// assertions: machines differ).
func TestParseAllocs(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    string
		limit float64
	}{
		{"plain item URL", benchItemURL, 2},
		{"bare item URL", "https://detail.tmall.com/item.htm?id=540212526343", 2},
		{"item URL with affiliate", benchAffiliate, 2},
		{"share text", benchShareText, 2},
	} {
		if n := testing.AllocsPerRun(200, func() { sink = Parse(c.in) }); n > c.limit {
			t.Errorf("%s: Parse allocates %v times; want ≤ %v", c.name, n, c.limit)
		}
	}
}
