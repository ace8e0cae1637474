package track

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisConfig configures a RedisSink. Fields marked Optional have defaults.
type RedisConfig struct {
	// Stream is the event stream key. Optional. Default: "hutong:events".
	// Every other key of the sink starts with "{" + Stream + "}:" so that,
	// on Redis Cluster, a batch (stream, counters, writer marks) lives in one
	// hash slot and is written by one atomic script.
	Stream string
	// MaxLen trims the stream approximately (XADD MAXLEN ~). Optional.
	// Default: 1,000,000 entries. Negative: never trim.
	MaxLen int64
	// DayTTL is the lifetime of daily counter hashes. Optional. Default: 400 days.
	DayTTL time.Duration
	// HourTTL is the lifetime of hourly counter hashes. Optional. Default: 8 days.
	HourTTL time.Duration
	// Location is the time zone of day/hour buckets. Optional. Default:
	// UTC+8 (China Standard Time, no DST).
	Location *time.Location
}

func (c *RedisConfig) defaults() {
	if c.Stream == "" {
		c.Stream = "hutong:events"
	}
	if c.MaxLen == 0 {
		c.MaxLen = 1_000_000
	}
	if c.DayTTL <= 0 {
		c.DayTTL = 400 * 24 * time.Hour
	}
	if c.HourTTL <= 0 {
		c.HourTTL = 8 * 24 * time.Hour
	}
	if c.Location == nil {
		c.Location = ChinaTime
	}
}

// ChinaTime is UTC+8, the default bucket time zone. China has no daylight
// saving, so a fixed zone is exact and needs no tzdata.
var ChinaTime = time.FixedZone("CST", 8*3600)

// RedisSink writes batches to a Redis Stream plus counter hashes and answers
// stats and event queries from them. It is safe for concurrent use; the zero
// value is not usable (use NewRedisSink).
//
// Key layout (S = the stream name, default hutong:events):
//
//	S                                stream, one entry per tap
//	{S}:writers                      hash writer-id → highest batch seq applied
//	{S}:link:<code>:d:<yyyymmdd>     hash of counters, TTL DayTTL
//	{S}:link:<code>:h:<yyyymmddhh>   hash of counters, TTL HourTTL
//	{S}:camp:<campaign>:d:…, :h:…    the same per campaign
type RedisSink struct {
	rdb             redis.UniversalClient
	cfg             RedisConfig
	prefix          string
	dayTTL, hourTTL int64  // seconds
	maxLen          int64  // cfg.MaxLen, 0 for never
	writers         string // the writers hash's key
	stream          any    // cfg.Stream, boxed once
	scratch         aggSlot[redisScratch]
}

var _ Sink = (*RedisSink)(nil)

// NewRedisSink returns a sink on rdb (single node, Sentinel or Cluster). The
// client should have ContextTimeoutEnabled so write deadlines hold.
func NewRedisSink(rdb redis.UniversalClient, cfg RedisConfig) *RedisSink {
	cfg.defaults()
	prefix := "{" + cfg.Stream + "}:"
	return &RedisSink{rdb: rdb, cfg: cfg, prefix: prefix,
		dayTTL: int64(cfg.DayTTL / time.Second), hourTTL: int64(cfg.HourTTL / time.Second),
		maxLen: max(cfg.MaxLen, 0), writers: prefix + "writers", stream: cfg.Stream}
}

// Stream is the stream key.
func (s *RedisSink) Stream() string { return s.cfg.Stream }

