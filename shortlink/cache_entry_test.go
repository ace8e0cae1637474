package shortlink

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fillAll sets every field reachable in v to a distinct non-zero value.
func fillAll(t *testing.T, v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fillAll(t, s.Index(0), n)
		fillAll(t, s.Index(1), n)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillAll(t, k, n)
		fillAll(t, e, n)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillAll(t, p.Elem(), n)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1_700_000_000+int64(*n), int64(*n)).UTC()))
			return
		}
		for i := range v.NumField() {
			fillAll(t, v.Field(i), n)
		}
	default:
		t.Fatalf("Link has a %s field: teach packedLink (and this test) about it", v.Kind())
	}
}

func TestPackedLinkRoundTrip(t *testing.T) {
	var full Link
	n := 0
	fillAll(t, reflect.ValueOf(&full).Elem(), &n)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	cases := map[string]Link{
		"every field set": full,
		"zero":            {},
		"typical":         {Code: "abc", Target: "https://item.taobao.com/item.htm?id=1", CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), ExpiresAt: &exp, Tags: []string{}},
		"huge strings":    {Code: "big", Description: strings.Repeat("x", 70_000), Tags: []string{"a"}},
		"non-UTC time":    {Code: "tz", CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))},
		"local time":      {Code: "local", UpdatedAt: time.Now()},
	}
	for name, l := range cases {
		p := packLink(&l)
		got := p.unpack()
		if !reflect.DeepEqual(got, l) {
			t.Errorf("%s: unpack(pack(l)) = %+v; want %+v", name, got, l)
		}
		if got.CreatedAt != l.CreatedAt || got.UpdatedAt != l.UpdatedAt {
			t.Errorf("%s: times %v, %v; want %v, %v (==)", name, got.CreatedAt, got.UpdatedAt, l.CreatedAt, l.UpdatedAt)
		}
		if k := p.key(); k != (key{l.Domain, l.Code}) {
			t.Errorf("%s: key = %+v", name, k)
		}
	}
	if p := packLink(&full); p.big != nil {
		t.Error("a link with every field set was not packed")
	}
	if n := testing.AllocsPerRun(100, func() { p := packLink(&full); _ = p.unpack() }); n > 6 {
		t.Errorf("pack+unpack: %v allocs; want at most 6", n)
	}
}
