package shortlink_test

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/resolver/remote"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

// The inputs of TestMakeRules.
const (
	itemURL   = "https://item.taobao.com/item.htm?id=639750024278"
	shortURL  = "https://m.tb.cn/h.abcdEFG"
	shareText = "【淘宝】好物推荐 ￥AbCd1234xyZ￥ https://m.tb.cn/h.abcdEFG 复制打开"
	promoURL  = "https://s.click.taobao.com/t?e=ok"
	// promoLimited makes the minter answer the platform's call-limit error.
	promoLimited = "https://s.click.taobao.com/t?e=limited"
	deepItemID   = "700000000001"
)

// minter is the Taobao Open Platform's side of taobao.tbk.tpwd.create, as
// remote.TpwdCreator answers it: a token for promoURL, the platform's
// error code 7 (call limit) for promoLimited.
type minter struct{}

func (minter) Enabled() bool { return true }

func (minter) Create(_ context.Context, u string) (remote.MintedTpwd, error) {
	if u == promoLimited {
		return remote.MintedTpwd{}, &remote.TOPError{Code: 7, Msg: "App Call Limited"}
	}
	return remote.MintedTpwd{Model: "6￥Mint0000AAA￥/", Simple: "￥Mint0000AAA￥"}, nil
}

// rules are an install's: one extra domain, desktop URLs on Taobao only,
// the click IDs gdt_vid and utm_*, short links looked up to deepItemID,
// a minter, targets up to 512 bytes.
func rules(now time.Time) shortlink.Rules {
	return shortlink.Rules{
		MaxTarget:    512,
		ServedDomain: func(d string) bool { return d == "s.example" },
		Domains:      []string{"s.example"},
		CheckDesktopURL: func(u string) error {
			if !strings.HasPrefix(u, "https://www.taobao.com/") {
				return errors.New("host not on the allowlist")
			}
			return nil
		},
		IsClickID: func(n string) bool { return n == "gdt_vid" || strings.HasPrefix(n, "utm_") },
		Deepen: func(_ context.Context, e resolver.Entity) (resolver.Entity, error) {
			if e.Kind != resolver.KindShort {
				return e, nil
			}
			d := resolver.Parse("https://item.taobao.com/item.htm?id=" + deepItemID)
			d.Title = "looked up"
			return d, nil
		},
		Tpwd: minter{},
		Now:  func() time.Time { return now },
	}
}

func ptr[T any](v T) *T { return &v }

