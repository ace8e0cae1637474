package track

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"time"
)

// counterDelta is one counter group's increments from one batch.
type counterDelta struct {
	// key is the aggregator's prefix + e.g. "link:abc:d:20261125"; in
	// split mode (the Redis sink's bucket hashes) the bucket, e.g.
	// "d:20261125", and field names the link ("l:abc") or campaign
	// ("c:double11") within it.
	key   string
	field string
	hour  bool
	// fields: "total" first, then "human" and "bot" when non-zero, then the
	// "<dim>:<value>" fields of human taps in first-seen order. Names are
	// unique within a group.
	fields []fieldDelta
}

// fieldDelta is one counter field's increment.
type fieldDelta struct {
	name string
	n    int64
}

// Breakdown dimensions of the counter fields, in field order.
const (
	dimApp = iota
	dimOS
	dimDevice
	dimScene
	dimPay
	dimAction
	dimShell
	nDims
)

var dimPrefix = [nDims]string{"app:", "os:", "device:", "scene:", "pay:", "action:", "shell:"}

// Bounds of the name caches kept across batches (cleared when full).
const (
	maxCachedKeys   = 16384
	maxCachedFields = 16384
)

// tapProfile is what an event contributes to counters: events with the same
// profile add the same increments, so a batch is first folded by profile
// (one map lookup per event) and only distinct profiles are spread over the
// counter groups and fields.
type tapProfile struct {
	code, campaign string
	day, hour      int64 // local yyyymmdd, yyyymmddhh
	bot            bool
	dims           [nDims]string // zero for bots (breakdowns count humans)
}

type profileCount struct {
	p     tapProfile
	names [nDims]string // "<dim>:<value>" field names of p.dims
	at    time.Time     // of the first event with the profile (to format keys)
	n     int64
	next  int32 // next profile with the same hash, or -1
}

type groupID struct {
	id     string
	bucket int64 // yyyymmdd, or yyyymmddhh when hour
	camp   bool
	hour   bool
}

type groupCount struct {
	total, human, bot int64
	nf                int // dimension fields
	// Per dimension, the group's cells as a chain through fieldCell.next
	// (searched linearly: a dimension has a few values per group), and
	// its length; beyond chainMax the cells map is used for the dimension.
	head [nDims]int32
	nval [nDims]int32
}

const chainMax = 8

type fieldID struct {
	group int32
	dim   uint8
	v     string
}

type fieldCell struct {
	group int32
	next  int32 // next cell of the group and dimension, or -1
	v     string
	name  string
	n     int64
}

// aggregator sums a batch's counter increments per counter group, so a
// batch of 512 taps on one link costs a few dozen increments, not
// thousands. It keeps its maps and slices across batches, plus bounded
// caches of counter key and field names, so a steady batch allocates
// nothing but the names of groups and fields it has not seen recently.
// Not safe for concurrent use (see aggSlot); the deltas it returns are
// valid until its next aggregate call.
type aggregator struct {
	loc    *time.Location
	prefix string // of every counterDelta.key
	// split: keys name buckets and fields name links and campaigns (see
	// counterDelta); bucketNames caches the buckets' names by number
	// (a day yyyymmdd and an hour yyyymmddhh never collide).
	split       bool
	bucketNames map[int64]string

	seed     maphash.Seed
	profiles map[uint64]int32 // profile hash → first plist index (a map keyed
	// by tapProfile itself would allocate per insert: keys over 128 bytes
	// are stored out of line)
	plist   []profileCount
	groups  map[groupID]int32
	out     []counterDelta
	gcount  []groupCount
	cells   map[fieldID]int32
	clist   []fieldCell
	backing []fieldDelta
	pos     []int

	// Name caches, keyed by strings: counter key names per keyScope by
	// id, with the bucket each was made for, and field names per dimension
	// by value; nKeyNames and nFieldNames count their entries. (Keyed by
	// groupID and by dimension and value, the lookups took a quarter of a
	// 512-code batch's aggregation: a struct key is hashed and compared
	// field by field, a string key on the map's fast path.)
	keyNames               [4]map[string]cachedKey
	fieldNames             [nDims]map[string]string
	nKeyNames, nFieldNames int

	// Unix seconds [hourFrom, hourTo) are in local day cDay, hour cHour.
	hourFrom, hourTo, cDay, cHour int64
}

