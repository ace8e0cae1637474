package linkquery

import (
	"testing"
	"time"
)

// TestParseTime: the export bounds people type, and the refusals.
func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: ""},
		{in: "0"},
		{in: "2026-12-07T08:00:00+08:00", want: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		{in: "2026-12-07", want: time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC)}, // midnight China time
		{in: "2h", want: now.Add(-2 * time.Hour)},
		{in: "7d", want: now.AddDate(0, 0, -7)},
		{in: "-2h", bad: true},
		{in: "0d", bad: true},
		{in: "soon", bad: true},
		{in: "2026-13-01", bad: true},
	} {
		got, err := ParseTime(tc.in, now)
		if (err != nil) != tc.bad || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// FuzzParseTime: any input is a time or an error, never a panic, and a
// time it accepts formats back to one it accepts again.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "0", "2h", "7d", "2026-12-07", "2026-12-07T08:00:00+08:00", "99999999d", "1e9h"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, now)
		if err != nil || got.IsZero() {
			return
		}
		if again, err := ParseTime(got.Format(time.RFC3339Nano), now); err != nil || !again.Equal(got) {
			t.Fatalf("%q → %v → %v, %v", s, got, again, err)
		}
	})
}
