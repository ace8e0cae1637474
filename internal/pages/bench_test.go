package pages

import (
	"io"
	"testing"
)

func BenchmarkInterstitial(b *testing.B) {
	r := newRenderer(b)
	v := Interstitial{Decision: testDecision(), Entity: testEntity()}
	b.ReportAllocs()
	b.SetBytes(int64(renderedSize(b, func(w io.Writer) error { return r.Interstitial(w, LangZH, v) })))
	for b.Loop() {
		if err := r.Interstitial(io.Discard, LangZH, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInterstitialParallel(b *testing.B) {
	r := newRenderer(b)
	v := Interstitial{Decision: testDecision(), Entity: testEntity(), UseIntent: true}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := r.Interstitial(io.Discard, LangEN, v); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGuide(b *testing.B) {
	r := newRenderer(b)
	v := Guide{Entity: testEntity(), Link: testShort}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Guide(io.Discard, LangZH, v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInfo: the not-found page as a tap on an unknown code gets it
// (a request ID: pre-rendered) and rendered by the template.
func BenchmarkInfo(b *testing.B) {
	r := newRenderer(b)
	b.Run("plain", func(b *testing.B) { benchInfo(b, r.Info) })
	b.Run("template", func(b *testing.B) { benchInfo(b, r.renderInfo) })
}

func benchInfo(b *testing.B, render func(io.Writer, Lang, Info) error) {
	v := Info{Kind: InfoNotFound, RequestID: "cbf21g75-1djyx"}
	b.ReportAllocs()
	for b.Loop() {
		if err := render(io.Discard, LangZH, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLangFromAcceptLanguage(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		LangFromAcceptLanguage("en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7")
	}
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func renderedSize(tb testing.TB, f func(io.Writer) error) int {
	var c countWriter
	if err := f(&c); err != nil {
		tb.Fatal(err)
	}
	return int(c)
}
