//go:build !race

package qr

import "testing"

// TestAllocBudget keeps rendering from regressing; almost all allocations
// are go-qrcode's (it builds a symbol per mask to pick the best one).
func TestAllocBudget(t *testing.T) {
	for _, tt := range []struct {
		name   string
		budget float64
		f      func() ([]byte, error)
	}{
		{"PNG", 2000, func() ([]byte, error) { return PNG(shortURL, Options{}) }},
		{"SVG", 2000, func() ([]byte, error) { return SVG(shortURL, Options{}) }},
	} {
		got := testing.AllocsPerRun(20, func() {
			if _, err := tt.f(); err != nil {
				t.Fatal(err)
			}
		})
		if got > tt.budget {
			t.Errorf("%s: %.0f allocs per run; budget %.0f", tt.name, got, tt.budget)
		}
	}
	if got := testing.AllocsPerRun(100, func() { _ = ETag(shortURL, Options{}) }); got > 2 {
		t.Errorf("ETag: %.0f allocs per run; budget 2", got)
	}
}
