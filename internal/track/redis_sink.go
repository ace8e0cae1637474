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
	dayTTL, hourTTL int64 // seconds
	scratch         aggSlot[redisScratch]
}

var _ Sink = (*RedisSink)(nil)

// NewRedisSink returns a sink on rdb (single node, Sentinel or Cluster). The
// client should have ContextTimeoutEnabled so write deadlines hold.
func NewRedisSink(rdb redis.UniversalClient, cfg RedisConfig) *RedisSink {
	cfg.defaults()
	return &RedisSink{rdb: rdb, cfg: cfg, prefix: "{" + cfg.Stream + "}:",
		dayTTL: int64(cfg.DayTTL / time.Second), hourTTL: int64(cfg.HourTTL / time.Second)}
}

// Stream is the stream key.
func (s *RedisSink) Stream() string { return s.cfg.Stream }

// writeScript applies one batch atomically, unless the writer already
// applied a batch with this or a higher sequence number.
//
// KEYS[1] stream, KEYS[2] writers hash, KEYS[3..] counter hashes.
// ARGV: writer, seq, maxlen (0 = no trim), nEvents, then per event
// code, ts, visit, json; then per counter hash ttl, nFields, field, delta….
//
// Redis CPU per event is what this script is tuned for:
//   - the stream is trimmed (MAXLEN ~) by the batch's last XADD only (and
//     every 4096th in a huge batch, within XADD's default trim LIMIT of 100
//     stream nodes): trimming is by whole nodes either way, so the stream
//     stays within MAXLEN ~ as before, without a trim check per entry;
//   - a counter hash is EXPIREd first: 0 means it does not exist yet (a new
//     day/hour, or a code not tapped in it before), and then one HSET of the
//     pre-summed fields replaces a HINCRBY per field (the same values: every
//     field starts at 0); an existing hash gets its HINCRBYs, its TTL
//     already refreshed. Either way it ends with its TTL set, once per batch.
var writeScript = redis.NewScript(`
local call = redis.call
local hw = tonumber(call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= hw then return 0 end
call('HSET', KEYS[2], ARGV[1], ARGV[2])
local stream = KEYS[1]
local maxlen = ARGV[3]
local n = tonumber(ARGV[4])
local i = 5
for e = 1, n do
  if maxlen ~= '0' and (e == n or e % 4096 == 0) then
    call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'code', ARGV[i], 'ts', ARGV[i+1], 'visit', ARGV[i+2], 'e', ARGV[i+3])
  else
    call('XADD', stream, '*', 'code', ARGV[i], 'ts', ARGV[i+1], 'visit', ARGV[i+2], 'e', ARGV[i+3])
  end
  i = i + 4
end
for k = 3, #KEYS do
  local key = KEYS[k]
  local ttl = ARGV[i]
  local last = i + 1 + 2*tonumber(ARGV[i+1])
  i = i + 2
  if call('EXPIRE', key, ttl) == 0 then
    while i <= last do
      local upto = math.min(i + 1999, last)
      call('HSET', key, unpack(ARGV, i, upto))
      i = upto + 1
    end
    call('EXPIRE', key, ttl)
  else
    for j = i, last, 2 do
      call('HINCRBY', key, ARGV[j], ARGV[j+1])
    end
    i = last + 1
  end
end
return 1
`)

// redisScratch is a RedisSink's reusable per-batch state (see aggSlot).
type redisScratch struct {
	agg   *aggregator
	js    []byte   // the batch's events as JSON, back to back
	ends  []int    // where each event's JSON ends in js
	jsons []string // each event's JSON, substrings of one string(js)
	ts    []int64  // event times, Unix ms
	keys  []string // script KEYS
	args  []any    // script ARGV: pointers into the batch, ts and agg, no boxing
}

// WriteBatch implements Sink: one EVALSHA round trip per batch (see
// writeScript), atomic and idempotent per (Writer, Seq).
func (s *RedisSink) WriteBatch(ctx context.Context, b *Batch) (bool, error) {
	if len(b.Events) == 0 {
		return true, nil
	}
	sc, release := s.scratch.get(func() *redisScratch { return &redisScratch{agg: newAggregator(s.cfg.Location, s.prefix)} })
	defer release()
	deltas := sc.agg.aggregate(b.Events)

	// Encode every event into one buffer; the script's ARGV gets them as
	// substrings of one string (one allocation per batch, not per event).
	sc.js, sc.ends, sc.ts, sc.jsons = sc.js[:0], sc.ends[:0], sc.ts[:0], sc.jsons[:0]
	for i := range b.Events {
		js, err := appendEventJSON(sc.js, &b.Events[i])
		if err != nil {
			return false, fmt.Errorf("track: encode event: %w", err)
		}
		sc.js = js
		sc.ends = append(sc.ends, len(js))
		sc.ts = append(sc.ts, b.Events[i].Time.UnixMilli())
	}
	all := string(sc.js)
	if cap(sc.js) > 4<<20 {
		sc.js = nil // one huge batch: do not keep its buffer
	}
	start := 0
	for _, end := range sc.ends {
		sc.jsons = append(sc.jsons, all[start:end])
		start = end
	}

	keys := append(sc.keys[:0], s.cfg.Stream, s.prefix+"writers")
	nf := 0
	for _, d := range deltas {
		nf += len(d.fields)
	}
	args := slices.Grow(sc.args[:0], 4+4*len(b.Events)+2*len(deltas)+2*nf)
	maxlen := max(s.cfg.MaxLen, 0)
	args = append(args, b.Writer, b.Seq, maxlen, len(b.Events))
	for i := range b.Events {
		ev := &b.Events[i]
		args = append(args, &ev.Code, &sc.ts[i], &ev.VisitID, &sc.jsons[i])
	}
	for _, d := range deltas {
		keys = append(keys, d.key) // prefixed by the aggregator
		ttl := &s.dayTTL
		if d.hour {
			ttl = &s.hourTTL
		}
		args = append(args, ttl, len(d.fields))
		for j := range d.fields {
			args = append(args, &d.fields[j].name, &d.fields[j].n)
		}
	}
	n, err := writeScript.Run(ctx, s.rdb, keys, args...).Int()
	clear(args) // drop pointers into the batch and its JSON
	clear(keys)
	clear(sc.jsons)
	sc.args, sc.keys = args[:0], keys[:0]
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
