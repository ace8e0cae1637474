package domains

import (
	"slices"
	"strings"
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

func TestNormalizeHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"S1.Test", "s1.test"},
		{"s1.test.", "s1.test"},
		{"s1.test:8080", "s1.test"},
		{" s1.test ", "s1.test"},
		{"http://x.test/a", "http://x.test/a"}, // not a port: left for Validate to refuse
		{"s1.test:", "s1.test:"},
	} {
		if got := NormalizeHost(tc.in); got != tc.want {
			t.Errorf("NormalizeHost(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzValidateHost: a host Validate accepts is normalised (idempotent)
// and holds nothing that could end a URL's authority.
func FuzzValidateHost(f *testing.F) {
	for _, s := range []string{"s1.test", "S1.TEST:80", "http://x/a", "[::1]:80", "a b", "例子.cn"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		d := Domain{Host: h}
		if err := d.Validate(); err != nil {
			return
		}
		if NormalizeHost(d.Host) != d.Host || strings.ContainsAny(d.Host, "/?#@:\\ ") {
			t.Fatalf("Validate accepted %q as %q", h, d.Host)
		}
	})
}

func TestRegistryCountsTaps(t *testing.T) {
	var r Registry
	r.CountTap("s1.test") // nothing configured: no panic, nothing counted
	r.Set([]Domain{{Host: "s1.test", Status: Active}, {Host: "s2.test", Status: Standby}})
	r.CountTap("s1.test")
	r.CountTap("s1.test")
	r.CountTap("evil.test")
	r.Set([]Domain{{Host: "s1.test", Status: Blocked}, {Host: "s2.test", Status: Standby}}) // a reload keeps the counts
	r.CountTap("s2.test")
	if got := r.TakeTaps(); len(got) != 2 || got["s1.test"] != 2 || got["s2.test"] != 1 {
		t.Fatalf("TakeTaps = %v; want s1.test 2, s2.test 1", got)
	}
	if got := r.TakeTaps(); got != nil {
		t.Fatalf("second TakeTaps = %v; want none", got)
	}
	r.UntakeTaps(map[string]int64{"s1.test": 5})
	if got := r.TakeTaps(); got["s1.test"] != 5 {
		t.Fatalf("after UntakeTaps: %v; want s1.test 5", got)
	}
	if n := testing.AllocsPerRun(100, func() { r.CountTap("s1.test") }); n != 0 {
		t.Errorf("CountTap allocates %v times; want 0 (it is on the tap path)", n)
	}
}
