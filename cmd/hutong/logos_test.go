package main

import (
	"bytes"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

// centre returns the colour at the middle of a square PNG (where the logo
// pad is).
func centre(t *testing.T, b []byte) color.NRGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	return color.NRGBAModel.Convert(img.At(r.Dx()/2, r.Dy()/2)).(color.NRGBA)
}

// TestLogosAPI: named logos through the API on a real server, a link's own
// logo in its QR code, the install-wide one as the fallback, and the CLI.
func TestLogosAPI(t *testing.T) {
	red, green, blue := color.NRGBA{0xff, 0, 0, 0xff}, color.NRGBA{0, 0xc0, 0, 0xff}, color.NRGBA{0, 0, 0xff, 0xff}
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		installLogo := filepath.Join(t.TempDir(), "install.png")
		if err := os.WriteFile(installLogo, storetest.LogoPNG(t, 64, 64, blue), 0o644); err != nil {
			t.Fatal(err)
		}
		_, base := testMain(t, func(c *config.Serve) { tweak(c); c.QRLogo = installLogo })
		admin := map[string]string{"Authorization": "Bearer " + adminKey}
		putLogo := func(name, ctype string, body []byte) answer {
			t.Helper()
			h := map[string]string{"Authorization": "Bearer " + adminKey, "Content-Type": ctype}
			return do(t, "PUT", base+"/api/v1/logos/"+name, h, bytes.NewReader(body))
		}
		if a := putLogo("brand", "image/png", storetest.LogoPNG(t, 64, 64, green)); a.Status != 201 || !strings.Contains(a.Body, `"width":64`) {
			t.Fatalf("PUT new logo: %d %s; want 201 with its metadata", a.Status, a.Body)
		}
		if a := putLogo("brand", "image/png", storetest.LogoPNG(t, 48, 48, green)); a.Status != 200 {
			t.Fatalf("PUT replacing a logo: %d %s; want 200", a.Status, a.Body)
		}
		for _, tt := range []struct {
			name, logo, ctype string
			body              []byte
			status            int
			want              string
		}{
			{"json body", "x", "application/json", []byte(`{}`), 415, "image/png"},
			{"not an image", "x", "image/png", []byte("hello"), 400, "not a PNG or JPEG"},
			{"too large", "x", "image/png", append(storetest.LogoPNG(t, 16, 16, red), make([]byte, 300<<10)...), 413, "256 KiB"},
			{"bad name", "Bad.Name", "image/png", storetest.LogoPNG(t, 16, 16, red), 400, "lower-case"},
			{"too small", "x", "image/png", storetest.LogoPNG(t, 4, 4, red), 400, "4×4"},
		} {
			if a := putLogo(tt.logo, tt.ctype, tt.body); a.Status != tt.status || !strings.Contains(a.Body, tt.want) {
				t.Errorf("PUT %s: %d %s; want %d mentioning %q", tt.name, a.Status, a.Body, tt.status, tt.want)
			}
		}
		if a := do(t, "PUT", base+"/api/v1/logos/brand", nil, bytes.NewReader(storetest.LogoPNG(t, 16, 16, red))); a.Status != 401 {
			t.Errorf("PUT without a key: %d; want 401", a.Status)
		}
		if a := api(t, "GET", base+"/api/v1/logos", nil); a.Status != 200 || !strings.Contains(a.Body, `"name":"brand"`) || !strings.Contains(a.Body, `"width":48`) {
			t.Fatalf("GET logos: %d %s", a.Status, a.Body)
		}
		g := do(t, "GET", base+"/api/v1/logos/brand", admin, nil)
		if g.Status != 200 || g.Header.Get("Content-Type") != "image/png" || !bytes.Equal([]byte(g.Body), storetest.LogoPNG(t, 48, 48, green)) {
			t.Fatalf("GET logo: %d %s, %d bytes", g.Status, g.Header.Get("Content-Type"), len(g.Body))
		}
		if nm := do(t, "GET", base+"/api/v1/logos/brand", map[string]string{"Authorization": "Bearer " + adminKey, "If-None-Match": g.Header.Get("ETag")}, nil); nm.Status != 304 {
			t.Errorf("GET logo If-None-Match: %d; want 304", nm.Status)
		}

		// Links: an unknown logo is refused, a known one is kept.
		if a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "qr_logo": "nope"}); a.Status != 400 || !strings.Contains(a.Body, `no logo named \"nope\"`) {
			t.Fatalf("create with unknown logo: %d %s; want 400 naming it", a.Status, a.Body)
		}
		a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "qr_logo": "brand"})
		var l struct {
			Code     string
			ShortURL string `json:"short_url"`
			QRLogo   string `json:"qr_logo"`
		}
		decodeJSON(t, a.Body, &l)
		if a.Status != 201 || l.QRLogo != "brand" {
			t.Fatalf("create with logo brand: %d %s", a.Status, a.Body)
		}
		a = api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
		var plain struct{ Code string }
		decodeJSON(t, a.Body, &plain)

		qrOf := func(code, query string) answer {
			t.Helper()
			q := do(t, "GET", base+"/api/v1/links/"+code+"/qr.png?"+query, nil, nil)
			if q.Status != 200 {
				t.Fatalf("qr.png?%s: %d %s", query, q.Status, q.Body)
			}
			return q
		}
		own := qrOf(l.Code, "logo=1&size=400")
		if got := decodeQR(t, []byte(own.Body)); got != l.ShortURL {
			t.Fatalf("QR with the link's logo decodes to %q; want %q", got, l.ShortURL)
		}
		if c := centre(t, []byte(own.Body)); c != green {
			t.Errorf("link with qr_logo brand: centre %v; want the brand logo's green", c)
		}
		if c := centre(t, []byte(qrOf(plain.Code, "logo=1&size=400").Body)); c != blue {
			t.Errorf("link without qr_logo: centre %v; want the install logo's blue", c)
		}
		// Replacing the logo shows at once on this instance, with a new ETag.
		if a := putLogo("brand", "image/png", storetest.LogoPNG(t, 48, 48, red)); a.Status != 200 {
			t.Fatal(a.Status, a.Body)
		}
		replaced := qrOf(l.Code, "logo=1&size=400")
		if c := centre(t, []byte(replaced.Body)); c != red {
			t.Errorf("after replacing brand: centre %v; want red", c)
		}
		if replaced.Header.Get("ETag") == own.Header.Get("ETag") {
			t.Errorf("ETag %s did not change with the logo", own.Header.Get("ETag"))
		}
		// Deleting is allowed; the link falls back to the install logo.
		if a := api(t, "DELETE", base+"/api/v1/logos/brand", nil); a.Status != 204 {
			t.Fatalf("DELETE logo: %d %s", a.Status, a.Body)
		}
		if a := api(t, "DELETE", base+"/api/v1/logos/brand", nil); a.Status != 404 {
			t.Errorf("DELETE again: %d; want 404", a.Status)
		}
		if c := centre(t, []byte(qrOf(l.Code, "logo=1&size=400").Body)); c != blue {
			t.Errorf("after deleting brand: centre %v; want the install logo's blue", c)
		}

		// The CLI, through the running server's API.
		file := filepath.Join(t.TempDir(), "shop.png")
		if err := os.WriteFile(file, storetest.LogoPNG(t, 32, 32, green), 0o644); err != nil {
			t.Fatal(err)
		}
		cli := func(args ...string) string {
			t.Helper()
			code, out, errs := runCLI(t, "", append(args, "--server", base, "--api-key", adminKey)...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errs)
			}
			return out
		}
		if out := cli("logos", "add", "shop", file); !strings.Contains(out, "logo shop: image/png 32×32") {
			t.Errorf("logos add: %q", out)
		}
		if out := cli("logos", "list"); !strings.Contains(out, "shop") || !strings.Contains(out, "32×32") {
			t.Errorf("logos list: %q", out)
		}
		cli("link", "update", "--qr-logo", "shop", l.Code)
		if c := centre(t, []byte(qrOf(l.Code, "logo=1&size=400").Body)); c != green {
			t.Errorf("after link update --qr-logo shop: centre %v; want green", c)
		}
		if code, _, errs := runCLI(t, "", "link", "update", "--qr-logo", "missing", l.Code, "--server", base, "--api-key", adminKey); code != 1 || !strings.Contains(errs, `"missing"`) {
			t.Errorf("link update --qr-logo missing: exit %d %q; want 1 naming it", code, errs)
		}
		if out := cli("link", "create", "--qr-logo", "shop", itemTaobao); !strings.Contains(out, `"qr_logo": "shop"`) {
			t.Errorf("link create --qr-logo: %q", out)
		}
		cli("logos", "rm", "shop")
		if out := cli("logos", "list"); strings.Contains(out, "shop") {
			t.Errorf("after rm: %q", out)
		}
	})
}

