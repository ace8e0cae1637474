package clientinfo

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

// collidingUAs returns groups of per distinct User-Agents, every group sharing
// one L1 slot of d (distinct slots across groups). The UAs are corpus UAs
// with a suffix, so they classify like real traffic.
func collidingUAs(tb testing.TB, d *Detector, groups, per int) [][]string {
	tb.Helper()
	uas := corpusUAs(tb)
	bySlot := map[*atomic.Pointer[Client]][]string{}
	var out [][]string
	for n := 0; len(out) < groups; n++ {
		if n > 1_000_000 {
			tb.Fatalf("found only %d groups of %d colliding UAs", len(out), per)
		}
		ua := uas[n%len(uas)] + " Probe/" + strconv.Itoa(n)
		s := d.slot(ua)
		if len(bySlot[s]) == per { // this slot's group is complete
			continue
		}
		bySlot[s] = append(bySlot[s], ua)
		if len(bySlot[s]) == per {
			out = append(out, bySlot[s])
		}
	}
	return out
}

// TestDetectL1Collisions: many goroutines detect User-Agents that share L1
// slots, so slots are overwritten while others read them and otter evicts
// while the L1 serves; every answer must still be the uncached one. Run it
// with -race: the entries are read through the slot's atomic load only.
func TestDetectL1Collisions(t *testing.T) {
	for _, cfg := range []Config{{}, {CacheSize: 16}} {
		d := NewDetector(cfg)
		var uas []string
		for _, g := range collidingUAs(t, d, 6, 3) {
			uas = append(uas, g...)
		}
		uas = append(uas, corpusUAs(t)...) // and the corpus, colliding by chance
		want := make([]Client, len(uas))
		for i, ua := range uas {
			want[i] = classify(strings.Clone(ua))
		}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for n := range 1000 {
					// Mostly the colliding groups (hot, fighting over their
					// slots), now and then a corpus UA.
					i := (g*7 + n*5) % 18
					if n%10 == 9 {
						i = (g*13 + n) % len(uas)
					}
					if got := d.Detect(uas[i]); got != want[i] {
						t.Errorf("cfg %+v: Detect(%q) = %+v; want %+v", cfg, uas[i], got, want[i])
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

// TestDetectL1 walks one User-Agent through the two levels: otter first, the
// L1 from the second sighting, out of the L1 when a colliding UA is promoted,
// and still served by the L1 when otter has dropped it.
func TestDetectL1(t *testing.T) {
	d := NewDetector(Config{})
	g := collidingUAs(t, d, 1, 2)[0]
	a, b := g[0], g[1]
	slot := d.slot(a)
	want := classify(strings.Clone(a))

	if got := d.Detect(a); got != want || slot.Load() != nil {
		t.Fatalf("first Detect: got %+v, slot %p; want %+v and an empty slot (one-off UAs stay out of the L1)", got, slot.Load(), want)
	}
	if got := d.Detect(a); got != want || slot.Load() == nil || slot.Load().UA != a {
		t.Fatalf("second Detect: got %+v, slot %+v; want %+v, promoted", got, slot.Load(), want)
	}
	inOtter, _ := d.cache.GetIfPresent(a)
	if slot.Load() != inOtter {
		t.Errorf("L1 holds %p, otter %p; want the same entry (promotion allocates nothing)", slot.Load(), inOtter)
	}

	d.Detect(b)
	d.Detect(b)
	if e := slot.Load(); e == nil || e.UA != b {
		t.Fatalf("slot after promoting a colliding UA holds %+v; want %q", e, b)
	}
	if got := d.Detect(a); got != want || slot.Load().UA != a {
		t.Errorf("Detect after a collision: got %+v, slot UA %q; want %+v from otter, promoted again", got, slot.Load().UA, want)
	}

	// Otter may evict what the L1 serves (L1 hits are invisible to it): the
	// L1 keeps answering, and correctly.
	d.cache.Invalidate(a)
	if got := d.Detect(a); got != want {
		t.Errorf("Detect after otter dropped the UA: %+v; want %+v", got, want)
	}
	if _, ok := d.cache.GetIfPresent(a); ok {
		t.Errorf("an L1 hit reinserted the UA into otter; want otter untouched")
	}
}

// TestDetectL1HitAllocs: an L1 hit allocates nothing.
func TestDetectL1HitAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count under -short")
	}
	d := NewDetector(Config{})
	d.Detect(benchUA)
	d.Detect(benchUA)
	if e := d.slot(benchUA).Load(); e == nil || e.UA != benchUA {
		t.Fatalf("benchUA not in the L1 after two sightings: %+v", e)
	}
	if allocs := testing.AllocsPerRun(1000, func() { sink = d.Detect(benchUA) }); allocs != 0 {
		t.Errorf("L1 hit: %v allocs/op; want 0", allocs)
	}
}

// TestDetectL1CopiesInput: neither level keeps the caller's buffer, which
// Fiber reuses for the next request. The UA is detected from a buffer until
// it is in the L1, the buffer is overwritten, and later hits must still see
// the original UA.
func TestDetectL1CopiesInput(t *testing.T) {
	const ua = "Mozilla/5.0 (Linux; Android 12; V2134A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.99 XWEB/4343 MMWEBSDK/20220805 Mobile Safari/537.36 MicroMessenger/8.0.27.2220(0x28001B37) NetType/5G Language/zh_CN"
	want := classify(strings.Clone(ua))
	d := NewDetector(Config{})
	buf := []byte(ua)
	aliased := unsafe.String(&buf[0], len(buf))
	d.Detect(aliased)
	if got := d.Detect(aliased); got != want {
		t.Fatalf("Detect(aliased) = %+v; want %+v", got, want)
	}
	e := d.slot(ua).Load()
	if e == nil || e.UA != ua {
		t.Fatalf("UA not in the L1 after two sightings: %+v", e)
	}
	start, end := uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&buf[0]))+uintptr(len(buf))
	if p := uintptr(unsafe.Pointer(unsafe.StringData(e.UA))); start <= p && p < end {
		t.Fatalf("the L1 entry's UA points into the caller's buffer")
	}

	for i := range buf {
		buf[i] = 'X'
	}
	if got := d.Detect(ua); got != want {
		t.Errorf("L1 hit after the caller's buffer changed: %+v; want %+v", got, want)
	}
	// The overwritten buffer is now a different UA (all 'X'), found nowhere:
	// it must be classified as itself, not served from the stale slot.
	if got, plain := d.Detect(aliased), classify(strings.Repeat("X", len(ua))); got != plain {
		t.Errorf("Detect(overwritten buffer) = %+v; want %+v", got, plain)
	}
}

// TestL1Slots: the L1 never has more slots than the cache has entries, nor
// more than maxL1Slots, and always a power of two.
func TestL1Slots(t *testing.T) {
	for size, want := range map[int]int{1: 1, 2: 2, 3: 2, 16: 16, 100: 64, 1024: 1024, 5000: 1024, 0: 1024} {
		d := NewDetector(Config{CacheSize: size})
		if len(d.l1) != want || d.l1Mask != uint64(want-1) {
			t.Errorf("CacheSize %d: %d slots, mask %#x; want %d", size, len(d.l1), d.l1Mask, want)
		}
	}
	if d := NewDetector(Config{CacheSize: -1}); d.l1 != nil {
		t.Errorf("disabled cache: %d L1 slots; want none", len(d.l1))
	}
}
