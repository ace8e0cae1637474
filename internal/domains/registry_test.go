package domains

import (
	"slices"
	"testing"
	"time"
)

func TestRegistry(t *testing.T) {
	var r Registry
	if r.On() {
		t.Fatal("zero Registry is on")
	}
	if _, ok := r.TapKeys("s1.test"); ok {
		t.Fatal("zero Registry serves s1.test")
	}
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	ds, _ := FromList([]string{"s1.test", "s2.test", "s3.test"}, now)
	ds[2].Status = Retired
	ds = append(ds, Domain{Host: "p.test", Pool: "print", Role: QR, Status: Active}, Domain{Host: "e.test", Pool: "print", Role: Entry, Status: Blocked})
	r.Set(ds)
	ds[0].Status = Blocked // Set copied
	for _, tc := range []struct {
		host string
		want []string
		ok   bool
	}{
		{"s1.test", []string{"s1.test", ""}, true},
		{"s2.test", []string{"s2.test", ""}, true},
		{"s3.test", nil, false}, // retired
		{"evil.test", nil, false},
		{"e.test", []string{"e.test"}, true},
	} {
		got, ok := r.TapKeys(tc.host)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("TapKeys(%s) = %q, %v; want %q, %v", tc.host, got, ok, tc.want, tc.ok)
		}
	}
	if d, ok := r.Pick(DefaultPool, Entry); !ok || d.Host != "s1.test" {
		t.Errorf("Pick(default) = %s, %v; want s1.test", d.Host, ok)
	}
	if d, ok := r.Pick("print", QR); !ok || d.Host != "p.test" {
		t.Errorf("Pick(print, qr) = %s, %v; want p.test", d.Host, ok)
	}
	if _, ok := r.Pick("print", Entry); ok {
		t.Error("Pick(print, entry) found a host; want none (e.test blocked)")
	}
}
