package resolver

import "testing"

func TestClassifyParam(t *testing.T) {
	cases := []struct {
		name, value string
		want        ParamClass
	}{
		{"id", "1", ParamIdentity},
		{"skuId", "1", ParamIdentity},
		{"shop_id", "1", ParamIdentity},
		{"user_id", "1", ParamIdentity},
		{"liveId", "1", ParamIdentity},
		{"quantity", "1", ParamIdentity},
		{"ali_trackid", "2:mm_1", ParamAffiliate},
		{"union_lens", "x", ParamAffiliate},
		{"pid", "mm_1", ParamAffiliate},
		{"refpid", "x", ParamAffiliate},
		{"relationId", "x", ParamAffiliate},
		{"specialId", "x", ParamAffiliate},
		{"e", "x", ParamAffiliate},
		{"ak", "x", ParamAffiliate},
		{"bxsign", "tbkABC", ParamAffiliate},
		{"bxsign", "scdABC", ParamSharer},
		{"tk", "x", ParamSharer},
		{"sp_tk", "x", ParamSharer},
		{"un", "x", ParamSharer},
		{"share_crt_v", "1", ParamSharer},
		{"shareUniqueId", "1", ParamSharer},
		{"suid", "x", ParamSharer},
		{"ut_sk", "x", ParamSharer},
		{"wxsign", "x", ParamSharer},
		{"spm", "x", ParamNoise},
		{"from", "singlemessage", ParamNoise},
		{"isappinstalled", "0", ParamNoise},
		{"sourceType", "item", ParamNoise},
		{"gdt_vid", "x", ParamAdClick},
		{"qz_gdt", "x", ParamAdClick},
		{"utm_source", "x", ParamAdClick},
		{"bd_vid", "x", ParamAdClick},
		{"%69d", "1", ParamIdentity}, // "id", percent-encoded
		{"ID", "1", ParamUnknown},
		{"foo", "1", ParamUnknown},
		{"", "", ParamUnknown},
	}
	for _, c := range cases {
		if got := ClassifyParam(c.name, c.value); got != c.want {
			t.Errorf("ClassifyParam(%q, %q) = %v; want %v", c.name, c.value, got, c.want)
		}
	}
}

func TestFilterQuery(t *testing.T) {
	identity := func(c ParamClass) bool { return c == ParamIdentity }
	dest := func(c ParamClass) bool { return c == ParamIdentity || c == ParamAffiliate || c == ParamSharer }
	cases := []struct {
		q    string
		keep func(ParamClass) bool
		want string
	}{
		{"", dest, ""},
		{"spm=1", dest, ""},
		{"id=1", dest, "id=1"},
		{"spm=1&id=1&skuId=2&from=x", dest, "id=1&skuId=2"},
		{"id=1&spm=1&skuId=2", dest, "id=1&skuId=2"},
		{"id=1&&skuId=2&", dest, "id=1&skuId=2"},
		{"un=a%2Fb&id=1&ali_trackid=2:mm", dest, "un=a%2Fb&id=1&ali_trackid=2:mm"},
		{"un=a&id=1&ali_trackid=2:mm", identity, "id=1"},
		{"id", dest, "id"},
		{"foo=1&bar=2", func(c ParamClass) bool { return c == ParamUnknown }, "foo=1&bar=2"},
	}
	for _, c := range cases {
		if got := FilterQuery(c.q, c.keep); got != c.want {
			t.Errorf("FilterQuery(%q) = %q; want %q", c.q, got, c.want)
		}
	}
}

func TestFilterQueryContiguousNoAlloc(t *testing.T) {
	q := "spm=a.b&id=1&skuId=2&from=x"
	if n := testing.AllocsPerRun(100, func() { filterQuery(q, keepParams) }); n != 0 {
		t.Errorf("filterQuery allocates %v times for contiguous parameters; want 0", n)
	}
}

func TestParamClassString(t *testing.T) {
	if s := ParamAffiliate.String(); s != "affiliate" {
		t.Errorf("ParamAffiliate.String() = %q", s)
	}
	if s := ParamClass(200).String(); s != "unknown" {
		t.Errorf("ParamClass(200).String() = %q", s)
	}
}

// TestClickIDParamsAreAdClicks: the one click-ID list classifies a
// target's parameters too ("cb" was missing from ClassifyParam while
// internal/track recorded it).
func TestClickIDParamsAreAdClicks(t *testing.T) {
	for _, p := range ClickIDParams {
		name := p
		if p[len(p)-1] == '_' {
			name = p + "source"
		}
		if !IsClickIDParam(name) {
			t.Errorf("IsClickIDParam(%q) = false; want true", name)
		}
		if got := ClassifyParam(name, "x"); got != ParamAdClick {
			t.Errorf("ClassifyParam(%q) = %v; want adclick", name, got)
		}
	}
	for _, name := range []string{"utm_", "cbx", "c", "spm", "from", ""} {
		if IsClickIDParam(name) {
			t.Errorf("IsClickIDParam(%q) = true; want false", name)
		}
	}
}
