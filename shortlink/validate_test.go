package shortlink

import (
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/resolver"
)

func validLink() Link {
	return Link{Code: "abc123", Target: "https://item.taobao.com/item.htm?id=1"}
}

// TestValidateRules names every rule of Link.Validate with one value it
// refuses and the field the error must name; "ok" cases are values at the
// limits that must pass.
func TestValidateRules(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past, year0, far := now.Add(-time.Second), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), MaxExpiry.Add(time.Second)
	future := now.Add(time.Hour)
	cases := []struct {
		name  string
		edit  func(l *Link)
		field string // "" = valid
	}{
		{"ok/plain", func(l *Link) {}, ""},
		{"ok/share text spans lines", func(l *Link) { l.Target = "【淘宝】好物\nhttps://m.tb.cn/h.abc 复制打开" }, ""},
		{"ok/description with newline", func(l *Link) { l.Description = "line one\nline two\ttab" }, ""},
		{"ok/limits", func(l *Link) {
			l.Title = strings.Repeat("标", MaxTitleLength/3)
			l.Route.Quantity = MaxQuantity
			l.UTM = map[string]string{"utm_source": strings.Repeat("v", MaxUTMValueLength)}
		}, ""},
		{"ok/future expiry", func(l *Link) { l.ExpiresAt = &future }, ""},

		{"target/empty", func(l *Link) { l.Target = "" }, "target"},
		{"target/too long", func(l *Link) { l.Target += strings.Repeat("a", MaxTargetLength) }, "target"},
		{"target/invalid utf-8", func(l *Link) { l.Target += "\xff\xfe" }, "target"},
		{"target/NUL", func(l *Link) { l.Target += "\x00" }, "target"},
		{"target/DEL", func(l *Link) { l.Target += "\x7f" }, "target"},
		{"target/C1", func(l *Link) { l.Target += "\u0085" }, "target"},
		{"target/bidi override", func(l *Link) { l.Target += "\u202e" }, "target"},
		{"target/line separator", func(l *Link) { l.Target += "\u2028" }, "target"},
		{"target/javascript wrapper", func(l *Link) { l.Target = "javascript:alert(1)//https://item.taobao.com/item.htm?id=1" }, "target"},
		{"target/JavaScript mixed case inside share text", func(l *Link) { l.Target = "看 JaVaScRiPt:alert(1) https://m.tb.cn/h.x" }, "target"},
		{"target/data", func(l *Link) { l.Target = "data:text/html,https://item.taobao.com/" }, "target"},
		{"title/NUL", func(l *Link) { l.Title = "a\x00b" }, "title"},
		{"title/newline", func(l *Link) { l.Title = "a\nb" }, "title"},
		{"title/invalid utf-8", func(l *Link) { l.Title = "\xc3\x28" }, "title"},
		{"title/too long", func(l *Link) { l.Title = strings.Repeat("a", MaxTitleLength+1) }, "title"},
		{"description/NUL", func(l *Link) { l.Description = "\x00" }, "description"},
		{"description/too long", func(l *Link) { l.Description = strings.Repeat("a", MaxDescLength+1) }, "description"},
		{"campaign/too long", func(l *Link) { l.Campaign = strings.Repeat("a", MaxCampaignLen+1) }, "campaign"},
		{"campaign/control", func(l *Link) { l.Campaign = "spring\x1b[31m" }, "campaign"},
		{"image/too long", func(l *Link) { l.Image = "https://img.example/" + strings.Repeat("a", MaxImageLength) }, "image"},
		{"image/not http", func(l *Link) { l.Image = "javascript:alert(1)" }, "image"},
		{"image/userinfo", func(l *Link) { l.Image = "https://user@img.example/a.png" }, "image"},
		{"tags/too many", func(l *Link) { l.Tags = make([]string, MaxTags+1) }, "tags"},
		{"tags/empty", func(l *Link) { l.Tags = []string{""} }, "tags"},
		{"tags/too long", func(l *Link) { l.Tags = []string{strings.Repeat("t", MaxTagLength+1)} }, "tags"},
		{"tags/duplicate", func(l *Link) { l.Tags = []string{"a", "a"} }, "tags"},
		{"tags/NUL", func(l *Link) { l.Tags = []string{"a\x00"} }, "tags"},
		{"utm/too many", func(l *Link) {
			l.UTM = map[string]string{}
			for i := range MaxUTMParams + 1 {
				l.UTM["utm_"+string(rune('a'+i))] = "v"
			}
		}, "utm"},
		{"utm/value too long", func(l *Link) { l.UTM = map[string]string{"utm_source": strings.Repeat("v", 100<<10)} }, "utm.utm_source"},
		{"utm/value NUL", func(l *Link) { l.UTM = map[string]string{"utm_source": "a\x00"} }, "utm.utm_source"},
		{"utm/name too long", func(l *Link) { l.UTM = map[string]string{"utm_" + strings.Repeat("n", MaxUTMNameLength): "v"} }, "utm"},
		{"forward_click_ids/too many", func(l *Link) { l.ForwardClickIDs = make([]string, MaxClickIDs+1) }, "forward_click_ids"},
		{"forward_click_ids/control", func(l *Link) { l.ForwardClickIDs = []string{"gdt_vid\r\n"} }, "forward_click_ids"},
		{"route.quantity/1e9", func(l *Link) { l.Route.Quantity = 1e9 }, "route.quantity"},
		{"route.quantity/negative", func(l *Link) { l.Route.Quantity = -1 }, "route.quantity"},
		{"route.sku/too long", func(l *Link) { l.Route.SKU = strings.Repeat("1", MaxSKULength+1) }, "route.sku"},
		{"route.desktop_url/CRLF", func(l *Link) { l.Route.DesktopURL = "https://item.taobao.com/\r\nSet-Cookie: a=b" }, "route.desktop_url"},
		{"max_clicks/negative", func(l *Link) { l.MaxClicks = -1 }, "max_clicks"},
		{"expires_at/past", func(l *Link) { l.ExpiresAt = &past }, "expires_at"},
		{"expires_at/year 0", func(l *Link) { l.ExpiresAt = &year0 }, "expires_at"},
		{"expires_at/after 9999", func(l *Link) { l.ExpiresAt = &far }, "expires_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := validLink()
			tc.edit(&l)
			err := l.ValidateCreate(now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("ValidateCreate: %v; want nil", err)
				}
				return
			}
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("ValidateCreate = %v; want CodeInvalid", err)
			}
			if got := ErrorField(err); got != tc.field {
				t.Errorf("field = %q; want %q (%v)", got, tc.field, err)
			}
			if msg := ErrorMessage(err); !strings.HasPrefix(msg, tc.field+": ") {
				t.Errorf("message %q does not start with the field %q", msg, tc.field)
			}
		})
	}
}

