package track

import (
	"errors"
	"strconv"
	"testing"
)

func TestParseNATSCursor(t *testing.T) {
	for _, tc := range []struct {
		in    string
		seq   uint64
		k     int
		whole bool
		bad   bool
	}{
		{in: "12-3", seq: 12, k: 3},
		{in: "12", seq: 12, whole: true},
		{in: "0-0", seq: 0, k: 0},
		{in: "12-", bad: true},
		{in: "-3", bad: true},
		{in: "12--1", bad: true},
		{in: "x", bad: true},
		{in: "1733-0+0", bad: true},
	} {
		seq, k, whole, err := parseNATSCursor(tc.in)
		if tc.bad {
			if !errors.Is(err, ErrInvalidQuery) {
				t.Errorf("%q: err = %v; want ErrInvalidQuery", tc.in, err)
			}
			continue
		}
		if err != nil || seq != tc.seq || k != tc.k || whole != tc.whole {
			t.Errorf("%q: got %d, %d, %v, %v; want %d, %d, %v", tc.in, seq, k, whole, err, tc.seq, tc.k, tc.whole)
		}
	}
}

// FuzzNATSCursor: any accepted cursor reads back the same after printing.
func FuzzNATSCursor(f *testing.F) {
	for _, s := range []string{"", "1", "12-3", "18446744073709551615-0", "1-x", "1+2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seq, k, whole, err := parseNATSCursor(s)
		if err != nil {
			return
		}
		out := strconv.FormatUint(seq, 10)
		if !whole {
			out += "-" + strconv.Itoa(k)
		}
		seq2, k2, whole2, err := parseNATSCursor(out)
		if err != nil || seq2 != seq || k2 != k || whole2 != whole {
			t.Fatalf("%q → %q → %d %d %v %v", s, out, seq2, k2, whole2, err)
		}
	})
}