// writeScript applies one batch atomically, unless the writer already
// applied a batch with this or a higher sequence number.
//
// KEYS[1] stream, KEYS[2] writers hash, KEYS[3..] counter hashes.
// ARGV: writer, seq, maxlen (0 = no trim), nEvents, day TTL, hour TTL,
// refresh ("1": re-check existing hashes' TTLs, see ttlRefreshEvery), then
// per event code, ts, visit, json; then per counter hash a spec, 2*nFields
// (+1 for an hourly hash), followed by nFields field, delta pairs; nFields
// 0 means the same pairs as the hash before it (a code's day and hour hash
// get the same increments from a batch within one hour).
//
// Redis CPU per event is what this script is tuned for:
//   - the stream is trimmed (MAXLEN ~) by the batch's last XADD only (and
//     every 4096th in a huge batch, within XADD's default trim LIMIT of 100
//     stream nodes): trimming is by whole nodes either way, so the stream
//     stays within MAXLEN ~ as before, without a trim check per entry;
//   - a counter hash gets one HMGET of the batch's fields and one HSET of
//     the sums: the values a HINCRBY per field would leave, since the sum is
//     done in Lua numbers (doubles) only while the old value and the sum are
//     integers below 2^53 in magnitude, and written with %d (never 1e+15);
//     a chunk of fields with any other number gets one HINCRBY per field
//     instead. (Lua reads "0x1f" or " 5" as numbers where HINCRBY refuses
//     them, and fails the script on what is no number, as HINCRBY does; but
//     only this script writes these hashes, so their values are plain
//     integers.) This replaces ~8 write commands per hash with one, and
//     every write a script makes is propagated to AOF and replicas;
//   - a hash gets its TTL once, when this script creates it: every batch
//     counts "total" (the first field), so a hash whose "total" the HMGET
//     finds missing is new and gets one EXPIRE after its HSET; an existing
//     hash keeps the TTL it was given (a day's hash is written during that
//     day only, an hour's during that hour, so the expiry moves by at most
//     a day or an hour from the last write). Before, every hash was
//     EXPIREd in every batch: two commands fewer per event on codes new to
//     the batch, though not much less Redis CPU (on millions of keys the
//     memory misses of finding a key go to whichever command comes first).
//     One batch in ttlRefreshEvery also asks TTL of each existing hash it
//     writes and sets it again when it is missing or longer than
//     configured;
//   - every argument costs Redis CPU (parsed, then copied into Lua), so
//     the TTLs come once per batch and a run of hashes with the same
//     increments carries them once.
//
// HSET and HMGET take at most 1000 fields a call (unpack's limit is ~8000
// values on Lua's C stack).
const writeScriptSrc = `
local call, argv, fmt = redis.call, ARGV, string.format
local hw = tonumber(call('HGET', KEYS[2], argv[1]) or '0')
if tonumber(argv[2]) <= hw then return 0 end
call('HSET', KEYS[2], argv[1], argv[2])
local stream = KEYS[1]
local maxlen = argv[3]
local n = tonumber(argv[4])
local ttls = {[0] = argv[5], argv[6]}
local refresh = argv[7] == '1'
local i = 8
for e = 1, n do
  if maxlen ~= '0' and (e == n or e % 4096 == 0) then
    call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'code', argv[i], 'ts', argv[i+1], 'visit', argv[i+2], 'e', argv[i+3])
  else
    call('XADD', stream, '*', 'code', argv[i], 'ts', argv[i+1], 'visit', argv[i+2], 'e', argv[i+3])
  end
  i = i + 4
end
-- fs: the field names of the pairs from argv[named]; kv: the same names
-- at odd indexes, for HSET; dn: delta string -> number.
local fs, kv, dn, named = {}, {}, {}, 0
local lim = 9007199254740992 -- 2^53
local first, last = i, i - 1
for k = 3, #KEYS do
  local key = KEYS[k]
  local spec = tonumber(argv[i])
  local hour = spec % 2
  local ttl = ttls[hour]
  i = i + 1
  if spec > 1 then
    first, last = i, i + spec - hour - 1
    i = last + 1
  end
  local new = false
  for j = first, last, 2000 do
    local nf = (math.min(j + 1999, last) - j + 1) / 2
    if named ~= j then
      for f = 1, nf do
        local name = argv[j + 2*f - 2]
        fs[f] = name
        kv[2*f - 1] = name
      end
      named = j
    end
    local old = call('HMGET', key, unpack(fs, 1, nf))
    if j == first and not old[1] then new = true end
    local exact = true
    for f = 1, nf do
      local d = argv[j + 2*f - 1]
      local dv = dn[d]
      if not dv then
        dv = tonumber(d)
        dn[d] = dv
      end
      local v = old[f]
      v = v and v + 0 or 0
      local sum = v + dv
      if v % 1 == 0 and v > -lim and v < lim and sum > -lim and sum < lim then
        kv[2*f] = fmt('%d', sum)
      else
        exact = false
        break
      end
    end
    if exact then
      call('HSET', key, unpack(kv, 1, 2*nf))
    else
      for h = j, j + 2*nf - 1, 2 do
        call('HINCRBY', key, argv[h], argv[h+1])
      end
    end
  end
  if new then
    call('EXPIRE', key, ttl)
  elseif refresh then
    local left = call('TTL', key)
    if left == -1 or left > tonumber(ttl) then call('EXPIRE', key, ttl) end
  end
end
return 1
`