func newAggregator(loc *time.Location, prefix string) *aggregator {
	a := &aggregator{
		loc:      loc,
		prefix:   prefix,
		seed:     maphash.MakeSeed(),
		profiles: make(map[uint64]int32, 64),
		groups:   make(map[groupID]int32, 16),
		cells:    make(map[fieldID]int32, 64),
	}
	for i := range a.keyNames {
		a.keyNames[i] = make(map[string]cachedKey)
	}
	for i := range a.fieldNames {
		a.fieldNames[i] = make(map[string]string)
	}
	return a
}

// cachedKey is a counter key name and the bucket it names.
type cachedKey struct {
	bucket int64
	name   string
}

// keyScope indexes aggregator.keyNames.
func keyScope(id groupID) int {
	i := 0
	if id.camp {
		i = 2
	}
	if id.hour {
		i++
	}
	return i
}

// resetMap empties m for reuse, or replaces it when one odd batch made it
// big (clearing a huge map every batch would cost more than it saves).
func resetMap[K comparable, V any](m map[K]V, big int) map[K]V {
	if len(m) > big {
		return make(map[K]V, 64)
	}
	clear(m)
	return m
}

func (a *aggregator) aggregate(events []Event) []counterDelta {
	a.profiles = resetMap(a.profiles, 4096)
	a.groups = resetMap(a.groups, 4096)
	a.cells = resetMap(a.cells, 16384)
	clear(a.out) // drop references to the previous batch's strings
	a.plist, a.out, a.gcount, a.clist = a.plist[:0], a.out[:0], a.gcount[:0], a.clist[:0]

	for i := range events {
		ev := &events[i]
		if ev.Code == "" && ev.Campaign == "" {
			continue
		}
		p := tapProfile{code: ev.Code, campaign: ev.Campaign, bot: ev.Bot}
		p.day, p.hour = a.bucketsOf(ev.Time)
		if !ev.Bot {
			p.dims = [nDims]string{ev.App, ev.OS, ev.Device, ev.Scene, ev.PayChannel, ev.Action, ev.Shell}
		}
		h := a.hash(&p)
		head, ok := a.profiles[h]
		if !ok {
			head = -1
		}
		j := head
		for j >= 0 && a.plist[j].p != p {
			j = a.plist[j].next
		}
		if j >= 0 {
			a.plist[j].n++
			continue
		}
		a.profiles[h] = int32(len(a.plist))
		a.plist = append(a.plist, profileCount{p: p, at: ev.Time, n: 1, next: head})
	}
	for j := range a.plist {
		pc := &a.plist[j]
		for d, v := range pc.p.dims {
			if v != "" {
				pc.names[d] = a.fieldName(uint8(d), v)
			}
		}
		if pc.p.code != "" {
			a.add(groupID{id: pc.p.code, bucket: pc.p.day}, pc)
			a.add(groupID{id: pc.p.code, bucket: pc.p.hour, hour: true}, pc)
		}
		if pc.p.campaign != "" {
			a.add(groupID{id: pc.p.campaign, bucket: pc.p.day, camp: true}, pc)
			a.add(groupID{id: pc.p.campaign, bucket: pc.p.hour, camp: true, hour: true}, pc)
		}
	}
	clear(a.plist) // drop references to the batch's strings

	// Lay the fields out group by group in one backing array.
	nf := 0
	for _, c := range a.gcount {
		nf += 1 + c.nf
		if c.human > 0 {
			nf++
		}
		if c.bot > 0 {
			nf++
		}
	}
	if cap(a.backing) < nf {
		a.backing = make([]fieldDelta, nf)
	}
	clear(a.backing)
	a.backing = a.backing[:nf]
	a.pos = a.pos[:0]
	off := 0
	for g, c := range a.gcount {
		start := off
		a.backing[off] = fieldDelta{fieldTotal, c.total}
		off++
		if c.human > 0 {
			a.backing[off] = fieldDelta{fieldHuman, c.human}
			off++
		}
		if c.bot > 0 {
			a.backing[off] = fieldDelta{fieldBot, c.bot}
			off++
		}
		a.pos = append(a.pos, off)
		off += c.nf
		a.out[g].fields = a.backing[start:off:off]
	}
	for _, cell := range a.clist {
		a.backing[a.pos[cell.group]] = fieldDelta{cell.name, cell.n}
		a.pos[cell.group]++
	}
	clear(a.clist)
	return a.out
}

