package clientinfo

import (
	"strings"
	"testing"
)

// FuzzDetect: Detect never panics, always answers a Valid Client whose UA is
// the (truncated) input, and the cache never changes the answer.
func FuzzDetect(f *testing.F) {
	for _, c := range loadCorpus(f) {
		f.Add(c.UA)
	}
	for _, c := range ownCases {
		f.Add(c.ua)
	}
	for _, s := range []string{
		"", " ", "\x00", "\xff\xfe", "Mozilla/5.0 (", "((((", ";;;;", ")))",
		"CrOS x86_64", "Android", "Android ", "iPhone", "MicroMessenger/", "WindowsWechat(0x",
		"WindowsWechat(0xzzzzzzzz", "AliApp(TB/", "QQ/", "-W09", "SM-F9", "http://", "http:",
		"Mozilla/5.0 (Linux; Android 10; HarmonyOS\x00) MicroMessenger/8.0.1\xff",
		strings.Repeat("a/", 2000), strings.Repeat("9.", 3000),
	} {
		f.Add(s)
	}
	cached, uncached := NewDetector(Config{CacheSize: 64}), NewDetector(Config{CacheSize: -1})
	f.Fuzz(func(t *testing.T, ua string) {
		got := cached.Detect(ua)
		if !got.Valid() {
			t.Fatalf("Detect(%q) = %+v: not Valid", ua, got)
		}
		want := ua
		if len(want) > MaxUALength {
			want = want[:MaxUALength]
		}
		if got.UA != want {
			t.Fatalf("Detect(%q).UA = %q; want the input", ua, got.UA)
		}
		if plain := uncached.Detect(ua); plain != got {
			t.Fatalf("Detect(%q): cached %+v != uncached %+v", ua, got, plain)
		}
	})
}
