package server

import (
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
	if d.admit(&b) && d.hash(&a)%doorSlots != d.hash(&b)%doorSlots {
		t.Fatal("first miss of b admitted")
	}
	if !d.admit(&a) || !d.admit(&a) {
		t.Fatal("a not admitted on its second and third miss")
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