// TestQRLogoWithoutFallback: logo=1 on a link whose logo was deleted, on an
// install without --qr-logo, is a 400 saying what to do.
func TestQRLogoWithoutFallback(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey })
	h := map[string]string{"Authorization": "Bearer " + adminKey, "Content-Type": "image/png"}
	if a := do(t, "PUT", base+"/api/v1/logos/gone", h, bytes.NewReader(storetest.LogoPNG(t, 32, 32, color.Black))); a.Status != 201 {
		t.Fatal(a.Status, a.Body)
	}
	a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "qr_logo": "gone"})
	var l struct{ Code string }
	decodeJSON(t, a.Body, &l)
	if q := do(t, "GET", base+"/api/v1/links/"+l.Code+"/qr.png?logo=1", nil, nil); q.Status != 200 {
		t.Fatalf("qr.png?logo=1 with the link's logo: %d %s", q.Status, q.Body)
	}
	api(t, "DELETE", base+"/api/v1/logos/gone", nil)
	if q := do(t, "GET", base+"/api/v1/links/"+l.Code+"/qr.png?logo=1", nil, nil); q.Status != 400 || !strings.Contains(q.Body, "no longer exists") {
		t.Errorf("qr.png?logo=1 after its logo was deleted: %d %s; want 400 saying so", q.Status, q.Body)
	}
	if q := do(t, "GET", base+"/api/v1/links/"+l.Code+"/qr.png", nil, nil); q.Status != 200 {
		t.Errorf("qr.png without logo=1: %d", q.Status)
	}
}

