package qr

import "testing"

// benchRender runs render(shortURL, o) per iteration and reports the
// output size.
func benchRender(b *testing.B, render func(string, Options) ([]byte, error), o Options) {
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := render(shortURL, o)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "out-bytes")
}

func BenchmarkPNG(b *testing.B) { benchRender(b, PNG, Options{}) }

func BenchmarkPNGLogo(b *testing.B) {
	benchRender(b, PNG, Options{Logo: testLogo(), LogoID: "test"})
}

func BenchmarkSVG(b *testing.B) { benchRender(b, SVG, Options{}) }

func BenchmarkETag(b *testing.B) {
	o := Options{Size: 512, Logo: testLogo(), LogoID: "brand-v1"}
	b.ReportAllocs()
	for b.Loop() {
		_ = ETag(shortURL, o)
	}
}

func BenchmarkPNGCaption(b *testing.B) {
	benchRender(b, PNG, Options{Size: 512, Caption: "微信扫一扫"})
}
