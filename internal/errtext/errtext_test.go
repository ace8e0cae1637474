package errtext

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/hutong-dev/hutong/internal/deptest"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/shortlink"
)

func TestDependencies(t *testing.T) { deptest.NoDrivers(t) }

// constants are the values of shortlink's exported constants whose names
// start with prefix, read from its source, so that a kind or a reason
// added there without words here fails TestEveryCodeWorded.
func constants(t *testing.T, prefix string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../shortlink/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, prefix) || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", n.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				out = append(out, v)
			}
		}
	}
	return out
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestEveryCodeWorded: every kind of error (shortlink.Code*) has Chinese
// words and an English sentence, and every reason (shortlink.Reason*)
// Chinese and English words about a field; every entry of the table has
// both languages.
func TestEveryCodeWorded(t *testing.T) {
	codes := constants(t, "Code")
	if len(codes) < 21 {
		t.Fatalf("read %d codes from shortlink/errors.go: %v", len(codes), codes)
	}
	for _, c := range codes {
		w, ok := Messages["code."+c]
		if !ok || !hasHan(w[0]) || w[1] == "" {
			t.Errorf("kind %q: words %q; want Chinese and English", c, w)
		}
		if got := API(pages.LangZH, &shortlink.Error{Code: c, Message: "some detail"}); !hasHan(got) {
			t.Errorf("kind %q: the Chinese API message is %q", c, got)
		}
	}
	reasons := constants(t, "Reason")
	if len(reasons) < 9 {
		t.Fatalf("read %d reasons: %v", len(reasons), reasons)
	}
	for _, r := range reasons {
		w, ok := Messages["reason."+r]
		if !ok || !hasHan(w[0]) || strings.Count(w[0], "%s") != 1 || strings.Count(w[1], "%s") != 1 {
			t.Errorf("reason %q: words %q; want Chinese and English, each naming the field once (%%s)", r, w)
		}
	}
	for k, w := range Messages {
		if w[0] == "" || w[1] == "" {
			t.Errorf("message %q lacks a language: %q", k, w)
		}
	}
	for _, r := range rules {
		if _, ok := Messages[r.key]; !ok {
			t.Errorf("rule %s/%s: no message %q", r.field, r.reason, r.key)
		}
	}
}