// TestQRCaptionAPI: caption and frame on the QR routes of a real server.
func TestQRCaptionAPI(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey })
	a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
	var l struct {
		Code     string
		ShortURL string `json:"short_url"`
	}
	decodeJSON(t, a.Body, &l)
	qr := func(format, query string) answer {
		return do(t, "GET", base+"/api/v1/links/"+l.Code+"/qr."+format+"?"+query, nil, nil)
	}
	plain := qr("png", "size=400")
	for _, q := range []string{"caption=wechat", "caption=taobao&size=300", "caption=" + url.QueryEscape("扫码领券 Scan") + "&size=600", "frame=1"} {
		p := qr("png", q+"&size=400")
		if p.Status != 200 {
			t.Fatalf("qr.png?%s: %d %s", q, p.Status, p.Body)
		}
		if got := decodeQR(t, []byte(p.Body)); got != l.ShortURL {
			t.Errorf("qr.png?%s decodes to %q; want %q", q, got, l.ShortURL)
		}
		cfg, err := png.DecodeConfig(strings.NewReader(p.Body))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(q, "caption") && cfg.Height <= cfg.Width {
			t.Errorf("qr.png?%s is %dx%d; want taller than wide", q, cfg.Width, cfg.Height)
		}
		if p.Header.Get("ETag") == plain.Header.Get("ETag") {
			t.Errorf("qr.png?%s has the ETag of the plain code", q)
		}
		if nm := do(t, "GET", base+"/api/v1/links/"+l.Code+"/qr.png?"+q+"&size=400", map[string]string{"If-None-Match": p.Header.Get("ETag")}, nil); nm.Status != 304 {
			t.Errorf("qr.png?%s If-None-Match: %d; want 304", q, nm.Status)
		}
	}
	out := filepath.Join(t.TempDir(), "code.png")
	if code, _, errs := runCLI(t, "", "qr", l.ShortURL, "--caption", "wechat", "--size", "400", "-o", out); code != 0 {
		t.Fatalf("hutong qr --caption: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(out); decodeQR(t, b) != l.ShortURL {
		t.Errorf("hutong qr --caption output does not decode to %s", l.ShortURL)
	}
	if code, _, errs := runCLI(t, "", "qr", l.ShortURL, "--caption", "扫我😀", "-o", out); code != 2 && code != 1 || !strings.Contains(errs, "qr.svg") {
		t.Errorf("hutong qr --caption with an emoji to PNG: exit %d %q; want an error pointing to SVG", code, errs)
	}
	if a, b := qr("png", "caption=wechat").Header.Get("ETag"), qr("png", "caption=taobao").Header.Get("ETag"); a == b {
		t.Errorf("two captions share ETag %s", a)
	}
	for _, tt := range []struct {
		format, query string
		status        int
		want          string
	}{
		{"png", "caption=" + url.QueryEscape("扫我😀"), 400, "qr.svg"},
		{"svg", "caption=" + url.QueryEscape("扫我😀"), 200, "扫我😀</text>"},
		{"svg", "caption=wechat", 200, "微信扫一扫</text>"},
		{"svg", "caption=" + url.QueryEscape("<script>x</script>"), 200, "&lt;script&gt;x&lt;/script&gt;</text>"},
		{"png", "caption=" + strings.Repeat("a", 25), 400, "at most 24"},
		{"png", "caption=wechat&frame=0", 400, "frame"},
		{"png", "caption=" + url.QueryEscape("很长的一句话，放在很小的码下面看不清") + "&size=128", 400, "use size"},
	} {
		a := qr(tt.format, tt.query)
		if a.Status != tt.status || !strings.Contains(a.Body, tt.want) {
			t.Errorf("qr.%s?%s: %d %.300s; want %d containing %q", tt.format, tt.query, a.Status, a.Body, tt.status, tt.want)
		}
	}
}
