package ui_test

import (
	"bytes"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

var (
	qrImgRE = regexp.MustCompile(`id="qr-img" src="([^"]+)"`)
	qrSVGRE = regexp.MustCompile(`id="qr-svg" href="([^"]+)"`)
)

func attr(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s on the page", re)
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestLinkPageQRCaptionAndLogo: the QR panel's caption choice and the
// link's own logo selector, in English and Chinese.
func TestLinkPageQRCaptionAndLogo(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.signIn(adminKey)
	target := "https://item.taobao.com/item.htm?id=639750024278"
	alias := "qr-tee"
	if _, err := e.service.Make(t.Context(), shortlink.Input{Target: &target, Alias: &alias}); err != nil {
		t.Fatal(err)
	}
	lg, _, err := shortlink.NewLogo("brand", storetest.LogoPNG(t, 64, 64, color.NRGBA{0, 0xc0, 0, 0xff}))
	if err != nil {
		t.Fatal(err)
	}
	lg.UpdatedAt = time.Now()
	if _, err := e.service.Logos().PutLogo(t.Context(), lg); err != nil {
		t.Fatal(err)
	}

	p := b.get("/ui/links/qr-tee")
	p.must(t, http.StatusOK, `id="qr-caption"`, `<option value="wechat">微信扫一扫 (WeChat)</option>`, `id="qr-ctext"`,
		`id="qr-logo-name"`, `<option value="brand">brand</option>`, "Default (install-wide logo)", "No logo configured")
	if src := attr(t, qrImgRE, p.Body); strings.Contains(src, "caption=") || strings.Contains(src, "logo=") {
		t.Errorf("default QR %s has a caption or logo", src)
	}

	// Caption presets reach the PNG and SVG URLs; the PNG is taller.
	p = b.get("/ui/links/qr-tee?caption=wechat")
	src := attr(t, qrImgRE, p.Body)
	if !strings.Contains(src, "caption=wechat") || !strings.Contains(attr(t, qrSVGRE, p.Body), "caption=wechat") {
		t.Fatalf("caption=wechat: img %s", src)
	}
	img := b.get(src)
	cfg, err := png.DecodeConfig(bytes.NewReader([]byte(img.Body)))
	if img.Status != 200 || err != nil || cfg.Height <= cfg.Width {
		t.Fatalf("captioned PNG: %d %v %dx%d; want a taller PNG", img.Status, err, cfg.Width, cfg.Height)
	}
	if !strings.Contains(p.Body, `<option value="wechat" selected>`) {
		t.Error("the chosen caption is not selected")
	}
	// Own text with a character the PNG font lacks: PNG without, SVG with, said on the page.
	p = b.get("/ui/links/qr-tee?caption=custom&ctext=" + url.QueryEscape("扫我😀"))
	p.must(t, http.StatusOK, "The PNG font has no “😀”", `value="扫我😀"`)
	if src := attr(t, qrImgRE, p.Body); strings.Contains(src, "caption=") {
		t.Errorf("PNG %s carries a caption its font cannot draw", src)
	}
	svg := attr(t, qrSVGRE, p.Body)
	if s := b.get(svg); s.Status != 200 || !strings.Contains(s.Body, "扫我😀</text>") {
		t.Errorf("SVG %s: %d, caption missing", svg, s.Status)
	}
	b.get("/ui/links/qr-tee?caption=custom&ctext="+strings.Repeat("长", 25)).must(t, http.StatusOK, "The caption is not valid")

	// The link's own logo: saved from the selector, then offered on the QR.
	r := b.post("/ui/links/qr-tee/qrlogo", url.Values{"csrf": {tok}, "qr_logo": {"brand"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/ui/links/qr-tee?logosaved=1&logo=1" {
		t.Fatalf("save logo: %d %q\n%.1500s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if l, _ := e.service.Get(t.Context(), "", "qr-tee"); l.QRLogo != "brand" {
		t.Fatalf("stored qr_logo = %q; want brand", l.QRLogo)
	}
	p = b.get(r.Header.Get("Location"))
	p.must(t, http.StatusOK, "logo is saved.", `<option value="brand" selected>`, `id="qr-logo" name="logo" value="1" checked`, "<code>brand</code>")
	src = attr(t, qrImgRE, p.Body)
	if !strings.Contains(src, "logo=1") {
		t.Fatalf("QR with the link's logo: %s", src)
	}
	if img := b.get(src); img.Status != 200 {
		t.Fatalf("QR %s: %d %s", src, img.Status, img.Body)
	}
	b.post("/ui/links/qr-tee/qrlogo", url.Values{"csrf": {tok}, "qr_logo": {"nope"}}).must(t, http.StatusBadRequest, "There is no such logo")

	// A deleted logo: said on the page, no logo checkbox without an install logo.
	if err := e.service.Logos().DeleteLogo(t.Context(), "brand"); err != nil {
		t.Fatal(err)
	}
	p = b.get("/ui/links/qr-tee")
	p.must(t, http.StatusOK, "logo “brand” was deleted", "No logo configured")

	// Chinese.
	b.lang = "zh-CN"
	b.get("/ui/links/qr-tee?caption=taobao").must(t, http.StatusOK, "码下文字", `<option value="taobao" selected>打开淘宝扫一扫</option>`, "此链接的 Logo", "默认（全站 Logo）", "保存 Logo", "已删除")
	b.get("/ui/links/qr-tee?caption=custom&ctext="+url.QueryEscape("扫我😀")).must(t, http.StatusOK, "PNG 内置字体没有「😀」")

	// A read-only key cannot change the link's logo.
	rb := e.browser()
	rtok := rb.signIn(readKey)
	if r := rb.post("/ui/links/qr-tee/qrlogo", url.Values{"csrf": {rtok}, "qr_logo": {""}}); r.Status == http.StatusSeeOther {
		t.Errorf("read-only key changed the logo: %d", r.Status)
	}
}
