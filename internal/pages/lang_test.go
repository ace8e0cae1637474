package pages

import "testing"

func TestLangFromAcceptLanguage(t *testing.T) {
	cases := []struct {
		name, header string
		want         Lang
	}{
		{"empty", "", LangZH},
		{"zh", "zh", LangZH},
		{"zh-CN", "zh-CN,zh;q=0.9", LangZH},
		{"zh-TW", "zh-TW", LangZH},
		{"zh-Hant-HK", "zh-Hant-HK,en;q=0.5", LangZH},
		{"upper case", "ZH-cn", LangZH},
		{"underscore (WeChat style)", "zh_CN", LangZH},
		{"en", "en", LangEN},
		{"en-US browser", "en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7", LangEN},
		{"zh preferred over en by q", "en;q=0.5,zh;q=0.8", LangZH},
		{"en preferred over zh by q", "zh;q=0.4, en-GB ;q=0.6", LangEN},
		{"tie: first wins", "en;q=0.8,zh;q=0.8", LangEN},
		{"tie: first wins zh", "zh;q=0.8,en;q=0.8", LangZH},
		{"unsupported then en", "fr-FR,fr;q=0.9,en;q=0.8", LangEN},
		{"only unsupported", "fr-FR,de;q=0.9", LangZH},
		{"star", "*", LangZH},
		{"fr and star", "fr,*;q=0.1", LangZH},
		{"en beats star", "*;q=0.5,en;q=0.6", LangEN},
		{"q=0 refuses", "en;q=0", LangZH},
		{"q=0 refuses zh", "zh;q=0,en;q=0.1", LangEN},
		{"bad q ignored", "en;q=abc,zh;q=0.2", LangZH},
		{"q above 1 ignored", "en;q=2", LangZH},
		{"Q upper case", "zh;Q=0.1,en;Q=0.2", LangEN},
		{"spaces", "  en-US ; q=0.9 , zh ; q=0.3 ", LangEN},
		{"english-like prefix", "eng,zh;q=0.1", LangZH},
		{"zhx is not zh", "zhx,en;q=0.1", LangEN},
		{"empty ranges", ",,;,en", LangEN},
		{"other params", "en;level=1;q=0.7,zh;q=0.6", LangEN},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := LangFromAcceptLanguage(c.header); got != c.want {
				t.Errorf("LangFromAcceptLanguage(%q) = %q; want %q", c.header, got, c.want)
			}
		})
	}
}

func TestLangFromAcceptLanguageAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() { LangFromAcceptLanguage("en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7") })
	if n != 0 {
		t.Errorf("%v allocs; want 0", n)
	}
}
