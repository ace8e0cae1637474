package resolver

import "testing"

// TestGluedQuery: a '?' right after a number value becomes '&'; one inside
// a nested URL, after a non-number or at the start is left; a query
// without such a '?' is returned as it is, without allocating.
func TestGluedQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"id=123?spm=a21n57", "id=123&spm=a21n57"},
		{"spm=x&id=527?sku_properties=1?a=2", "spm=x&id=527&sku_properties=1&a=2"},
		{"id=123?", "id=123&"},
		{"h5Url=https://main.m.taobao.com/x?id=1", "h5Url=https://main.m.taobao.com/x?id=1"},
		{"u=https://a.example/123?x=1", "u=https://a.example/123?x=1"},
		{"q=abc?def", "q=abc?def"},
		{"?id=1", "?id=1"},
		{"=?x", "=?x"},
		{"id=", "id="},
		{"", ""},
	} {
		if got := gluedQuery(tc.in); got != tc.want {
			t.Errorf("gluedQuery(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	q := "id=123&skuId=456&spm=a1z10.3"
	if n := testing.AllocsPerRun(100, func() { _ = gluedQuery(q) }); n != 0 {
		t.Errorf("gluedQuery of a plain query allocates %v times; want 0", n)
	}
}
