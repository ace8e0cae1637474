package track

import (
	"context"
	"encoding/json"
	"fmt"
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
	rdb    redis.UniversalClient
	cfg    RedisConfig
	prefix string
}

var _ Sink = (*RedisSink)(nil)

// NewRedisSink returns a sink on rdb (single node, Sentinel or Cluster). The
// client should have ContextTimeoutEnabled so write deadlines hold.
func NewRedisSink(rdb redis.UniversalClient, cfg RedisConfig) *RedisSink {
	cfg.defaults()
	return &RedisSink{rdb: rdb, cfg: cfg, prefix: "{" + cfg.Stream + "}:"}
}

// Stream is the stream key.
func (s *RedisSink) Stream() string { return s.cfg.Stream }

// writeScript applies one batch atomically, unless the writer already
// applied a batch with this or a higher sequence number.
//
// KEYS[1] stream, KEYS[2] writers hash, KEYS[3..] counter hashes.
// ARGV: writer, seq, maxlen (0 = no trim), nEvents, then per event
// code, ts, visit, json; then per counter hash ttl, nFields, field, delta….
var writeScript = redis.NewScript(`
local hw = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= hw then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local maxlen = ARGV[3]
local n = tonumber(ARGV[4])
local i = 5
for e = 1, n do
  if maxlen == '0' then
    redis.call('XADD', KEYS[1], '*', 'code', ARGV[i], 'ts', ARGV[i+1], 'visit', ARGV[i+2], 'e', ARGV[i+3])
  else
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'code', ARGV[i], 'ts', ARGV[i+1], 'visit', ARGV[i+2], 'e', ARGV[i+3])
  end
  i = i + 4
end
for k = 3, #KEYS do
  local ttl = ARGV[i]
  local nf = tonumber(ARGV[i+1])
  i = i + 2
  for f = 1, nf do
    redis.call('HINCRBY', KEYS[k], ARGV[i], ARGV[i+1])
    i = i + 2
  end
  redis.call('EXPIRE', KEYS[k], ttl)
end
return 1
`)

// WriteBatch implements Sink: one EVALSHA round trip per batch (see
// writeScript), atomic and idempotent per (Writer, Seq).
func (s *RedisSink) WriteBatch(ctx context.Context, b *Batch) (bool, error) {
	if len(b.Events) == 0 {
		return true, nil
	}
	deltas := aggregate(b.Events, s.cfg.Location)
	keys := make([]string, 0, 2+len(deltas))
	keys = append(keys, s.cfg.Stream, s.prefix+"writers")
	args := make([]any, 0, 4+4*len(b.Events)+len(deltas)*30)
	maxlen := s.cfg.MaxLen
	if maxlen < 0 {
		maxlen = 0
	}
	args = append(args, b.Writer, b.Seq, maxlen, len(b.Events))
	for i := range b.Events {
		ev := &b.Events[i]
		js, err := json.Marshal(ev)
		if err != nil {
			return false, fmt.Errorf("track: encode event: %w", err)
		}
		args = append(args, ev.Code, ev.Time.UnixMilli(), ev.VisitID, js)
	}
	dayTTL, hourTTL := int64(s.cfg.DayTTL/time.Second), int64(s.cfg.HourTTL/time.Second)
	for _, d := range deltas {
		keys = append(keys, s.prefix+d.key)
		ttl := dayTTL
		if d.hour {
			ttl = hourTTL
		}
		args = append(args, ttl, len(d.fields))
		for f, n := range d.fields {
			args = append(args, f, n)
		}
	}
	n, err := writeScript.Run(ctx, s.rdb, keys, args...).Int()
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
