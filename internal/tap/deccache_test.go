package tap

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/hutong-dev/hutong/internal/clientinfo"
)

func TestDoorkeeperAdmitsOnSecondMiss(t *testing.T) {
	d := newDoorkeeper()
	a := decisionKey{code: "aB3dE5f", created: 1, version: 1, app: clientinfo.AppWeChat, os: clientinfo.OSiOS}
	b := a
	b.code = "Zz9Zz9Z"
	if d.admit(&a) {
		t.Fatal("first miss of a admitted")
	}
	if d.admit(&b) {
		t.Fatal("first miss of b admitted")
	}
	if !d.admit(&a) {
		t.Fatal("a not admitted on its second miss")
	}
	// Admitted keys leave the doorkeeper (the cache holds them): a later
	// miss (the cache dropped it) starts over.
	if d.admit(&a) || !d.admit(&a) {
		t.Fatal("a's miss after admission: want not admitted, then admitted on the next")
	}
}

// TestDoorkeeperHashCoversKey: keys differing in any one field (the rules
// table aside) hash apart, so one link's admission never stands for
// another's, nor one client class's for another's.
func TestDoorkeeperHashCoversKey(t *testing.T) {
	d := newDoorkeeper()
	base := decisionKey{domain: "go.example", code: "aB3dE5f", created: 1, version: 1,
		app: clientinfo.AppWeChat, os: clientinfo.OSiOS, device: clientinfo.DeviceMobile, browser: "Safari"}
	variants := map[string]decisionKey{"base": base}
	mut := func(name string, f func(*decisionKey)) {
		k := base
		f(&k)
		variants[name] = k
	}
	mut("domain", func(k *decisionKey) { k.domain = "" })
	mut("code", func(k *decisionKey) { k.code = "aB3dE5g" })
	mut("domain/code boundary", func(k *decisionKey) { k.domain, k.code = "go.exampleaB3", "dE5f" })
	mut("created", func(k *decisionKey) { k.created = 2 })
	mut("version", func(k *decisionKey) { k.version = 2 })
	mut("app", func(k *decisionKey) { k.app = clientinfo.AppAlipay })
	mut("os", func(k *decisionKey) { k.os = clientinfo.OSAndroid })
	mut("device", func(k *decisionKey) { k.device = clientinfo.DeviceTablet })
	mut("browser", func(k *decisionKey) { k.browser = "Chrome" })
	mut("bot", func(k *decisionKey) { k.bot = true })
	seen := map[uint64]string{}
	for name, k := range variants {
		h := d.hash(&k)
		if other, dup := seen[h]; dup {
			t.Errorf("%s and %s hash alike", name, other)
		}
		seen[h] = name
	}
}

func TestDoorkeeperAllocs(t *testing.T) {
	d := newDoorkeeper()
	k := decisionKey{domain: "go.example", code: "aB3dE5f", app: clientinfo.AppWeChat, browser: "Safari"}
	if n := testing.AllocsPerRun(100, func() { d.admit(&k) }); n != 0 {
		t.Errorf("admit: %v allocs, want 0", n)
	}
}

func BenchmarkDoorkeeperAdmit(b *testing.B) {
	d := newDoorkeeper()
	k := decisionKey{code: "aB3dE5f", app: clientinfo.AppWeChat, os: clientinfo.OSiOS, device: clientinfo.DeviceMobile}
	for b.Loop() {
		d.admit(&k)
	}
}

// TestDoorkeeperAdmitsAHotSet: a hot set of links tapped in random order
// (each tap of a key not yet admitted is a miss) is admitted within a few
// rounds even though some keys share a slot, and a sweep of one-off keys
// in between does not keep a key tapped twice in a row out.
func TestDoorkeeperAdmitsAHotSet(t *testing.T) {
	d := newDoorkeeper()
	rng := rand.New(rand.NewPCG(1, 2))
	const hot = 5000
	keys := make([]decisionKey, hot)
	for i := range keys {
		keys[i] = decisionKey{code: "h" + strconv.Itoa(i), app: clientinfo.AppWeChat}
	}
	admitted := make([]bool, hot)
	left := hot
	for round := 1; left > 0; round++ {
		// Keys crowding one set (5+ of 4 ways) can lose their first miss
		// to each other: a few take longer, none stays out.
		if round == 4 && left > hot/50 {
			t.Fatalf("%d of %d hot keys not admitted after 3 rounds; want under 2%%", left, hot)
		}
		if round > 30 {
			t.Fatalf("%d of %d hot keys still not admitted after 30 rounds", left, hot)
		}
		for _, i := range rng.Perm(hot) {
			if !admitted[i] && d.admit(&keys[i]) {
				admitted[i] = true
				left--
			}
		}
	}
	for i := range doorSets * doorWays * 4 {
		k := decisionKey{code: "cold" + strconv.Itoa(i)}
		if d.admit(&k) {
			t.Fatalf("one-off key %d admitted on its first miss", i)
		}
	}
	k := decisionKey{code: "late", app: clientinfo.AppWeChat}
	if d.admit(&k) || !d.admit(&k) {
		t.Fatal("a key missing twice in a row after a sweep is not admitted")
	}
}