// hash mixes maphash hashes of p's fields (equal profiles, equal hashes).
func (a *aggregator) hash(p *tapProfile) uint64 {
	const k = 0x9e3779b97f4a7c15
	h := uint64(p.hour)*k ^ maphash.String(a.seed, p.code)
	h = (bits.RotateLeft64(h, 31) ^ maphash.String(a.seed, p.campaign)) * k
	if p.bot {
		h ^= 1
	}
	for _, v := range p.dims {
		h = (bits.RotateLeft64(h, 31) ^ maphash.String(a.seed, v)) * k
	}
	return h & profileHashMask
}

// profileHashMask is all ones; tests narrow it to force hash collisions.
var profileHashMask = ^uint64(0)

// add adds a profile's taps to one counter group.
func (a *aggregator) add(id groupID, pc *profileCount) {
	g, ok := a.groups[id]
	if !ok {
		g = int32(len(a.out))
		a.groups[id] = g
		d := counterDelta{hour: id.hour}
		if a.split {
			d.key, d.field = a.bucketName(id, pc.at), a.fieldOf(id)
		} else {
			d.key = a.keyName(id, pc.at)
		}
		a.out = append(a.out, d)
		a.gcount = append(a.gcount, groupCount{head: [nDims]int32{-1, -1, -1, -1, -1, -1, -1}})
	}
	c := &a.gcount[g]
	c.total += pc.n
	if pc.p.bot {
		c.bot += pc.n
		return
	}
	c.human += pc.n
	for d, v := range pc.p.dims {
		if v == "" {
			continue
		}
		ci := int32(-1)
		if c.nval[d] <= chainMax {
			for ci = c.head[d]; ci >= 0 && a.clist[ci].v != v; ci = a.clist[ci].next {
			}
		} else if i, ok := a.cells[fieldID{group: g, dim: uint8(d), v: v}]; ok {
			ci = i
		}
		if ci < 0 {
			ci = int32(len(a.clist))
			a.clist = append(a.clist, fieldCell{group: g, next: c.head[d], v: v, name: pc.names[d]})
			c.head[d] = ci
			c.nf++
			if c.nval[d]++; c.nval[d] > chainMax {
				// Long chain: index the dimension's cells (all of them
				// the first time).
				for i := ci; i >= 0; i = a.clist[i].next {
					a.cells[fieldID{group: g, dim: uint8(d), v: a.clist[i].v}] = i
					if c.nval[d] > chainMax+1 {
						break
					}
				}
			}
		}
		a.clist[ci].n += pc.n
	}
}

// keyName is the counter group's key, "link:<code>:d:<yyyymmdd>" etc.,
// formatted from at (a time in the bucket) once per group and cached.
func (a *aggregator) keyName(id groupID, at time.Time) string {
	names := a.keyNames[keyScope(id)]
	c, cached := names[id.id]
	if cached && c.bucket == id.bucket {
		return c.name
	}
	scope, gran, layout := "link", granDay, "20060102"
	if id.camp {
		scope = "camp"
	}
	if id.hour {
		gran, layout = granHour, "2006010215"
	}
	k := a.prefix + counterKey(scope, id.id, gran, at.In(a.loc).Format(layout))
	if a.nKeyNames >= maxCachedKeys {
		for _, m := range a.keyNames {
			clear(m)
		}
		a.nKeyNames, cached = 0, false
	}
	if !cached {
		a.nKeyNames++
	}
	// The id's name for an earlier bucket, if cached, is replaced: buckets
	// move on with the clock.
	names[id.id] = cachedKey{id.bucket, k}
	return k
}