// ttlRefreshEvery: every this many batches of a writer (by Seq), the
// script also re-checks the TTL of each existing counter hash it writes and
// sets it again when the hash has none (a PERSIST by hand, a hash written
// by something else) or more than the configured one (DayTTL or HourTTL
// lowered). Other batches set a TTL only on the hashes they create, which
// is what keeps a batch's Redis time low; this bounds how long a hash can
// go without its TTL to the next refresh batch that touches it.
const ttlRefreshEvery = 64

var (
	writeScript = redis.NewScript(writeScriptSrc)
	// Boxed once: WriteBatch's command arguments allocate nothing per batch.
	writeScriptSHA  any = writeScript.Hash()
	writeScriptEval any = writeScriptSrc
)

// redisScratch is a RedisSink's reusable per-batch state (see aggSlot).
type redisScratch struct {
	agg     *aggregator
	js      []byte    // the batch's events as JSON, back to back
	ends    []int     // where each event's JSON ends in js
	jsons   []jsonArg // each event's JSON in js
	ts      []int64   // event times, Unix ms
	specs   []int64   // per counter hash its spec (see writeScript)
	nkeys   int       // the script's number of KEYS
	refresh int64     // 1 when the batch re-checks TTLs (ttlRefreshEvery)
	nev     int       // the batch's number of events
	args    []any     // the EVALSHA command: pointers into the batch, the
	// sink, ts, jsons, specs and agg; no boxing
}

// jsonArg is one event's JSON, js[from:to], as a command argument: go-redis
// writes what MarshalBinary returns, so the batch's JSON buffer goes to the
// connection without being copied into strings first.
type jsonArg struct {
	from, to int
	js       []byte
}

func (a *jsonArg) MarshalBinary() ([]byte, error) { return a.js[a.from:a.to], nil }

// WriteBatch implements Sink: one EVALSHA round trip per batch (see
// writeScript), atomic and idempotent per (Writer, Seq).
func (s *RedisSink) WriteBatch(ctx context.Context, b *Batch) (bool, error) {
	if len(b.Events) == 0 {
		return true, nil
	}
	sc, release := s.scratch.get(func() *redisScratch { return &redisScratch{agg: newAggregator(s.cfg.Location, s.prefix)} })
	defer release()
	deltas := sc.agg.aggregate(b.Events)

	// Encode every event into one buffer; the script's ARGV gets each
	// event's JSON as a slice of it (see jsonArg).
	var err error
	if sc.js, sc.ends, err = encodeEvents(sc.js, sc.ends, b.Events); err != nil {
		return false, err
	}
	sc.ts, sc.jsons = sc.ts[:0], sc.jsons[:0]
	start := 0
	for i, end := range sc.ends {
		sc.jsons = append(sc.jsons, jsonArg{from: start, to: end, js: sc.js})
		sc.ts = append(sc.ts, b.Events[i].Time.UnixMilli())
		start = end
	}

	// A hash with the same increments as the one before it refers to them.
	sc.specs = sc.specs[:0]
	nf := 0
	for g, d := range deltas {
		spec := int64(0)
		if d.hour {
			spec = 1
		}
		if g == 0 || !slices.Equal(d.fields, deltas[g-1].fields) {
			spec += 2 * int64(len(d.fields))
			nf += len(d.fields)
		}
		sc.specs = append(sc.specs, spec)
	}
	sc.nkeys, sc.nev = 2+len(deltas), len(b.Events)

	// The command is built by hand, not by Script.Run, so that every
	// argument is a pointer (or boxed once) and the slice is reused: keys
	// and args in one slice, nothing allocated per batch. The first key is
	// a string, which a ClusterClient routes by.
	args := slices.Grow(sc.args[:0], 5+2*len(deltas)+7+4*len(b.Events)+2*nf)
	args = append(args, "evalsha", writeScriptSHA, &sc.nkeys, s.stream, &s.writers)
	for g := range deltas {
		args = append(args, &deltas[g].key) // prefixed by the aggregator
	}
	sc.refresh = 0
	if b.Seq%ttlRefreshEvery == 0 {
		sc.refresh = 1
	}
	args = append(args, &b.Writer, &b.Seq, &s.maxLen, &sc.nev, &s.dayTTL, &s.hourTTL, &sc.refresh)
	for i := range b.Events {
		ev := &b.Events[i]
		args = append(args, &ev.Code, &sc.ts[i], &ev.VisitID, &sc.jsons[i])
	}
	for g := range deltas {
		args = append(args, &sc.specs[g])
		if sc.specs[g] > 1 {
			fs := deltas[g].fields
			for j := range fs {
				args = append(args, &fs[j].name, &fs[j].n)
			}
		}
	}
	n, err := s.rdb.Do(ctx, args...).Int()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		args[0], args[1] = "eval", writeScriptEval
		n, err = s.rdb.Do(ctx, args...).Int()
	}
	clear(args) // drop pointers into the batch
	clear(sc.jsons)
	sc.args = args[:0]
	if cap(sc.js) > 4<<20 {
		sc.js = nil // one huge batch: do not keep its buffer
	}
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// Stats implements Querier.
func (s *RedisSink) Stats(ctx context.Context, code string, from, to time.Time, by string) (*Stats, error) {
	return s.stats(ctx, "link", code, from, to, by)
}

