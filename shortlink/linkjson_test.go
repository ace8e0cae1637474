package shortlink

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
)

// linkSamples are links as the stores keep them: minimal, typical, and
// with every optional field, odd strings included.
func linkSamples() []Link {
	exp := time.Date(2027, 1, 2, 3, 4, 5, 6, time.UTC)
	item := "https://item.taobao.com/item.htm?id=500000167862"
	return []Link{
		{Code: "abc"},
		{Code: "VbsP288N", Target: item, Entity: resolver.Parse(item), CreatedAt: time.Date(2026, 12, 5, 7, 20, 30, 983657921, time.UTC),
			UpdatedAt: time.Date(2026, 12, 5, 7, 20, 30, 983657921, time.UTC), Version: 1},
		{Code: "full_link-1", Domain: "s.example.cn", Target: "【淘宝】￥AbCdEf12345￥ \"引号\" \\ \u2028 <b>&amp;",
			Entity:    resolver.Parse("https://detail.tmall.com/item.htm?id=1&skuId=2&ali_trackid=2:mm_1_2_3"),
			CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("UTC+8", 8*3600)), ExpiresAt: &exp,
			MaxClicks: 100, Clicks: 7, Disabled: true,
			Route: route.Overrides{PreferWeb: true, BuyNow: true, NoCheckout: true, Quantity: 3, SKU: "5", DesktopURL: "https://item.taobao.com/item.htm?id=1", WeChatTpwdGuide: true},
			Tags:  []string{"a", "中文", ""}, Campaign: "双11", UTM: map[string]string{"utm_source": "wx", "utm_medium": ""},
			ForwardClickIDs: []string{"gdt_vid", "click_id"}, Title: "标题\ttab", Description: "d\x00nul", Image: "https://img.alicdn.com/x.jpg", Version: 9},
	}
}

// TestDecodeLinkMatchesEncodingJSON: every sample, written by
// encoding/json, decodes to the same Link with both decoders.
func TestDecodeLinkMatchesEncodingJSON(t *testing.T) {
	for _, l := range linkSamples() {
		data, err := json.Marshal(&l)
		if err != nil {
			t.Fatal(err)
		}
		var want, got Link
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if err := decodeLink(data, &got); err != nil {
			t.Fatalf("decodeLink(%s): %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeLink(%s)\n got %+v\nwant %+v", data, got, want)
		}
	}
}

// FuzzDecodeLink: on any input, decodeLink fails where encoding/json fails
// and otherwise yields the same Link.
func FuzzDecodeLink(f *testing.F) {
	for _, l := range linkSamples() {
		data, _ := json.Marshal(&l)
		f.Add(data)
	}
	f.Add([]byte(`{"CODE":"x","Tags":null,"utm":{"a":"b","a":"c"},"code":"y"}`))
	f.Add([]byte(`{"created_at":"2026-13-01T00:00:00Z"}`))
	f.Add([]byte(`{"title":"\ud800 invalid \xff"}`))
	f.Add([]byte(`{"clicks":1e3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want, got Link
		werr := json.Unmarshal(data, &want)
		gerr := decodeLink(data, &got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json err %v; decodeLink err %v", data, werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", data, got, want)
		}
	})
}

func BenchmarkDecodeLink(b *testing.B) {
	l := linkSamples()[1]
	data, _ := json.Marshal(&l)
	b.Run("decodeLink", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var l Link
			if err := decodeLink(data, &l); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var l Link
			if err := json.Unmarshal(data, &l); err != nil {
				b.Fatal(err)
			}
		}
	})
}
