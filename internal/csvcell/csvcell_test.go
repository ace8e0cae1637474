package csvcell

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "春季大促", "春季大促"},
		{"url", "https://item.taobao.com/item.htm?id=1", "https://item.taobao.com/item.htm?id=1"},
		{"equals", "=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"},
		{"plus", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"minus", "-2+3", "'-2+3"},
		{"minus code", "-abc", "'-abc"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\t=1", "'\t=1"},
		{"cr", "\r=1", "'\r=1"},
		{"inner equals", "a=b", "a=b"},
		{"leading space", " =1", " =1"},
		{"quote already", "'=1", "'=1"},
		{"digit", "12", "12"},
		{"full-width equals", "＝1", "＝1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTextAllocs(t *testing.T) {
	s := "https://hut.ong/abc"
	if n := testing.AllocsPerRun(100, func() { _ = Text(s) }); n != 0 {
		t.Errorf("Text of a safe cell: %v allocations; want 0", n)
	}
}

// FuzzText: whatever the cell, once written by encoding/csv and read back
// it does not start with a formula character and is the cell itself or
// the cell after one quote.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "=1+1", "-", "@x", "\t", "\r\n=1", "'=1", "a,b\"c", "淘口令"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.Write([]string{Text(s), "0"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		rec, err := csv.NewReader(&b).Read()
		if err != nil {
			return // a cell encoding/csv cannot round-trip (a lone \r): not Text's concern
		}
		if NeedsQuote(rec[0]) {
			t.Errorf("Text(%q) read back as %q: starts with a formula character", s, rec[0])
		}
		if crlf := strings.NewReplacer("\r\n", "\n"); rec[0] != crlf.Replace(s) && rec[0] != crlf.Replace("'"+s) { // the reader reads a quoted CRLF as LF
			t.Errorf("Text(%q) read back as %q; want the cell, quoted at most", s, rec[0])
		}
	})
}