// TestMakeRules names every rule of making a link (Service.Make, Edit and
// Import: the API's POST, PATCH and bulk import and the web UI's forms
// all call them): each case is an Input and either the kind and the field
// (and, where the UI words it, the reason) of the error, or a check of
// the stored link.
func TestMakeRules(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	past, future, far := now.Add(-time.Minute), now.Add(time.Hour), shortlink.MaxExpiry.Add(time.Second)
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "links.db"), boltstore.Options{NoSync: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := shortlink.NewService(st, shortlink.ServiceConfig{}).WithRules(rules(now))
	if _, err := svc.Make(ctx, shortlink.Input{Target: ptr(itemURL), Alias: ptr("taken-one")}); err != nil {
		t.Fatal(err)
	}
	logo, _, err := shortlink.NewLogo("brand", storetest.LogoPNG(t, 64, 48, color.NRGBA{0xff, 0x50, 0, 0xff}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutLogo(ctx, logo); err != nil {
		t.Fatal(err)
	}
	// expired is a fresh link for an Edit case: expired a minute ago,
	// with a minted 淘口令.
	edits := 0
	expired := func(t *testing.T) shortlink.Link {
		edits++
		m, err := svc.Make(ctx, shortlink.Input{Target: ptr(promoURL), Alias: ptr(fmt.Sprint("edit-me-", edits)), Tpwd: shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdMint}})
		if err != nil {
			t.Fatal(err)
		}
		l := m.Link.Clone()
		l.ExpiresAt = &past
		if l, err = svc.Update(ctx, l); err != nil {
			t.Fatal(err)
		}
		return l
	}

	in := func(edit func(in *shortlink.Input)) shortlink.Input {
		i := shortlink.Input{Target: ptr(itemURL)}
		if edit != nil {
			edit(&i)
		}
		return i
	}
	type want struct {
		code, field, reason string                       // an error of this kind about field
		link                func(*shortlink.Made) string // else: "" when the stored link is right
	}
	isErr := func(code, field, reason string) want { return want{code: code, field: field, reason: reason} }
	ok := func(check func(*shortlink.Made) string) want { return want{link: check} }
	cases := []struct {
		name string
		op   string // "make" (default), "edit" (of expired), "import" (one CSV row)
		in   shortlink.Input
		csv  string
		want want
	}{
		// target
		{name: "ok/item link kept as typed", in: in(nil), want: ok(func(m *shortlink.Made) string {
			if m.Target != itemURL || m.Entity.Kind != resolver.KindItem || m.Entity.ID != "639750024278" || len(m.Code) != shortlink.DefaultCodeLength {
				return fmt.Sprintf("target %q entity %+v code %q", m.Target, m.Entity, m.Code)
			}
			return ""
		})},
		{name: "ok/short link looked up, its title kept", in: in(func(i *shortlink.Input) { i.Target = ptr(shortURL) }), want: ok(func(m *shortlink.Made) string {
			if m.Target != shortURL || m.Entity.ID != deepItemID || m.Title != "looked up" {
				return fmt.Sprintf("target %q entity %+v title %q", m.Target, m.Entity, m.Title)
			}
			return ""
		})},
		{name: "target/absent", in: shortlink.Input{}, want: isErr(shortlink.CodeInvalid, "target", shortlink.ReasonRequired)},
		{name: "target/blank", in: in(func(i *shortlink.Input) { i.Target = ptr(" \n ") }), want: isErr(shortlink.CodeInvalid, "target", shortlink.ReasonRequired)},
		{name: "target/longer than the install's limit", in: in(func(i *shortlink.Input) { i.Target = ptr(itemURL + "&x=" + strings.Repeat("a", 512)) }), want: isErr(shortlink.CodeInvalid, "target", shortlink.ReasonTooLong)},
		{name: "target/javascript: inside", in: in(func(i *shortlink.Input) { i.Target = ptr(itemURL + "#javascript:alert(1)") }), want: isErr(shortlink.CodeInvalid, "target", "")},
		{name: "target/control character", in: in(func(i *shortlink.Input) { i.Target = ptr(itemURL + "\x00") }), want: isErr(shortlink.CodeInvalid, "target", "")},
		{name: "target/not understood", in: in(func(i *shortlink.Input) { i.Target = ptr("https://example.com/item?id=1") }), want: isErr(shortlink.CodeInvalid, "target", shortlink.ReasonUnknown)},
		// alias and domain
		{name: "ok/alias", in: in(func(i *shortlink.Input) { i.Alias = ptr(" spring-sale ") }), want: ok(func(m *shortlink.Made) string {
			if m.Code != "spring-sale" {
				return "code " + m.Code
			}
			return ""
		})},
		{name: "alias/bad characters", in: in(func(i *shortlink.Input) { i.Alias = ptr("a b") }), want: isErr(shortlink.CodeInvalid, "alias", "")},
		{name: "alias/too short", in: in(func(i *shortlink.Input) { i.Alias = ptr("ab") }), want: isErr(shortlink.CodeInvalid, "alias", "")},
		{name: "alias/reserved", in: in(func(i *shortlink.Input) { i.Alias = ptr("api") }), want: isErr(shortlink.CodeInvalid, "alias", "")},
		{name: "alias/taken", in: in(func(i *shortlink.Input) { i.Alias = ptr("taken-one") }), want: isErr(shortlink.CodeConflict, "alias", "")},
		{name: "ok/alias taken on the default domain is free on another", in: in(func(i *shortlink.Input) { i.Alias, i.Domain = ptr("taken-one"), ptr(" S.Example ") }), want: ok(func(m *shortlink.Made) string {
			if m.Domain != "s.example" || m.Code != "taken-one" {
				return "domain " + m.Domain + " code " + m.Code
			}
			return ""
		})},
		{name: "domain/not served", in: in(func(i *shortlink.Input) { i.Domain = ptr("evil.example") }), want: isErr(shortlink.CodeInvalid, "domain", shortlink.ReasonNotServed)},
		// expiry and caps
		{name: "ok/expiry in the future", in: in(func(i *shortlink.Input) { i.ExpiresAt = shortlink.OptTime{Set: true, T: &future} }), want: ok(func(m *shortlink.Made) string {
			if m.ExpiresAt == nil || !m.ExpiresAt.Equal(future) {
				return fmt.Sprint("expires ", m.ExpiresAt)
			}
			return ""
		})},
		{name: "expires_at/past", in: in(func(i *shortlink.Input) { i.ExpiresAt = shortlink.OptTime{Set: true, T: &past} }), want: isErr(shortlink.CodeInvalid, "expires_at", shortlink.ReasonPast)},
		{name: "expires_at/after 9999", in: in(func(i *shortlink.Input) { i.ExpiresAt = shortlink.OptTime{Set: true, T: &far} }), want: isErr(shortlink.CodeInvalid, "expires_at", "")},
		{name: "max_clicks/negative", in: in(func(i *shortlink.Input) { i.MaxClicks = ptr(int64(-1)) }), want: isErr(shortlink.CodeInvalid, "max_clicks", "")},
		// routing options
		{name: "route.quantity/above the limit", in: in(func(i *shortlink.Input) { i.Route = &route.Overrides{Quantity: shortlink.MaxQuantity + 1} }), want: isErr(shortlink.CodeInvalid, "route.quantity", shortlink.ReasonRange)},
		{name: "route.sku/too long", in: in(func(i *shortlink.Input) {
			i.Route = &route.Overrides{SKU: strings.Repeat("1", shortlink.MaxSKULength+1)}
		}), want: isErr(shortlink.CodeInvalid, "route.sku", shortlink.ReasonTooLong)},
		{name: "route.desktop_url/not on the allowlist", in: in(func(i *shortlink.Input) { i.Route = &route.Overrides{DesktopURL: "https://evil.example/"} }), want: isErr(shortlink.CodeInvalid, "route.desktop_url", "")},
		{name: "ok/desktop url on the allowlist", in: in(func(i *shortlink.Input) {
			i.Route = &route.Overrides{DesktopURL: "https://www.taobao.com/x", BuyNow: true}
		}), want: ok(func(m *shortlink.Made) string {
			if m.Route.DesktopURL != "https://www.taobao.com/x" || !m.Route.BuyNow {
				return fmt.Sprintf("route %+v", m.Route)
			}
			return ""
		})},
		// tags, campaign, UTM, click IDs, texts
		{name: "tags/too many", in: in(func(i *shortlink.Input) {
			tags := make([]string, shortlink.MaxTags+1)
			for n := range tags {
				tags[n] = fmt.Sprint("t", n)
			}
			i.Tags = &tags
		}), want: isErr(shortlink.CodeInvalid, "tags", "")},
		{name: "tags/twice", in: in(func(i *shortlink.Input) { i.Tags = &[]string{"a", "a"} }), want: isErr(shortlink.CodeInvalid, "tags", "")},
		{name: "tags/empty", in: in(func(i *shortlink.Input) { i.Tags = &[]string{""} }), want: isErr(shortlink.CodeInvalid, "tags", shortlink.ReasonRequired)},
		{name: "campaign/too long", in: in(func(i *shortlink.Input) { i.Campaign = ptr(strings.Repeat("c", shortlink.MaxCampaignLen+1)) }), want: isErr(shortlink.CodeInvalid, "campaign", shortlink.ReasonTooLong)},
		{name: "utm/not a utm_ name", in: in(func(i *shortlink.Input) { i.UTM = &map[string]string{"source": "x"} }), want: isErr(shortlink.CodeInvalid, "utm", "")},
		{name: "utm/value with a line break", in: in(func(i *shortlink.Input) { i.UTM = &map[string]string{"utm_source": "a\nb"} }), want: isErr(shortlink.CodeInvalid, "utm.utm_source", "")},
		{name: "forward_click_ids/not a click ID", in: in(func(i *shortlink.Input) { i.ForwardClickIDs = &[]string{"gdt_vid", "session"} }), want: isErr(shortlink.CodeInvalid, "forward_click_ids", "")},
		{name: "title/control character", in: in(func(i *shortlink.Input) { i.Title = ptr("a\x07") }), want: isErr(shortlink.CodeInvalid, "title", "")},
		{name: "description/too long", in: in(func(i *shortlink.Input) { i.Description = ptr(strings.Repeat("d", shortlink.MaxDescLength+1)) }), want: isErr(shortlink.CodeInvalid, "description", shortlink.ReasonTooLong)},
		{name: "image/not an http(s) URL", in: in(func(i *shortlink.Input) { i.Image = ptr("javascript:alert(1)") }), want: isErr(shortlink.CodeInvalid, "image", shortlink.ReasonURL)},
		// 淘口令
		{name: "ok/tpwd pasted", in: in(func(i *shortlink.Input) {
			i.Tpwd = shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdPaste, Pasted: "复制 ￥Past1234AAA￥ 打开"}
		}), want: ok(func(m *shortlink.Made) string {
			if m.Tpwd == nil || m.Tpwd.Simple != "￥Past1234AAA￥" || m.Tpwd.Source != shortlink.TpwdPasted {
				return fmt.Sprintf("tpwd %+v", m.Tpwd)
			}
			return ""
		})},
		{name: "tpwd/pasted text without a token", in: in(func(i *shortlink.Input) {
			i.Tpwd = shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdPaste, Pasted: "no token here"}
		}), want: isErr(shortlink.CodeInvalidTpwd, "tpwd", "")},
		{name: "ok/tpwd from the share text", in: in(func(i *shortlink.Input) {
			i.Target, i.Tpwd = ptr(shareText), shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdMint}
		}), want: ok(func(m *shortlink.Made) string {
			if m.Tpwd == nil || m.Tpwd.Simple != "￥AbCd1234xyZ￥" || m.Tpwd.Source != shortlink.TpwdInput {
				return fmt.Sprintf("tpwd %+v", m.Tpwd)
			}
			return ""
		})},
		{name: "ok/tpwd minted for a promotion link", in: in(func(i *shortlink.Input) {
			i.Target, i.Tpwd = ptr(promoURL), shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdMint}
		}), want: ok(func(m *shortlink.Made) string {
			if m.Tpwd == nil || m.Tpwd.Source != shortlink.TpwdCreated || m.Tpwd.Simple != "￥Mint0000AAA￥" {
				return fmt.Sprintf("tpwd %+v", m.Tpwd)
			}
			return ""
		})},
		{name: "tpwd/mint for a plain item link", in: in(func(i *shortlink.Input) { i.Tpwd = shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdMint} }), want: isErr(shortlink.CodeNotPromotionLink, "tpwd", "")},
		{name: "tpwd/platform call limit", in: in(func(i *shortlink.Input) {
			i.Target, i.Tpwd = ptr(promoLimited), shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdMint}
		}), want: isErr(shortlink.CodeTpwdRateLimited, "tpwd", "")},
		{name: "ok/tpwd optional: made without one, told why", in: in(func(i *shortlink.Input) {
			i.Target, i.Tpwd = ptr(promoLimited), shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdOptional}
		}), want: ok(func(m *shortlink.Made) string {
			if m.Tpwd != nil || !strings.Contains(m.TpwdError, "call limit") {
				return fmt.Sprintf("tpwd %+v, warning %q", m.Tpwd, m.TpwdError)
			}
			return ""
		})},
		// edits (of a link that expired and holds a minted 淘口令)
		{name: "edit/alias cannot change", op: "edit", in: shortlink.Input{Alias: ptr("other")}, want: isErr(shortlink.CodeInvalid, "", "")},
		{name: "ok/edit keeps a passed expiry and the token", op: "edit", in: shortlink.Input{Title: ptr("new title"), ExpiresAt: shortlink.OptTime{Set: true, T: &past}}, want: ok(func(m *shortlink.Made) string {
			if m.Title != "new title" || m.ExpiresAt == nil || m.Tpwd == nil {
				return fmt.Sprintf("title %q expires %v tpwd %+v", m.Title, m.ExpiresAt, m.Tpwd)
			}
			return ""
		})},
		{name: "edit/a changed expiry must be in the future", op: "edit", in: shortlink.Input{ExpiresAt: shortlink.OptTime{Set: true, T: ptr(past.Add(time.Second))}}, want: isErr(shortlink.CodeInvalid, "expires_at", shortlink.ReasonPast)},
		{name: "ok/edit of the target drops the token", op: "edit", in: shortlink.Input{Target: ptr(itemURL), ExpiresAt: shortlink.OptTime{Set: true}}, want: ok(func(m *shortlink.Made) string {
			if m.Target != itemURL || m.Tpwd != nil || m.ExpiresAt != nil {
				return fmt.Sprintf("target %q tpwd %+v expires %v", m.Target, m.Tpwd, m.ExpiresAt)
			}
			return ""
		})},
		{name: "edit/lost to a concurrent edit", op: "stale", in: shortlink.Input{Title: ptr("late")}, want: isErr(shortlink.CodeConflict, "", "")},
		// bulk import rows
		{name: "ok/import row, short link not looked up", op: "import", csv: "target,alias,tags\n" + shortURL + ",bulk-row,a;b\n", want: ok(func(m *shortlink.Made) string {
			if m.Code != "bulk-row" || m.Entity.Kind != resolver.KindShort || len(m.Tags) != 2 {
				return fmt.Sprintf("code %q entity %+v tags %v", m.Code, m.Entity, m.Tags)
			}
			return ""
		})},
		{name: "import/max_clicks not a number", op: "import", csv: "target,max_clicks\n" + itemURL + ",many\n", want: isErr(shortlink.CodeInvalid, "max_clicks", shortlink.ReasonFormat)},
		{name: "import/expires_at not a time", op: "import", csv: "target,expires_at\n" + itemURL + ",tomorrow\n", want: isErr(shortlink.CodeInvalid, "expires_at", shortlink.ReasonFormat)},
		{name: "import/quantity below 1", op: "import", csv: "target,quantity\n" + itemURL + ",0\n", want: isErr(shortlink.CodeInvalid, "route.quantity", shortlink.ReasonRange)},
		{name: "import/the same rules as one link", op: "import", csv: "target,domain\n" + itemURL + ",evil.example\n", want: isErr(shortlink.CodeInvalid, "domain", shortlink.ReasonNotServed)},
		{name: "import/no rows", op: "import", csv: "target\n", want: isErr(shortlink.CodeInvalid, "", "")},
		{name: "ok/import row with a QR logo", op: "import", csv: "target,qr_logo\n" + itemURL + ",Brand\n", want: ok(func(m *shortlink.Made) string {
			if m.QRLogo != "brand" {
				return fmt.Sprintf("qr_logo %q", m.QRLogo)
			}
			return ""
		})},
		{name: "import/qr_logo not uploaded", op: "import", csv: "target,qr_logo\n" + itemURL + ",nosuch\n", want: isErr(shortlink.CodeInvalid, "qr_logo", "")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m shortlink.Made
			var err error
			switch tc.op {
			case "", "make":
				m, err = svc.Make(ctx, tc.in)
			case "edit", "stale":
				base := expired(t)
				if tc.op == "stale" {
					base.Version--
				}
				m.Link, err = svc.Edit(ctx, base, tc.in)
			case "import":
				var rows []shortlink.Row
				if rows, err = shortlink.ParseCSV([]byte(tc.csv)); err != nil {
					t.Fatal(err)
				}
				var links []shortlink.Link
				var errs []error
				if links, errs, err = svc.Import(ctx, rows); err == nil {
					m.Link, err = links[0], errs[0]
				}
			}
			w := tc.want
			if w.link != nil {
				if err != nil {
					t.Fatalf("got error %v; want a link", err)
				}
				if msg := w.link(&m); msg != "" {
					t.Fatalf("stored link: got %s", msg)
				}
				return
			}
			var e *shortlink.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v (%+v); want a %s error about %q", err, m.Link, w.code, w.field)
			}
			if e.Code != w.code || e.Field != w.field || (w.reason != "" && e.Reason != w.reason) {
				t.Fatalf("got code %q field %q reason %q (%s); want %q %q %q", e.Code, e.Field, e.Reason, e.Message, w.code, w.field, w.reason)
			}
		})
	}
}
