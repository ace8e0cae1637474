package route

import (
	"strings"
	"testing"
)

func mustNew(tb testing.TB) *Table {
	tb.Helper()
	t, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func mustLoad(tb testing.TB, name, rules string) *Table {
	tb.Helper()
	t, err := Load(strings.NewReader(rules), name)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}
