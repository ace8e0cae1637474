package track

import (
	"maps"
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// generalCounters decodes a counter value with the general MessagePack
// decoder (or the text form), as eachCounter does.
func generalCounters(v string) map[string]int64 {
	m := map[string]int64{}
	eachCounter(v, func(name string, n int64) { m[name] += n })
	return m
}

func encodeCounters(t testing.TB, names []string, counts []int64) string {
	var w strings.Builder
	enc := msgpack.NewEncoder(&w)
	if err := enc.EncodeMapLen(len(names)); err != nil {
		t.Fatal(err)
	}
	for i := range names {
		_ = enc.EncodeString(names[i])
		_ = enc.EncodeInt(counts[i])
	}
	return w.String()
}

// TestScanCounters: the allocation-free reader agrees with the general
// decoder on every integer width and name length hutong or cmsgpack write.
func TestScanCounters(t *testing.T) {
	counts := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxInt32, math.MaxInt32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt64}
	names := make([]string, len(counts))
	for i := range names {
		names[i] = strings.Repeat("n", i*i) + string(rune('a'+i)) // 1 to 362 bytes: fixstr, str8, str16
	}
	v := encodeCounters(t, names, counts)
	got := map[string]int64{}
	if !scanCounters(v, func(name string, n int64) { got[name] += n }) {
		t.Fatalf("scanCounters refused % x", v[:16])
	}
	if want := generalCounters(v); !maps.Equal(got, want) || len(got) != len(counts) {
		t.Fatalf("scanCounters = %v\nwant %v", got, want)
	}
	// 16 and more names: map16.
	many := make([]string, 40)
	for i := range many {
		many[i] = "app:x" + string(rune('A'+i))
	}
	v = encodeCounters(t, many, make([]int64, 40))
	if v[0] != 0xde || !scanCounters(v, nil) {
		t.Fatalf("map16 value (first byte %#x) refused", v[0])
	}
	for _, bad := range []string{"", "total=1,human=1", "\x81\xa1a", "\x81\xa1a\xcd\x01", "\x82\xa1a\x01", "\x81\xa1a\x01\x00", "\x81\xa1a\xca\x00\x00\x00\x00"} {
		if scanCounters(bad, nil) {
			t.Errorf("scanCounters(%q) = true; want false", bad)
		}
	}
	if !scanCounters("\x90", nil) || !scanCounters("\x80", nil) {
		t.Error("an empty map or table refused")
	}
}

// TestMergeCountersAllocs: merging a batch's counts into a stored value
// allocates nothing (the writer merges ~1,000 values per cold batch).
func TestMergeCountersAllocs(t *testing.T) {
	sc := &redisScratch{}
	sc.enc = msgpack.NewEncoder(&sc.w)
	sc.add = sc.addCounter
	old := encodeCounters(t, []string{"total", "human", "app:wechat", "os:ios", "scene:group"}, []int64{9, 8, 7, 6, 5})
	fields := []fieldDelta{{"total", 2}, {"human", 2}, {"app:wechat", 2}, {"os:android", 2}}
	dst := make([]byte, 0, 4096)
	out := sc.mergeCounters(dst, old, fields)
	want := map[string]int64{"total": 11, "human": 10, "app:wechat": 9, "os:ios": 6, "scene:group": 5, "os:android": 2}
	if got := generalCounters(string(out)); !maps.Equal(got, want) {
		t.Fatalf("merged %v; want %v", got, want)
	}
	if got := generalCounters(string(sc.mergeCounters(nil, "total=1,a_b=2", fields))); !maps.Equal(got,
		map[string]int64{"total": 3, "a_b": 2, "human": 2, "app:wechat": 2, "os:android": 2}) {
		t.Fatalf("merged with the text form: %v", got)
	}
	if n := testing.AllocsPerRun(100, func() { sc.mergeCounters(dst[:0], old, fields) }); n != 0 {
		t.Fatalf("mergeCounters: %v allocs; want 0", n)
	}
}

// FuzzScanCounters: whatever scanCounters accepts, the general decoder
// reads the same.
func FuzzScanCounters(f *testing.F) {
	f.Add("\x82\xa5total\x05\xa5human\xcd\x01\x00")
	f.Add("\x90")
	f.Add("total=1")
	f.Fuzz(func(t *testing.T, v string) {
		got := map[string]int64{}
		if !scanCounters(v, func(name string, n int64) { got[name] += n }) {
			return
		}
		if want := generalCounters(v); !maps.Equal(got, want) {
			t.Fatalf("scanCounters(%q) = %v; the general decoder reads %v", v, got, want)
		}
	})
}