// newSplitAggregator is an aggregator in split mode (see counterDelta).
func newSplitAggregator(loc *time.Location) *aggregator {
	a := newAggregator(loc, "")
	a.split = true
	a.bucketNames = make(map[int64]string, 4)
	return a
}

// bucketName is "d:<yyyymmdd>" or "h:<yyyymmddhh>" (split mode), cached.
func (a *aggregator) bucketName(id groupID, at time.Time) string {
	if n, ok := a.bucketNames[id.bucket]; ok {
		return n
	}
	gran, layout := granDay, "20060102"
	if id.hour {
		gran, layout = granHour, "2006010215"
	}
	if len(a.bucketNames) >= 64 {
		clear(a.bucketNames)
	}
	n := gran + ":" + at.In(a.loc).Format(layout)
	a.bucketNames[id.bucket] = n
	return n
}

// fieldOf is the bucket-hash field of a link ("l:<code>") or campaign
// ("c:<campaign>") in split mode, cached like key names.
func (a *aggregator) fieldOf(id groupID) string {
	names := a.keyNames[keyScope(id)&^1] // day and hour share the name
	if c, ok := names[id.id]; ok {
		return c.name
	}
	if a.nKeyNames >= maxCachedKeys {
		for _, m := range a.keyNames {
			clear(m)
		}
		a.nKeyNames = 0
	}
	f := bucketFieldLink + id.id
	if id.camp {
		f = bucketFieldCamp + id.id
	}
	names[id.id] = cachedKey{name: f}
	a.nKeyNames++
	return f
}

// fieldName is "<dim>:<v>", built once per distinct value and cached.
func (a *aggregator) fieldName(dim uint8, v string) string {
	names := a.fieldNames[dim]
	if f, ok := names[v]; ok {
		return f
	}
	f := dimPrefix[dim] + v
	if a.nFieldNames >= maxCachedFields {
		for _, m := range a.fieldNames {
			clear(m)
		}
		a.nFieldNames = 0
	}
	names[v] = f
	a.nFieldNames++
	return f
}

// bucketsOf is t's local day (yyyymmdd) and hour (yyyymmddhh), as numbers.
// Taps of a batch mostly fall in one hour, so the hour's span is remembered
// (unless a zone transition falls inside it) and the next tap in it costs a
// comparison.
func (a *aggregator) bucketsOf(t time.Time) (day, hour int64) {
	sec := t.Unix()
	if sec >= a.hourFrom && sec < a.hourTo {
		return a.cDay, a.cHour
	}
	lt := t.In(a.loc)
	y, m, d := lt.Date()
	h, mi, s := lt.Clock()
	day = (int64(y)*100+int64(m))*100 + int64(d)
	hour = day*100 + int64(h)
	from := sec - int64(mi*60+s)
	to := from + 3600
	_, off := lt.Zone()
	_, offFrom := time.Unix(from, 0).In(a.loc).Zone()
	_, offTo := time.Unix(to-1, 0).In(a.loc).Zone()
	if offFrom == off && offTo == off {
		a.hourFrom, a.hourTo, a.cDay, a.cHour = from, to, day, hour
	} else {
		a.hourFrom, a.hourTo = 0, 0
	}
	return day, hour
}

// aggSlot holds a sink's reusable aggregator (and whatever scratch the sink
// keeps with it). A WriteBatch takes it with TryLock; a concurrent one gets
// a fresh aggregator instead of waiting.
type aggSlot[T any] struct {
	mu    sync.Mutex
	state *T
}

func (s *aggSlot[T]) get(fresh func() *T) (st *T, release func()) {
	if s.mu.TryLock() {
		if s.state == nil {
			s.state = fresh()
		}
		return s.state, s.mu.Unlock
	}
	return fresh(), func() {}
}
