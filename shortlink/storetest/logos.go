package storetest

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
)

// LogoStore is what RunLogos tests: a Store that keeps named QR logos.
type LogoStore interface {
	shortlink.Store
	shortlink.LogoStore
}

// LogoPNG returns a w×h PNG in colour c (a valid logo upload).
func LogoPNG(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// RunLogos runs the contract suite of shortlink.LogoStore, directly and
// through a Service (a link naming an unknown logo is refused). open must
// return an empty store each call.
func RunLogos(t *testing.T, open func(t *testing.T) LogoStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	put := func(t *testing.T, s LogoStore, name string, data []byte, at time.Time) shortlink.Logo {
		t.Helper()
		l, _, err := shortlink.NewLogo(name, data)
		if err != nil {
			t.Fatal(err)
		}
		l.UpdatedAt = at
		out, err := s.PutLogo(ctx, l)
		if err != nil {
			t.Fatalf("PutLogo(%s): %v", name, err)
		}
		return out
	}
	t.Run("put get list replace delete", func(t *testing.T) {
		s := open(t)
		if ls, err := s.ListLogos(ctx); err != nil || len(ls) != 0 {
			t.Fatalf("empty store: ListLogos = %v, %v; want none", ls, err)
		}
		if _, err := s.GetLogo(ctx, "brand"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			t.Fatalf("GetLogo on an empty store: %v; want not_found", err)
		}
		red := LogoPNG(t, 64, 32, color.NRGBA{0xff, 0, 0, 0xff})
		put(t, s, "brand", red, t0)
		put(t, s, "a-shop", LogoPNG(t, 20, 20, color.Black), t0)
		got, err := s.GetLogo(ctx, "brand")
		if err != nil || !bytes.Equal(got.Data, red) || got.Width != 64 || got.Height != 32 || got.ContentType != "image/png" || !got.CreatedAt.Equal(t0) {
			t.Fatalf("GetLogo = %+v (%d bytes), %v; want the 64×32 PNG created at %v", got, len(got.Data), err, t0)
		}
		ls, err := s.ListLogos(ctx)
		if err != nil || len(ls) != 2 || ls[0].Name != "a-shop" || ls[1].Name != "brand" || ls[0].Data != nil || ls[1].Bytes != len(red) {
			t.Fatalf("ListLogos = %+v, %v; want a-shop, brand by name, without data", ls, err)
		}
		// Replace: new bytes and hash, CreatedAt kept.
		blue := LogoPNG(t, 40, 40, color.NRGBA{0, 0, 0xff, 0xff})
		put(t, s, "brand", blue, t0.Add(time.Hour))
		got, _ = s.GetLogo(ctx, "brand")
		if !bytes.Equal(got.Data, blue) || got.Width != 40 || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after replace: %+v; want the 40×40 PNG, created %v, updated an hour later", got, t0)
		}
		if err := s.DeleteLogo(ctx, "brand"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteLogo(ctx, "brand"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			t.Fatalf("second DeleteLogo: %v; want not_found", err)
		}
		if _, err := s.GetLogo(ctx, "brand"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			t.Fatalf("GetLogo after delete: %v; want not_found", err)
		}
		if ls, _ := s.ListLogos(ctx); len(ls) != 1 || ls[0].Name != "a-shop" {
			t.Fatalf("ListLogos after delete = %+v; want a-shop", ls)
		}
	})
	t.Run("links name logos", func(t *testing.T) {
		s := open(t)
		svc := shortlink.NewService(s, shortlink.ServiceConfig{Now: func() time.Time { return Base }})
		target := "https://item.taobao.com/item.htm?id=1"
		name := "brand"
		_, err := svc.Make(ctx, shortlink.Input{Target: &target, QRLogo: &name})
		if e, ok := err.(*shortlink.Error); !ok || e.Code != shortlink.CodeInvalid || e.Field != "qr_logo" {
			t.Fatalf("Make with an unknown logo: %v; want invalid qr_logo", err)
		}
		put(t, s, "brand", LogoPNG(t, 32, 32, color.Black), t0)
		m, err := svc.Make(ctx, shortlink.Input{Target: &target, QRLogo: &name})
		if err != nil || m.QRLogo != "brand" {
			t.Fatalf("Make with logo brand: %+v, %v", m.Link, err)
		}
		if l, err := s.Get(ctx, "", m.Code); err != nil || l.QRLogo != "brand" {
			t.Fatalf("stored link qr_logo = %q, %v; want brand", l.QRLogo, err)
		}
		other := "nope"
		if _, err := svc.Edit(ctx, m.Link, shortlink.Input{QRLogo: &other}); shortlink.ErrorCode(err) != shortlink.CodeInvalid {
			t.Fatalf("Edit to an unknown logo: %v; want invalid", err)
		}
		// Deleting a logo in use is allowed; the link keeps the name (and
		// falls back when drawn), and an unrelated edit still succeeds.
		if err := s.DeleteLogo(ctx, "brand"); err != nil {
			t.Fatal(err)
		}
		title := "still editable"
		l, _ := s.Get(ctx, "", m.Code)
		if out, err := svc.Edit(ctx, l, shortlink.Input{Title: &title}); err != nil || out.QRLogo != "brand" {
			t.Fatalf("Edit of a link whose logo was deleted: %+v, %v", out, err)
		}
		empty := ""
		l, _ = s.Get(ctx, "", m.Code)
		if out, err := svc.Edit(ctx, l, shortlink.Input{QRLogo: &empty}); err != nil || out.QRLogo != "" {
			t.Fatalf("clearing qr_logo: %+v, %v", out, err)
		}
	})
	t.Run("concurrent puts", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, _, err := shortlink.NewLogo("l"+strconv.Itoa(i%3), LogoPNG(t, 16+i, 16, color.Black))
				if err != nil {
					errs[i] = err
					return
				}
				l.UpdatedAt = t0
				_, errs[i] = s.PutLogo(ctx, l)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("put %d: %v", i, err)
			}
		}
		if ls, err := s.ListLogos(ctx); err != nil || len(ls) != 3 {
			t.Fatalf("ListLogos = %d logos, %v; want 3", len(ls), err)
		}
		for _, name := range []string{"l0", "l1", "l2"} {
			l, err := s.GetLogo(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := shortlink.DecodeLogo(&l); err != nil {
				t.Errorf("%s: meta and data out of step: %v", name, err)
			}
			if cfg, _ := png.DecodeConfig(bytes.NewReader(l.Data)); cfg.Width != l.Width {
				t.Errorf("%s: meta says %d wide, data is %d wide", name, l.Width, cfg.Width)
			}
		}
	})
}
