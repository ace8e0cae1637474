package qr

import "testing"

func BenchmarkPNG(b *testing.B) {
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := PNG(shortURL, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "out-bytes")
}

func BenchmarkPNGLogo(b *testing.B) {
	o := Options{Logo: testLogo(), LogoID: "test"}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := PNG(shortURL, o)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "out-bytes")
}

func BenchmarkSVG(b *testing.B) {
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := SVG(shortURL, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "out-bytes")
}

func BenchmarkETag(b *testing.B) {
	o := Options{Size: 512, Logo: testLogo(), LogoID: "brand-v1"}
	b.ReportAllocs()
	for b.Loop() {
		_ = ETag(shortURL, o)
	}
}

func BenchmarkPNGCaption(b *testing.B) {
	o := Options{Size: 512, Caption: "微信扫一扫"}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := PNG(shortURL, o)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "out-bytes")
}
