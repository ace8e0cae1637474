package server

import (
	"context"
	"image"
	"image/color"
	"path/filepath"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

// countingLogos counts the reads that reach a real store.
type countingLogos struct {
	shortlink.LogoStore
	gets int
}

func (c *countingLogos) GetLogo(ctx context.Context, name string) (shortlink.Logo, error) {
	c.gets++
	return c.LogoStore.GetLogo(ctx, name)
}

// TestLogoCache: a logo is read and decoded once per TTL, an absent one is
// remembered too, and a put or forget on this instance applies at once.
func TestLogoCache(t *testing.T) {
	bs, err := boltstore.Open(filepath.Join(t.TempDir(), "links.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	l, _, err := shortlink.NewLogo("brand", storetest.LogoPNG(t, 32, 32, color.Black))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.PutLogo(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	ls := &countingLogos{LogoStore: bs}
	c := newLogoCache()
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		img, id, found, err := c.get(ls, "brand", t0.Add(time.Duration(i)*time.Second))
		if err != nil || !found || img == nil || id != l.ID() {
			t.Fatalf("get %d: %v %q %v %v", i, img, id, found, err)
		}
	}
	if ls.gets != 1 {
		t.Errorf("5 gets within the TTL read the store %d times; want 1", ls.gets)
	}
	if _, _, _, _ = c.get(ls, "brand", t0.Add(logoCacheTTL)); ls.gets != 2 {
		t.Errorf("after the TTL: %d store reads; want 2", ls.gets)
	}
	for range 3 {
		if _, _, found, err := c.get(ls, "nope", t0); found || err != nil {
			t.Fatalf("absent logo: found=%v, %v", found, err)
		}
	}
	if ls.gets != 3 {
		t.Errorf("3 gets of an absent logo: %d store reads in all; want 3 (one for it)", ls.gets)
	}
	c.forget("brand")
	c.get(ls, "brand", t0)
	if ls.gets != 4 {
		t.Errorf("after forget: %d store reads; want 4", ls.gets)
	}
	c.put("new", image.NewGray(image.Rect(0, 0, 1, 1)), "x", t0) // put does not read the store
	if _, id, _, _ := c.get(ls, "new", t0); id != "x" || ls.gets != 4 {
		t.Errorf("after put: id %q, %d store reads; want x, 4", id, ls.gets)
	}
}
