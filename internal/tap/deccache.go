package tap

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"sync/atomic"

	"github.com/maypok86/otter/v2"

	"github.com/hutong-dev/hutong/internal/cachework"
	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// decisionCacheSize bounds the decision cache: about 0.5 KiB an entry.
const decisionCacheSize = 20000

// DecisionKey names a cached decision (Tap.CacheKey): comparable, opaque
// outside this package. A renderer may key its own cache of rendered pages
// by it (plus what else the page depends on, such as the language).
type DecisionKey = decisionKey

// decisionKey is everything a short-link tap's decision depends on when the
// tap carries no query parameters that could be forwarded: the rules in
// force, the link's identity and revision (a re-created code has another
// CreatedAt, an edit another Version) and the parts of the client the router
// reads (class, pay channel and intent choice derive from these).
type decisionKey struct {
	table        *route.Table
	domain, code string
	created      int64
	version      int64
	app          clientinfo.App
	os           clientinfo.OS
	device       clientinfo.Device
	browser      string
	bot          bool
}

// decisions caches routing decisions of warm short-link taps, so a repeated
// (link, client class) costs a map lookup instead of template expansion.
// Safe for concurrent use; Decision values are immutable.
type decisions struct {
	c *otter.Cache[decisionKey, route.Decision]
	// door admits a decision into c on its key's second miss: see doorkeeper.
	door *doorkeeper
}

func newDecisions() *decisions {
	return &decisions{
		door: newDoorkeeper(),
		c: otter.Must(&otter.Options[decisionKey, route.Decision]{
			MaximumSize:     decisionCacheSize,
			InitialCapacity: 1024,
			Executor:        cachework.Executor,
		}),
	}
}

// cacheable reports whether a tap's decision may come from the cache: a
// short link with a stored entity that needs no lookup, and a query none of
// whose parameters reaches the destination (neither the rules'
// forward_params nor the link's forward_click_ids name it; WeChat's from
// and isappinstalled never do). Such a query does not change the decision.
func cacheable(t *Tap, table *route.Table) bool {
	if t.Link == nil || t.Entity.Kind == resolver.KindShort || t.Entity.Kind == resolver.KindPassword {
		return false
	}
	for _, p := range t.Req.Query {
		if table.ForwardsClickID(p.Key) || slices.Contains(t.Link.ForwardClickIDs, p.Key) {
			return false
		}
	}
	return true
}

func keyOf(table *route.Table, l *shortlink.Link, cl *clientinfo.Client) decisionKey {
	return decisionKey{
		table: table, domain: l.Domain, code: l.Code, created: l.CreatedAt.UnixNano(), version: l.Version,
		app: cl.App, os: cl.OS, device: cl.Device, browser: cl.Browser, bot: cl.Bot,
	}
}

// doorSets and doorWays size the doorkeeper: 4,096 sets of 4 key hashes,
// 128 KiB. A key's first miss is remembered until about doorSets*doorWays
// other first misses have gone by (at 10k cold taps a second, about 1.6 s),
// so a link tapped more often than that is cached from its second tap on.
const (
	doorSets = 4096
	doorWays = 4
)

// doorkeeper decides which decision-cache misses are worth caching: a key
// is admitted on its second miss while its first is still remembered, so a
// link tapped once (the long tail of a Zipf mix, a sweep of cold codes, a
// scan) is decided without paying the cache's insert and the eviction it
// forces (about a tenth of a cold tap's CPU before), while a link tapped
// twice is cached from its second tap on. The idea of TinyLFU's
// doorkeeper, as a 4-way set-associative table of key hashes (an empty
// way first, else one at random) instead of a Bloom filter with resets:
// keys only contend
// for a set's four ways, so a hot set of thousands of links is admitted
// at once, and a collision can only delay an admission, never cause a
// wrong decision, since the cache itself is keyed by the full key.
// Lock-free and allocation-free; safe for concurrent use.
type doorkeeper struct {
	seed   maphash.Seed
	victim atomic.Uint32 // picks the way a first miss replaces in a full set
	sets   [doorSets][doorWays]atomic.Uint64
}

func newDoorkeeper() *doorkeeper { return &doorkeeper{seed: maphash.MakeSeed()} }

// admit reports whether k has missed before (recently): true means cache it.
func (d *doorkeeper) admit(k *decisionKey) bool {
	h := d.hash(k) | 1 // never 0, the empty way
	set := &d.sets[h%doorSets]
	free := -1
	for w := range set {
		switch set[w].Load() {
		case h:
			// Admitted: the cache holds it now, so its way is free
			// for the next key.
			set[w].CompareAndSwap(h, 0)
			return true
		case 0:
			free = w
		}
	}
	if free < 0 {
		free = int(d.victim.Add(1) % doorWays)
	}
	set[free].Store(h)
	return false
}

// hash covers every field of the key except the rules table, which changes
// only on a reload (a reload re-admits at most one tap per key later).
func (d *doorkeeper) hash(k *decisionKey) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.WriteString(k.domain)
	h.WriteByte(0)
	h.WriteString(k.code)
	h.WriteByte(0)
	h.WriteString(string(k.app))
	h.WriteByte(0)
	h.WriteString(string(k.os))
	h.WriteByte(0)
	h.WriteString(string(k.device))
	h.WriteByte(0)
	h.WriteString(k.browser)
	var b [17]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(k.created))
	binary.LittleEndian.PutUint64(b[8:], uint64(k.version))
	if k.bot {
		b[16] = 1
	}
	h.Write(b[:])
	return h.Sum64()
}