func TestValidateExpiresAtOnEdit(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	// An expired link stays valid for edits of other fields (Validate),
	// but setting a past expiry is refused (ValidateExpiresAt).
	l := validLink()
	l.ExpiresAt = &past
	if err := l.Validate(); err != nil {
		t.Fatalf("Validate of an expired link: %v; want nil", err)
	}
	if err := ValidateExpiresAt(&past, now); ErrorField(err) != "expires_at" {
		t.Fatalf("ValidateExpiresAt(past) = %v; want an expires_at error", err)
	}
	if err := ValidateExpiresAt(nil, now); err != nil {
		t.Fatalf("ValidateExpiresAt(nil) = %v; want nil", err)
	}
}

func TestCleanTarget(t *testing.T) {
	item := resolver.Parse("https://item.taobao.com/item.htm?id=123456789")
	cases := []struct {
		name, in, want string
		field          string
	}{
		{"taobao url kept", "  https://item.taobao.com/item.htm?id=123456789 ", "https://item.taobao.com/item.htm?id=123456789", ""},
		{"share text kept", "【淘宝】 https://m.tb.cn/h.abc 复制", "【淘宝】 https://m.tb.cn/h.abc 复制", ""},
		{"wrapped in another host: canonical", "https://evil.example/?u=https://item.taobao.com/item.htm?id=123456789", item.Canonical, ""},
		{"app scheme: canonical", "tbopen://m.taobao.com/tbopen/index.html?h5Url=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D123456789", item.Canonical, ""},
		{"userinfo: canonical", "https://item.taobao.com@evil.example/item.htm?id=123456789", item.Canonical, ""},
		{"javascript refused", "javascript:alert(1)//https://item.taobao.com/item.htm?id=123456789", "", "target"},
		{"vbscript refused", "vbscript:msgbox//https://item.taobao.com/item.htm?id=1", "", "target"},
		{"NUL refused", "https://item.taobao.com/item.htm?id=1\x00", "", "target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CleanTarget(tc.in, item)
			if tc.field != "" {
				if ErrorField(err) != tc.field {
					t.Fatalf("CleanTarget = %q, %v; want a %s error", got, err, tc.field)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CleanTarget = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := CleanTarget("https://evil.example/x", resolver.Entity{}); ErrorField(err) != "target" {
		t.Fatalf("CleanTarget of a foreign URL with no canonical = %v; want a target error", err)
	}
}

func TestNewAPIKeyName(t *testing.T) {
	now := time.Now()
	for name, in := range map[string]string{
		"empty":        "",
		"1 MB":         strings.Repeat("k", 1<<20),
		"NUL":          "ci\x00",
		"invalid utf8": "\xff",
	} {
		if _, err := NewAPIKey("0123456789abcdef0123", in, []Scope{ScopeRead}, now); ErrorField(err) != "name" {
			t.Errorf("%s: NewAPIKey = %v; want a name error", name, err)
		}
	}
	if _, err := NewAPIKey("0123456789abcdef0123", strings.Repeat("k", MaxKeyNameLength), []Scope{ScopeRead}, now); err != nil {
		t.Errorf("NewAPIKey at the name limit: %v", err)
	}
}

func FuzzValidateTarget(f *testing.F) {
	for _, s := range []string{"https://item.taobao.com/item.htm?id=1", "【淘宝】\nhttps://m.tb.cn/h.x", "javascript:x", "\xff", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := resolver.Parse(s)
		got, err := CleanTarget(s, e)
		if err != nil {
			if ErrorField(err) != "target" {
				t.Fatalf("CleanTarget(%q) error %v names no target field", s, err)
			}
			return
		}
		// Whatever is stored passes the same rules again and carries no
		// script scheme.
		if err := ValidateTarget(got); err != nil {
			t.Fatalf("CleanTarget(%q) = %q, which ValidateTarget refuses: %v", s, got, err)
		}
	})
}