// CampaignStats implements Querier.
func (s *RedisSink) CampaignStats(ctx context.Context, campaign string, from, to time.Time, by string) (*Stats, error) {
	return s.stats(ctx, "camp", campaign, from, to, by)
}

func (s *RedisSink) stats(ctx context.Context, scope, id string, from, to time.Time, by string) (*Stats, error) {
	by, plan, err := planBuckets(scope, id, from, to, by, s.cfg.Location)
	if err != nil {
		return nil, err
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(plan.keys))
	for i, k := range plan.keys {
		cmds[i] = pipe.HGetAll(ctx, s.prefix+k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("track: stats: %w", err)
	}
	rows := make([]map[string]int64, len(cmds))
	for i, c := range cmds {
		m := c.Val()
		if len(m) == 0 {
			continue
		}
		row := make(map[string]int64, len(m))
		for f, v := range m {
			n, _ := strconv.ParseInt(v, 10, 64)
			row[f] = n
		}
		rows[i] = row
	}
	return buildStats(scopeName(scope), id, from, to, by, plan, rows), nil
}

func scopeName(scope string) string {
	if scope == "camp" {
		return "campaign"
	}
	return scope
}

// Events implements Querier with XRANGE (after, +] COUNT limit. limit is
// clamped to 1..1000 (default 100).
func (s *RedisSink) Events(ctx context.Context, after string, limit int) (*EventPage, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	start := "-"
	if after != "" {
		if !validStreamID(after) {
			return nil, fmt.Errorf("%w: cursor %q", ErrInvalidQuery, after)
		}
		start = "(" + after
	}
	msgs, err := s.rdb.XRangeN(ctx, s.cfg.Stream, start, "+", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("track: events: %w", err)
	}
	page := &EventPage{Events: make([]StoredEvent, 0, len(msgs)), Next: after}
	for _, m := range msgs {
		se := StoredEvent{ID: m.ID}
		if js, ok := m.Values["e"].(string); ok {
			if err := json.Unmarshal([]byte(js), &se.Event); err != nil {
				return nil, fmt.Errorf("track: events: entry %s: %w", m.ID, err)
			}
		}
		page.Events = append(page.Events, se)
		page.Next = m.ID
	}
	return page, nil
}

func validStreamID(id string) bool {
	ms, seq, ok := strings.Cut(id, "-")
	if _, err := strconv.ParseUint(ms, 10, 64); err != nil {
		return false
	}
	if !ok {
		return true
	}
	_, err := strconv.ParseUint(seq, 10, 64)
	return err == nil
}

// DecodeStreamEvent decodes a stream entry's "e" field (for ad systems and
// the postback worker reading the stream directly).
func DecodeStreamEvent(values map[string]any) (Event, error) {
	var ev Event
	js, ok := values["e"].(string)
	if !ok {
		return ev, fmt.Errorf("track: stream entry without field e")
	}
	err := json.Unmarshal([]byte(js), &ev)
	return ev, err
}