func TestAPI(t *testing.T) {
	sortErr := &shortlink.Error{Code: shortlink.CodeInvalid, Field: "sort", Reason: shortlink.ReasonChoice, Message: `sort="x": want one of -created, -clicks, code`}
	for _, tc := range []struct {
		name string
		lang pages.Lang
		err  error
		want string
	}{
		{"english is shortlink's", pages.LangEN, sortErr, sortErr.Message},
		{"reason and detail", pages.LangZH, sortErr, `“sort”不是可选的值之一：sort="x": want one of -created, -clicks, code`},
		{"rule", pages.LangZH, shortlink.FieldError(shortlink.CodeInvalid, "target", shortlink.ReasonUnknown, "not a Taobao link"), Messages["e.target.unknown"][0]},
		{"form rule not for the API", pages.LangZH, shortlink.FieldError(shortlink.CodeInvalid, "expires_at", shortlink.ReasonFormat, "want RFC 3339"), "“expires_at”的格式不对：expires_at: want RFC 3339"},
		{"alias taken", pages.LangZH, &shortlink.Error{Code: shortlink.CodeConflict, Field: "alias", Message: `short code "abc" is already taken`}, Messages["e.alias.taken"][0]},
		{"kind and detail", pages.LangZH, &shortlink.Error{Code: shortlink.CodeUnauthorized, Message: "unknown or revoked API key"},
			Messages["code.unauthorized"][0] + "：unknown or revoked API key"},
		{"kind with nothing more to say", pages.LangZH, &shortlink.Error{Code: shortlink.CodeInternal, Message: "internal error"}, "服务器内部错误"},
		{"whole kind", pages.LangZH, shortlink.FieldError(shortlink.CodeTpwdNotConfigured, "tpwd", "", "minting 淘口令 is not configured on this server: …"), Messages["code.tpwd_not_configured"][0]},
		{"unknown kind", pages.LangZH, &shortlink.Error{Code: "new_kind", Message: "x"}, "服务器内部错误：x"},
		{"not a shortlink error", pages.LangZH, errors.New("disk on fire"), "服务器内部错误"},
		{"not a shortlink error, english", pages.LangEN, errors.New("disk on fire"), "internal error"},
		{"wrapped", pages.LangZH, errors.Join(errors.New("ctx"), &shortlink.Error{Code: shortlink.CodeNotFound, Message: `short link "abc" not found`}), `没有找到：short link "abc" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := API(tc.lang, tc.err); got != tc.want {
				t.Errorf("API(%s, %v) = %q; want %q", tc.lang, tc.err, got, tc.want)
			}
		})
	}
}

func TestForm(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lang  pages.Lang
		err   *shortlink.Error
		label string
		want  string
	}{
		{"rule, english", pages.LangEN, shortlink.FieldError(shortlink.CodeInvalid, "expires_at", shortlink.ReasonFormat, "x"), "Expires", Messages["e.expires.bad"][1]},
		{"rule, chinese", pages.LangZH, shortlink.FieldError(shortlink.CodeInvalid, "max_clicks", shortlink.ReasonRange, "x"), "点击上限", Messages["e.number"][0]},
		{"english keeps shortlink's", pages.LangEN, shortlink.FieldError(shortlink.CodeInvalid, "campaign", shortlink.ReasonTooLong, "longer than 128"), "Campaign", "campaign: longer than 128"},
		{"reason, chinese", pages.LangZH, shortlink.FieldError(shortlink.CodeInvalid, "campaign", shortlink.ReasonTooLong, "longer than 128"), "活动", "“活动”太长了，请缩短。"},
		{"alias bad", pages.LangZH, &shortlink.Error{Code: shortlink.CodeInvalid, Field: "alias", Message: "alias may contain only…"}, "自定义后缀", Messages["e.alias.bad"][0]},
		{"edit lost", pages.LangZH, &shortlink.Error{Code: shortlink.CodeConflict, Field: "target", Message: "changed"}, "", Messages["edit.conflict"][0]},
		{"field, no reason", pages.LangZH, &shortlink.Error{Code: shortlink.CodeInvalid, Field: "utm", Message: "utm: unknown key"}, "utm_source", "“utm_source”有误：utm: unknown key"},
		{"no field", pages.LangZH, &shortlink.Error{Code: shortlink.CodeInvalid, Message: "CSV header: unknown column"}, "", "输入有误：CSV header: unknown column"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Form(tc.lang, tc.err, tc.label); got != tc.want {
				t.Errorf("Form = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestLangOf(t *testing.T) {
	for h, want := range map[string]pages.Lang{
		"":                        pages.LangEN,
		"*":                       pages.LangEN,
		"fr-FR":                   pages.LangEN,
		"en-US,en;q=0.9":          pages.LangEN,
		"zh":                      pages.LangZH,
		"zh-CN":                   pages.LangZH,
		"zh-Hans":                 pages.LangZH,
		"ZH-tw":                   pages.LangZH,
		"en;q=0.9, zh;q=0.8":      pages.LangEN,
		"en;q=0.8, zh-CN;q=0.9":   pages.LangZH,
		"fr, zh;q=0.5":            pages.LangZH,
		"en, zh":                  pages.LangEN, // a tie: the first listed
		"zh;q=0":                  pages.LangEN,
		"zh;q=abc, en;q=0.1":      pages.LangEN,
		"zh-Hans-CN;q=1, *;q=0.1": pages.LangZH,
	} {
		if got := LangOf(h); got != want {
			t.Errorf("LangOf(%q) = %s; want %s", h, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = LangOf("en;q=0.8, zh-CN;q=0.9") }); n != 0 {
		t.Errorf("LangOf: %v allocations; want 0", n)
	}
}

// FuzzLangOf: any header gives one of the two languages; Chinese only when
// the header names a zh range, and then the pages pick Chinese too.
func FuzzLangOf(f *testing.F) {
	for _, s := range []string{"", "*", "zh", "en;q=0.9, zh;q=0.8", "zh-Hans;q=0.5,fr", "zh;q=1.5", ";;,,q=", "zh_CN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := LangOf(h)
		if got != pages.LangZH && got != pages.LangEN {
			t.Fatalf("LangOf(%q) = %q", h, got)
		}
		if got == pages.LangZH && (!strings.Contains(strings.ToLower(h), "zh") || pages.LangFromAcceptLanguage(h) != pages.LangZH) {
			t.Errorf("LangOf(%q) = zh; the header names no zh range the pages pick", h)
		}
	})
}
