package clientinfo

import (
	"testing"
)

const benchUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003133) NetType/WIFI Language/zh_CN"

var sink Client

// BenchmarkDetectWarm is the hot path: the UA is already cached (from the
// first loop iteration on, in the L1).
func BenchmarkDetectWarm(b *testing.B) {
	d := NewDetector(Config{})
	d.Detect(benchUA)
	b.ReportAllocs()
	for b.Loop() {
		sink = d.Detect(benchUA)
	}
}

// BenchmarkDetectWarmCorpus cycles through every corpus UA, all cached.
func BenchmarkDetectWarmCorpus(b *testing.B) {
	uas := corpusUAs(b)
	d := NewDetector(Config{})
	for _, ua := range uas {
		d.Detect(ua)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sink = d.Detect(uas[i%len(uas)])
		i++
	}
}

// BenchmarkDetectWarmParallel is BenchmarkDetectWarm on every P at once: the
// hot path must not get slower with more cores reading the same entry.
func BenchmarkDetectWarmParallel(b *testing.B) {
	d := NewDetector(Config{})
	d.Detect(benchUA)
	d.Detect(benchUA)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var c Client
		for pb.Next() {
			c = d.Detect(benchUA)
		}
		_ = c
	})
}

// BenchmarkDetectL1Miss alternates two cached UAs that share an L1 slot, so
// every call misses the L1, hits otter and promotes: the warm path's worst
// case (what every warm call cost before the L1, plus the L1 probe).
func BenchmarkDetectL1Miss(b *testing.B) {
	d := NewDetector(Config{})
	pair := collidingUAs(b, d, 1, 2)[0]
	for _, ua := range pair {
		d.Detect(ua)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sink = d.Detect(pair[i&1])
		i++
	}
}

// BenchmarkDetectCold classifies without a cache, cycling through the corpus
// (the realistic mix of in-app, browser and bot UAs).
func BenchmarkDetectCold(b *testing.B) {
	uas := corpusUAs(b)
	d := NewDetector(Config{CacheSize: -1})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sink = d.Detect(uas[i%len(uas)])
		i++
	}
}

// BenchmarkDetectColdWeChat is one long WeChat mini-program UA, uncached.
func BenchmarkDetectColdLong(b *testing.B) {
	const ua = "Mozilla/5.0 (Linux; Android 10; MIX 2S Build/QKQ1.190828.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.99 XWEB/3171 MMWEBSDK/20211202 Mobile Safari/537.36 MMWEBID/5331 MicroMessenger/8.0.18.2062(0x28001241) Process/appbrand2 WeChat/arm64 Weixin GPVersion/1 NetType/4G Language/zh_CN ABI/arm64 miniProgram/wx9af32b509e88340c"
	d := NewDetector(Config{CacheSize: -1})
	b.ReportAllocs()
	for b.Loop() {
		sink = d.Detect(ua)
	}
}

func corpusUAs(tb testing.TB) []string {
	cases := loadCorpus(tb)
	uas := make([]string, len(cases))
	for i, c := range cases {
		uas[i] = c.UA
	}
	return uas
}

// BenchmarkParserOnly is the floor of the cold path: mileusna/useragent
// alone over the same corpus mix as BenchmarkDetectCold.
func BenchmarkParserOnly(b *testing.B) {
	uas := corpusUAs(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p, _ := parseUA(uas[i%len(uas)])
		sink.OSVersion = p.OSVersion
		i++
	}
}
