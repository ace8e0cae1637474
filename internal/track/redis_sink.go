package track

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"
)

// RedisConfig configures a RedisSink. Fields marked Optional have defaults.
type RedisConfig struct {
	// Stream is the base name of the sink's keys. Optional. Default:
	// "hutong:events". Shard s keeps its stream, writer marks and counter
	// buckets under the hash tag "{<Stream>:<s>}", so that on Redis Cluster
	// a batch's part for a shard is one atomic script on one node and the
	// shards spread over the masters.
	Stream string
	// Shards is the number of shards: links are spread over them by a hash
	// of their code. Optional. Default: 1. It is fixed for the life of the
	// data (stored in "<Stream>:meta"): a sink configured with another
	// number refuses to write and says so.
	Shards int
	// Retention is how long batch records stay in the stream: every XADD
	// trims (MINID ~) what is older. Optional. Default: 72h. Negative:
	// never trim by time.
	Retention time.Duration
	// MaxLen, when positive, also caps each shard's stream at about this
	// many records (batches), as a memory bound. Optional. Default: 0 (none).
	MaxLen int64
	// Encoding is how each record's event lines are stored (the "enc"
	// field: "gzip", or absent for plain lines). Optional. Default:
	// EncodingGzip.
	Encoding Encoding
	// DayTTL is the lifetime of a day's counter bucket. Optional. Default: 400 days.
	DayTTL time.Duration
	// HourTTL is the lifetime of an hour's counter bucket. Optional. Default: 8 days.
	HourTTL time.Duration
	// MarkTTL is how long a writer's high-water mark is kept after its
	// last batch: a spill file replayed later than this could count twice.
	// Optional. Default: 30 days.
	MarkTTL time.Duration
	// MinReplicas, when positive, makes a batch count as written only once
	// that many replicas acknowledged it (WAIT on the shard's master, in the
	// same pipeline as the script), within ReplicaTimeout; otherwise the
	// write fails, the Recorder spills the batch and replays it (applied
	// once). Without it a failover can drop batches the old master had
	// acknowledged. Optional. Default: 0 (no wait).
	MinReplicas int
	// ReplicaTimeout bounds the WAIT. Optional. Default: 200ms.
	ReplicaTimeout time.Duration
	// NoLog keeps counters only (the event log is elsewhere: SplitSink).
	NoLog bool
	// Location is the time zone of day/hour buckets. Optional. Default:
	// UTC+8 (China Standard Time, no DST).
	Location *time.Location
	// Now is the clock for the retention cut. Optional. Default: time.Now.
	Now func() time.Time
}

func (c *RedisConfig) defaults() {
	if c.Stream == "" {
		c.Stream = "hutong:events"
	}
	if c.Shards <= 0 {
		c.Shards = 1
	}
	if c.Retention == 0 {
		c.Retention = 72 * time.Hour
	}
	if c.DayTTL <= 0 {
		c.DayTTL = 400 * 24 * time.Hour
	}
	if c.HourTTL <= 0 {
		c.HourTTL = 8 * 24 * time.Hour
	}
	if c.MarkTTL <= 0 {
		c.MarkTTL = 30 * 24 * time.Hour
	}
	if c.Location == nil {
		c.Location = ChinaTime
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReplicaTimeout <= 0 {
		c.ReplicaTimeout = redisconn.DefaultReplicaTimeout
	}
}

// ChinaTime is UTC+8, the default bucket time zone. China has no daylight
// saving, so a fixed zone is exact and needs no tzdata.
var ChinaTime = time.FixedZone("CST", 8*3600)

// RedisSink writes batches to Redis, one record per batch and shard, and
// answers stats and event queries. It is safe for concurrent use; the zero
// value is not usable (use NewRedisSink).
//
// Key layout (S = Stream, default hutong:events; T = "{S:<shard>}"):
//
//	T                     stream, one entry per batch (fields v, w, seq, n, s, ev)
//	T:w:<writer>          the writer's highest batch seq applied, TTL MarkTTL
//	T:d:<yyyymmdd>        hash, field l:<code> or c:<campaign> → counters, TTL DayTTL
//	T:h:<yyyymmddhh>      the same per hour, TTL HourTTL
//	S:meta                hash: format, shards, v1_until
//
// A counter value is "name=n" pairs joined by commas ("total=5,human=4,
// app:wechat=3"). Version 1 kept one stream entry per tap and a hash per
// link and day; its counters stay readable (see v1_until).
type RedisSink struct {
	rdb     redis.UniversalClient
	cfg     RedisConfig
	tags    []string // per shard "{S:<shard>}"
	dayTTL  int64    // seconds
	hourTTL int64
	markTTL int64
	maxLen  int64
	v1Pfx   string // version 1's key prefix "{S}:"

	metaMu  sync.Mutex
	metaOK  bool
	v1Until int64 // Unix ms; counters before it may be in version 1 hashes

	scratch aggSlot[redisScratch]

	// betweenReadAndWrite, when set (tests), runs after the counters were
	// read and before the transaction: another writer's batch there makes
	// the script merge what changed.
	betweenReadAndWrite func()
}

var _ Sink = (*RedisSink)(nil)

// NewRedisSink returns a sink on rdb (single node, Sentinel or Cluster). The
// client should have ContextTimeoutEnabled so write deadlines hold. It does
// no I/O: the first write (or Init) checks the stored layout.
func NewRedisSink(rdb redis.UniversalClient, cfg RedisConfig) *RedisSink {
	cfg.defaults()
	s := &RedisSink{rdb: rdb, cfg: cfg,
		dayTTL: int64(cfg.DayTTL / time.Second), hourTTL: int64(cfg.HourTTL / time.Second),
		markTTL: int64(cfg.MarkTTL / time.Second), maxLen: max(cfg.MaxLen, 0),
		v1Pfx: "{" + cfg.Stream + "}:"}
	for i := range cfg.Shards {
		s.tags = append(s.tags, "{"+cfg.Stream+":"+strconv.Itoa(i)+"}")
	}
	return s
}

// Shards is the number of shards.
func (s *RedisSink) Shards() int { return len(s.tags) }

// Client is the Redis client the sink writes through (the caller's; the
// sink does not close it). internal/postback's Worker writes its dead
// letters with it.
func (s *RedisSink) Client() redis.UniversalClient { return s.rdb }

// StreamKey is the stream key of shard i ("{S:i}").
func (s *RedisSink) StreamKey(i int) string { return s.tags[i] }

// shardOf is the shard of a link code (campaign counters go with the tap's
// link: a campaign's stats sum every shard).
func (s *RedisSink) shardOf(code string) int {
	if len(s.tags) == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(code))
	return int(h.Sum32() % uint32(len(s.tags)))
}

// ErrLayout is returned (wrapped) when the data in Redis was laid out with
// another number of shards or a newer format than this sink's.
var ErrLayout = errors.New("track: event store layout mismatch")

// Init checks (or, on an empty database, records) the layout: format 2
// and the number of shards. On a database that holds version 1 data it
// records since when version 2 writes, so stats before that moment also
// read version 1's hashes. Writes and stats call it when it has not
// succeeded yet.
func (s *RedisSink) Init(ctx context.Context) error {
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	if s.metaOK {
		return nil
	}
	meta := s.cfg.Stream + ":meta"
	m, err := s.rdb.HGetAll(ctx, meta).Result()
	if err != nil {
		return fmt.Errorf("track: read %s: %w", meta, err)
	}
	if len(m) == 0 {
		v1, err := s.hasV1(ctx)
		if err != nil {
			return err
		}
		until := int64(0)
		if v1 {
			until = s.cfg.Now().UnixMilli()
		}
		pipe := s.rdb.TxPipeline()
		pipe.HSetNX(ctx, meta, "format", strconv.Itoa(BatchFormat))
		pipe.HSetNX(ctx, meta, "shards", strconv.Itoa(len(s.tags)))
		pipe.HSetNX(ctx, meta, "v1_until", strconv.FormatInt(until, 10))
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("track: write %s: %w", meta, err)
		}
		if m, err = s.rdb.HGetAll(ctx, meta).Result(); err != nil {
			return fmt.Errorf("track: read %s: %w", meta, err)
		}
	}
	if f, _ := strconv.Atoi(m["format"]); f > BatchFormat {
		return fmt.Errorf("%w: %s says format %s, this hutong writes %d: upgrade it", ErrLayout, meta, m["format"], BatchFormat)
	}
	if n, _ := strconv.Atoi(m["shards"]); n != len(s.tags) {
		return fmt.Errorf("%w: the events in Redis were written with --events-shards %s, this instance has %d: use %s everywhere (changing it would move links' counters)", ErrLayout, m["shards"], len(s.tags), m["shards"])
	}
	s.v1Until, _ = strconv.ParseInt(m["v1_until"], 10, 64)
	s.metaOK = true
	return nil
}

// RedisShards reads the number of shards the event log under stream was
// set up with (its meta key), for a reader that did not write it.
func RedisShards(ctx context.Context, rdb redis.UniversalClient, stream string) (int, error) {
	v, err := rdb.HGet(ctx, stream+":meta", "shards").Result()
	if errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("track: no hutong click events under %q in this Redis (%s:meta is missing): is hutong serve writing here, with this stream name?", stream, stream)
	}
	if err != nil {
		return 0, fmt.Errorf("track: read %s:meta: %w", stream, err)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: %s:meta shards = %q", ErrLayout, stream, v)
	}
	return n, nil
}

// hasV1 reports whether version 1 wrote here (its writers hash or stream).
func (s *RedisSink) hasV1(ctx context.Context) (bool, error) {
	for _, k := range []string{s.v1Pfx + "writers", s.cfg.Stream} {
		n, err := s.rdb.Exists(ctx, k).Result()
		if err != nil {
			return false, fmt.Errorf("track: check version 1 keys: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// A shard's part of a batch is one MULTI/EXEC transaction: a plain XADD of
// the batch's event lines (absent with NoLog), an optional XTRIM MAXLEN,
// then writeScript, which applies the counters and the writer's mark, or,
// when the writer already applied this or a higher sequence number to the
// shard, applies nothing and deletes the entry the XADD just added. Redis
// runs a transaction with nothing in between, so a replay leaves the
// stream as it was.
//
// The event lines do not pass through the script: Lua copies every
// argument into a Lua string, which for a 512-event batch (~170 KB) costs
// Redis more than the XADD itself (~270 µs against ~95 µs, measured with
// INFO commandstats on Redis 7.0). The script is sent as EVAL, not
// EVALSHA: a NOSCRIPT answer arrives only at EXEC, after the XADD ran.
//
// KEYS[1] the shard's stream, KEYS[2] the writer's mark, KEYS[3..] the
// counter buckets. ARGV[1] seq, [2] mark TTL, [3] "1" when an XADD of
// this part precedes the script in the transaction, [4] nb = #KEYS-2,
// [5..4+nb] each bucket's TTL, then the counters in chunks (see the
// script).
//
// The merge is done by hutong, not by the script: before the transaction
// the sink reads the fields it will write (one HMGET per bucket, native,
// ~0.3 µs a field), adds the batch's counts in Go, and sends each field's
// value as read ("expected", "" for a field that was absent) and the merged
// value. The script stores the merged value when the field still holds what
// was read: a compare of two interned Lua strings. Only when another
// writer changed the field in between does it merge in Lua (the delta is
// value minus expected), as every write did before: unpacking and packing
// MessagePack costs Redis ~4 µs a field, which made a cold tap (two new
// fields, its link's day and hour) cost Redis ~11 µs in this script alone.
// The compare-and-set keeps the result exact under any number of writers;
// the writer's mark keeps it exactly once.
//
// Redis CPU per tap is what this is for: a batch is one stream entry
// whatever its size, and a link or campaign costs one field read and one
// field write per bucket per batch (grouped: one HMGET and one HSET per
// bucket for up to 500 of them); a new link in a bucket creates a field,
// never a key (no key per link, no EXPIRE per link). A bucket gets its TTL
// the first time a batch writes it (TTL answers -1), and again when the
// TTL left is longer than configured (lowered).
const writeScriptSrc = `
local call, argv = redis.call, ARGV
local mark = KEYS[2]
if tonumber(argv[1]) <= tonumber(call('GET', mark) or '0') then
  if argv[3] == '1' then
    local info = call('XINFO', 'STREAM', KEYS[1])
    for i = 1, #info, 2 do
      if info[i] == 'last-generated-id' then call('XDEL', KEYS[1], info[i+1]) break end
    end
  end
  return 0
end
call('SET', mark, argv[1], 'EX', argv[2])
local gmatch, tonum, byte = string.gmatch, tonumber, string.byte
local mpunpack, mppack = cmsgpack.unpack, cmsgpack.pack
-- A stored value: MessagePack (first byte >= 0x80: a map), or the text
-- "name=n,name=n" written before 2026-12-07.
local function decode(v)
  if v == '' then return {} end
  if (byte(v, 1) or 0) >= 128 then return mpunpack(v) end
  local t = {}
  for name, n in gmatch(v, '([^,=]+)=(%-?%d+)') do t[name] = (t[name] or 0) + tonum(n) end
  return t
end
-- old + (value - expected): the field changed since hutong read it.
local function remerge(old, exp, v)
  local t, e = decode(old or ''), decode(exp)
  for name, n in pairs(mpunpack(v)) do
    local d = n - (e[name] or 0)
    if d ~= 0 then t[name] = (t[name] or 0) + d end
  end
  return mppack(t)
end
-- The counters come bucket by bucket, up to 500 fields a chunk: the
-- bucket's key index, n, its n fields, the n values hutong read, then n
-- (field, merged value) pairs. One HMGET and one HSET a chunk, both
-- unpacked straight from ARGV: no Lua table per field unless a value
-- changed since hutong read it.
local nb, last = tonum(argv[4]), #argv
local i = 5 + nb
while i <= last do
  local key, n = KEYS[tonum(argv[i])], tonum(argv[i+1])
  local es, ps = i + 2 + n, i + 2 + 2*n
  local olds = call('HMGET', key, unpack(argv, i + 2, es - 1))
  local same = true
  for j = 1, n do
    if (olds[j] or '') ~= argv[es + j - 1] then same = false break end
  end
  if same then
    call('HSET', key, unpack(argv, ps, ps + 2*n - 1))
  else
    local args = {}
    for j = 1, n do
      local f, v, old, exp = argv[ps + 2*j - 2], argv[ps + 2*j - 1], olds[j], argv[es + j - 1]
      if (old or '') ~= exp then v = remerge(old, exp, v) end
      args[2*j-1], args[2*j] = f, v
    end
    call('HSET', key, unpack(args, 1, 2*n))
  end
  i = ps + 2*n
end
for k = 1, nb do
  local key, ttl = KEYS[2+k], tonum(argv[4+k])
  local left = call('TTL', key)
  if left == -1 or left > ttl then call('EXPIRE', key, ttl) end
end
return 1
`

// writeScriptEval is the script's source boxed once as a command argument.
var writeScriptEval any = writeScriptSrc

// bufArg is a slice of a reused buffer as a command argument: go-redis
// writes what MarshalBinary returns, so it goes to the connection without
// being copied into a string first.
type bufArg struct {
	from, to int
	buf      *[]byte
}

func (a *bufArg) MarshalBinary() ([]byte, error) { return (*a.buf)[a.from:a.to], nil }

// shardPart is one shard's share of a batch and the script call for it.
type shardPart struct {
	events  []Event
	index   []int32 // each event's position in the batch
	lines   []byte
	zlines  []byte   // lines as stored (Encoding)
	merged  []byte   // the counters' merged values, back to back
	vargs   []bufArg // each counter's merged value in merged
	fields  []string // the counters' bucket fields (the aggregator's are reused by the next part)
	kidx    []int64
	dfs     []fieldDelta // the counters' deltas, back to back (the aggregator's are reused)
	dspan   []int32      // counter g's deltas are dfs[dspan[g]:dspan[g+1]]
	olds    []string     // each counter's value as read before the transaction ("" absent)
	order   []int32      // the counters in read order (bucket by bucket)
	rfields []string     // their fields
	chunks  []readChunk  // one HMGET each
	reads   []*redis.SliceCmd
	keys    []string
	ttls    []int64
	nkeys   int
	nev     int
	shard   int
	xadd    []any // the XADD of the event lines (empty with NoLog)
	xtrim   []any // XTRIM MAXLEN (empty without a cap)
	args    []any // the script's EVAL
	cmd     *redis.Cmd
}

// redisScratch is a RedisSink's reusable per-batch state (see aggSlot).
type redisScratch struct {
	agg    *aggregator
	enc    *msgpack.Encoder // writes the counter values through w
	w      appendWriter
	parts  []shardPart
	minID  int64
	names  []string // mergeCounters' scratch (addCounter)
	counts []int64
	add    func(name string, n int64) // addCounter, bound once
}

// WriteBatch implements Sink: per shard with events in b, one EVALSHA (in
// one pipeline), each atomic and idempotent per (Writer, Seq, shard). A
// batch whose parts all were applied before reports applied=false; an
// error in any part fails the batch, whose replay applies only the parts
// still missing.
func (s *RedisSink) WriteBatch(ctx context.Context, b *Batch) (bool, error) {
	if len(b.Events) == 0 {
		return true, nil
	}
	if err := s.Init(ctx); err != nil {
		return false, err
	}
	sc, release := s.scratch.get(func() *redisScratch {
		sc := &redisScratch{agg: newSplitAggregator(s.cfg.Location)}
		sc.enc = msgpack.NewEncoder(&sc.w)
		sc.add = sc.addCounter
		return sc
	})
	defer release()
	if len(sc.parts) != len(s.tags) {
		sc.parts = make([]shardPart, len(s.tags))
	}
	parts := sc.parts
	if len(s.tags) == 1 {
		parts[0].events, parts[0].index = b.Events, nil
	} else {
		for i := range parts {
			parts[i].events, parts[i].index = parts[i].events[:0], parts[i].index[:0]
		}
		for i := range b.Events {
			p := &parts[s.shardOf(b.Events[i].Code)]
			p.events = append(p.events, b.Events[i])
			p.index = append(p.index, int32(i))
		}
	}
	sc.minID = 0
	if s.cfg.Retention > 0 {
		sc.minID = s.cfg.Now().Add(-s.cfg.Retention).UnixMilli()
	}
	var err error
	for i := range parts {
		p := &parts[i]
		if len(p.events) == 0 {
			continue
		}
		p.shard = i
		if err = s.buildPart(sc, b, p); err != nil {
			break
		}
	}
	if err == nil {
		err = s.readCounters(ctx, parts)
	}
	if err == nil && s.betweenReadAndWrite != nil {
		s.betweenReadAndWrite()
	}
	if err == nil {
		for i := range parts {
			if p := &parts[i]; len(p.events) > 0 {
				s.buildScript(sc, b, p)
			}
		}
		err = s.run(ctx, parts)
	}
	applied := false
	for i := range parts {
		p := &parts[i]
		if err == nil && p.cmd != nil {
			if n, _ := p.cmd.Int(); n == 1 {
				applied = true
			}
		}
		clear(p.args) // drop pointers into the batch
		clear(p.xadd)
		clear(p.fields)
		clear(p.dfs)
		clear(p.olds)
		clear(p.reads)
		clear(p.rfields)
		p.fields, p.dfs, p.olds, p.reads = p.fields[:0], p.dfs[:0], p.olds[:0], p.reads[:0]
		p.args, p.xadd, p.xtrim, p.cmd = p.args[:0], p.xadd[:0], p.xtrim[:0], nil
		if len(s.tags) > 1 {
			clear(p.events)
		} else {
			p.events = nil
		}
		if cap(p.lines) > 4<<20 {
			p.lines, p.zlines = nil, nil // one huge batch: do not keep its buffers
		}
	}
	if err != nil {
		return false, err
	}
	return applied, nil
}

// run sends the parts' transactions (see writeScriptSrc): all in one
// MULTI/EXEC on one server; on a Cluster, whose transactions hold one
// slot, one per shard, sent concurrently.
func (s *RedisSink) run(ctx context.Context, parts []shardPart) error {
	if s.cfg.MinReplicas > 0 {
		return s.runDurable(ctx, parts)
	}
	tx := func(ps []shardPart) error {
		_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			for i := range ps {
				if p := &ps[i]; len(p.args) > 0 {
					p.cmd = p.queue(ctx, pipe)
				}
			}
			return nil
		})
		return err
	}
	if _, cluster := s.rdb.(*redis.ClusterClient); !cluster {
		return tx(parts)
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		if len(parts[i].args) > 0 {
			wg.Go(func() { errs[i] = tx(parts[i : i+1]) })
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// queue adds the part's commands to a transaction; it returns the
// script's command.
func (p *shardPart) queue(ctx context.Context, pipe redis.Pipeliner) *redis.Cmd {
	if len(p.xadd) > 0 {
		pipe.Do(ctx, p.xadd...)
	}
	if len(p.xtrim) > 0 {
		pipe.Do(ctx, p.xtrim...)
	}
	return pipe.Do(ctx, p.args...)
}

// runDurable sends each part's transaction followed by WAIT MinReplicas
// on its shard's master (redisconn.WaitReplicas): an error, or too few
// acknowledgements, fails the batch.
func (s *RedisSink) runDurable(ctx context.Context, parts []shardPart) error {
	for i := range parts {
		p := &parts[i]
		if len(p.args) == 0 {
			continue
		}
		var exec *redis.SliceCmd
		_, _, err := redisconn.WaitReplicas(ctx, s.rdb, s.tags[p.shard], s.cfg.MinReplicas, s.cfg.ReplicaTimeout,
			func(pipe redis.Pipeliner) {
				pipe.Do(ctx, "multi")
				p.queue(ctx, pipe)
				exec = redis.NewSliceCmd(ctx, "exec")
				_ = pipe.Process(ctx, exec)
			})
		if err != nil {
			return err
		}
		res := exec.Val()
		for _, r := range res {
			if e, ok := r.(error); ok {
				return fmt.Errorf("track: shard %d transaction: %w", p.shard, e)
			}
		}
		if len(res) == 0 {
			return fmt.Errorf("track: shard %d transaction: empty EXEC answer", p.shard)
		}
		p.cmd = redis.NewCmd(ctx)
		p.cmd.SetVal(res[len(res)-1])
	}
	return nil
}

// buildPart aggregates a shard's events and builds its script call.
func (s *RedisSink) buildPart(sc *redisScratch, b *Batch, p *shardPart) error {
	var err error
	p.lines = p.lines[:0]
	if !s.cfg.NoLog {
		if p.lines, err = appendLines(p.lines, b.Writer, b.Seq, p.events, p.index); err != nil {
			return err
		}
		if s.cfg.Encoding != EncodingNone {
			p.zlines = encodeLines(p.zlines[:0], p.lines, s.cfg.Encoding)
		}
	}
	deltas := sc.agg.aggregate(p.events)
	tag := s.tags[p.shard]
	p.keys = append(p.keys[:0], tag, tag+":w:"+b.Writer)
	p.ttls = p.ttls[:0]
	p.kidx = p.kidx[:0]
	p.fields = p.fields[:0]
	p.dfs = p.dfs[:0]
	p.dspan = append(p.dspan[:0], 0)
	for g := range deltas {
		d := &deltas[g]
		k := -1
		for j := 2; j < len(p.keys); j++ {
			if p.keys[j][len(tag)+1:] == d.key {
				k = j
				break
			}
		}
		if k < 0 {
			k = len(p.keys)
			p.keys = append(p.keys, tag+":"+d.key)
			ttl := s.dayTTL
			if d.hour {
				ttl = s.hourTTL
			}
			p.ttls = append(p.ttls, ttl)
		}
		p.kidx = append(p.kidx, int64(k+1)) // KEYS is 1-based
		p.fields = append(p.fields, d.field)
		p.dfs = append(p.dfs, d.fields...)
		p.dspan = append(p.dspan, int32(len(p.dfs)))
	}
	p.nkeys, p.nev = len(p.keys), len(p.events)
	if !s.cfg.NoLog {
		x := append(p.xadd[:0], "xadd", &p.keys[0])
		if sc.minID > 0 {
			x = append(x, "minid", "~", sc.minID)
		}
		x = append(x, "*", "v", "2", "w", &b.Writer, "seq", &b.Seq, "n", &p.nev, "s", p.shard)
		if enc := s.cfg.Encoding; enc != EncodingNone {
			x = append(x, "enc", enc.String(), "ev", &bufArg{to: len(p.zlines), buf: &p.zlines})
		} else {
			x = append(x, "ev", &bufArg{to: len(p.lines), buf: &p.lines})
		}
		p.xadd = x
		if s.maxLen > 0 {
			p.xtrim = append(p.xtrim[:0], "xtrim", &p.keys[0], "maxlen", "~", &s.maxLen)
		}
	}
	return nil
}

// readChunk is a run of p.order in one bucket: one HMGET before the
// transaction, one HMGET and one HSET in the script.
type readChunk struct {
	kidx, n int64 // KEYS index (1-based) and length
	from    int32 // in p.order
}

// maxReadFields caps the fields of one HMGET (and HSET) chunk.
const maxReadFields = 500

// readCounters reads the current value of every counter field the parts
// will write, all parts in one pipeline (go-redis splits it by node on a
// Cluster: a part's buckets share its hash tag). See writeScriptSrc.
func (s *RedisSink) readCounters(ctx context.Context, parts []shardPart) error {
	pipe := s.rdb.Pipeline()
	n := 0
	for i := range parts {
		p := &parts[i]
		p.reads = p.reads[:0]
		p.olds = slices.Grow(p.olds[:0], len(p.fields))[:len(p.fields)]
		if len(p.events) == 0 {
			continue
		}
		// One HMGET per bucket (per maxReadFields of it): p.order lists
		// the counters bucket by bucket, p.rfields their fields.
		p.order, p.rfields, p.chunks = p.order[:0], p.rfields[:0], p.chunks[:0]
		for k := int64(3); k <= int64(len(p.keys)); k++ {
			from := len(p.rfields)
			for g, kk := range p.kidx {
				if kk == k {
					p.order = append(p.order, int32(g))
					p.rfields = append(p.rfields, p.fields[g])
				}
			}
			for ; from < len(p.rfields); from += maxReadFields {
				to := min(from+maxReadFields, len(p.rfields))
				p.reads = append(p.reads, pipe.HMGet(ctx, p.keys[k-1], p.rfields[from:to]...))
				p.chunks = append(p.chunks, readChunk{kidx: k, from: int32(from), n: int64(to - from)})
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("track: read counters: %w", err)
	}
	for i := range parts {
		p := &parts[i]
		if len(p.events) == 0 {
			continue
		}
		g := 0
		for _, r := range p.reads {
			for _, v := range r.Val() {
				if g < len(p.order) {
					p.olds[p.order[g]], _ = v.(string)
				}
				g++
			}
		}
		if g != len(p.fields) {
			return fmt.Errorf("track: read counters: %d values for %d fields", g, len(p.fields))
		}
	}
	return nil
}

// buildScript merges each counter of the part with its value as read and
// builds the script's EVAL.
func (s *RedisSink) buildScript(sc *redisScratch, b *Batch, p *shardPart) {
	p.merged = p.merged[:0]
	p.vargs = p.vargs[:0]
	for g := range p.fields {
		from := len(p.merged)
		p.merged = sc.mergeCounters(p.merged, p.olds[g], p.dfs[p.dspan[g]:p.dspan[g+1]])
		p.vargs = append(p.vargs, bufArg{from: from, to: len(p.merged), buf: &p.merged})
	}
	logged := "0"
	if !s.cfg.NoLog {
		logged = "1"
	}
	nb := int64(len(p.keys) - 2)
	args := slices.Grow(p.args[:0], 3+len(p.keys)+4+int(nb)+2*len(p.chunks)+4*len(p.fields))
	args = append(args, "eval", writeScriptEval, &p.nkeys)
	for j := range p.keys {
		args = append(args, &p.keys[j])
	}
	args = append(args, &b.Seq, &s.markTTL, logged, nb)
	for j := range p.ttls {
		args = append(args, &p.ttls[j])
	}
	for c := range p.chunks {
		ch := &p.chunks[c]
		order := p.order[ch.from : ch.from+int32(ch.n)]
		args = append(args, &ch.kidx, &ch.n)
		for _, g := range order {
			args = append(args, &p.fields[g])
		}
		for _, g := range order {
			args = append(args, &p.olds[g])
		}
		for _, g := range order {
			args = append(args, &p.fields[g], &p.vargs[g])
		}
	}
	p.args = args
}

// mergeCounters appends old (a stored counter value, "" for none) plus
// fields, encoded as appendDelta does, names in a stable order (old's, then
// new ones). It allocates nothing for a value in the MessagePack hutong
// and Redis's cmsgpack write (names are substrings of old).
func (sc *redisScratch) mergeCounters(dst []byte, old string, fields []fieldDelta) []byte {
	if old == "" {
		return appendDelta(sc.enc, &sc.w, dst, fields)
	}
	sc.names, sc.counts = sc.names[:0], sc.counts[:0]
	if !scanCounters(old, sc.add) {
		sc.names, sc.counts = sc.names[:0], sc.counts[:0]
		eachCounter(old, sc.add) // the old text form, or an unusual encoding
	}
	for _, f := range fields {
		sc.add(counterName(f.name), f.n)
	}
	sc.w.b = dst
	_ = sc.enc.EncodeMapLen(len(sc.names))
	for i, name := range sc.names {
		_ = sc.enc.EncodeString(name)
		_ = sc.enc.EncodeInt(sc.counts[i])
	}
	dst, sc.w.b = sc.w.b, nil
	return dst
}

// addCounter adds n to name in the scratch's names and counts (a value
// has a few dozen names at most: a linear search beats a map).
func (sc *redisScratch) addCounter(name string, n int64) {
	for i, have := range sc.names {
		if have == name {
			sc.counts[i] += n
			return
		}
	}
	sc.names = append(sc.names, name)
	sc.counts = append(sc.counts, n)
}

// scanCounters calls fn for every name and count of a MessagePack counter
// value (a map of str → int, as hutong and Redis's cmsgpack write it),
// names as substrings of v. It reports false, having possibly called fn,
// for anything else (the text form included). A nil fn only checks.
func scanCounters(v string, fn func(name string, n int64)) bool {
	if v == "" {
		return false
	}
	i, n := 1, 0
	switch c := v[0]; {
	case c >= 0x80 && c <= 0x8f:
		n = int(c & 0x0f)
	case c == 0x90: // an empty table, as cmsgpack packs {}
		return len(v) == 1
	case c == 0xde && len(v) >= 3:
		n, i = int(v[1])<<8|int(v[2]), 3
	default:
		return false
	}
	for ; n > 0; n-- {
		if i >= len(v) {
			return false
		}
		l := 0
		switch c := v[i]; {
		case c >= 0xa0 && c <= 0xbf:
			l, i = int(c&0x1f), i+1
		case c == 0xd9 && i+1 < len(v):
			l, i = int(v[i+1]), i+2
		case c == 0xda && i+2 < len(v):
			l, i = int(v[i+1])<<8|int(v[i+2]), i+3
		default:
			return false
		}
		if i+l > len(v) {
			return false
		}
		name := v[i : i+l]
		i += l
		if i >= len(v) {
			return false
		}
		var x int64
		c := v[i]
		w := 0 // bytes after the type byte
		switch {
		case c <= 0x7f:
			x = int64(c)
		case c >= 0xe0:
			x = int64(int8(c))
		case c == 0xcc || c == 0xd0:
			w = 1
		case c == 0xcd || c == 0xd1:
			w = 2
		case c == 0xce || c == 0xd2:
			w = 4
		case c == 0xcf || c == 0xd3:
			w = 8
		default:
			return false
		}
		if i+1+w > len(v) {
			return false
		}
		if w > 0 {
			var u uint64
			for _, b := range []byte(v[i+1 : i+1+w]) {
				u = u<<8 | uint64(b)
			}
			switch c {
			case 0xd0:
				x = int64(int8(u))
			case 0xd1:
				x = int64(int16(u))
			case 0xd2:
				x = int64(int32(u))
			default: // unsigned, and int64
				x = int64(u)
			}
		}
		i += 1 + w
		if fn != nil {
			fn(name, x)
		}
	}
	return i == len(v)
}

// appendDelta appends counter fields as the script takes and stores them:
// a MessagePack map name → count (Redis's Lua merges MessagePack with its
// built-in C cmsgpack, ~3× faster than parsing text pairs). A name's "," or
// "=" (never in hutong's own values) becomes "_", as in the text form
// format 2 wrote before (parseCounters).
func appendDelta(enc *msgpack.Encoder, w *appendWriter, dst []byte, fields []fieldDelta) []byte {
	w.b = dst
	_ = enc.EncodeMapLen(len(fields)) // an appendWriter never fails
	for _, f := range fields {
		_ = enc.EncodeString(counterName(f.name))
		_ = enc.EncodeInt(f.n)
	}
	dst, w.b = w.b, nil
	return dst
}

// counterName is a counter's name as stored: "," and "=" (never in
// hutong's own values) become "_", as in the text form format 2 wrote
// before (parseCounters).
func counterName(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == ',' || c == '=' {
			return strings.NewReplacer(",", "_", "=", "_").Replace(name)
		}
	}
	return name
}

// appendWriter is an io.Writer appending to a byte slice, for a reused
// msgpack.Encoder.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *appendWriter) WriteByte(c byte) error      { w.b = append(w.b, c); return nil }
func (w *appendWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

// parseCounters adds a stored counter value to row: a MessagePack map
// name → count, or the text "name=n,name=n" that format 2 wrote before
// 2026-12-07 (and the write script still merges). A value that is neither
// adds what it can read.
func parseCounters(v string, row map[string]int64) {
	add := func(name string, n int64) { row[name] += n }
	if scanCounters(v, nil) {
		scanCounters(v, add)
	} else {
		eachCounter(v, add)
	}
}

// eachCounter calls fn for every name and count of a stored counter value
// (see parseCounters), in stored order, with the general MessagePack
// decoder (scanCounters reads the usual encodings without allocating).
func eachCounter(v string, fn func(name string, n int64)) {
	if v != "" && v[0] >= 0x80 {
		dec := msgpack.NewDecoder(strings.NewReader(v))
		n, err := dec.DecodeMapLen()
		for i := 0; err == nil && i < n; i++ {
			var name string
			var c int64
			if name, err = dec.DecodeString(); err == nil {
				if c, err = dec.DecodeInt64(); err == nil {
					fn(name, c)
				}
			}
		}
		return
	}
	for v != "" {
		var pair string
		pair, v, _ = strings.Cut(v, ",")
		eq := strings.LastIndexByte(pair, '=')
		if eq < 0 {
			continue
		}
		n, err := strconv.ParseInt(pair[eq+1:], 10, 64)
		if err != nil {
			continue
		}
		fn(pair[:eq], n)
	}
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
	if err := s.Init(ctx); err != nil {
		return nil, fmt.Errorf("track: stats: %w", err)
	}
	field, shards := bucketFieldLink+id, []int{s.shardOf(id)}
	if scope == "camp" {
		field, shards = bucketFieldCamp+id, nil
		for i := range s.tags {
			shards = append(shards, i)
		}
	}
	pipe := s.rdb.Pipeline()
	type read struct {
		row int
		v2  *redis.StringCmd
		v1  *redis.MapStringStringCmd
	}
	var reads []read
	for i, b := range plan.buckets {
		for _, sh := range shards {
			reads = append(reads, read{row: i, v2: pipe.HGet(ctx, s.tags[sh]+":"+b, field)})
		}
		if s.v1Until > 0 && plan.starts[i].UnixMilli() < s.v1Until {
			reads = append(reads, read{row: i, v1: pipe.HGetAll(ctx, s.v1Pfx+plan.keys[i])})
		}
	}
	_, _ = pipe.Exec(ctx) // each command's error is read below
	rows := make([]map[string]int64, len(plan.keys))
	for _, r := range reads {
		if rows[r.row] == nil {
			rows[r.row] = map[string]int64{}
		}
		if r.v2 != nil {
			v, err := r.v2.Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return nil, fmt.Errorf("track: stats: %w", err)
			}
			parseCounters(v, rows[r.row])
			continue
		}
		if err := r.v1.Err(); err != nil {
			return nil, fmt.Errorf("track: stats: %w", err)
		}
		for f, v := range r.v1.Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			rows[r.row][f] += n
		}
	}
	return buildStats(scopeName(scope), id, from, to, by, plan, rows), nil
}

func scopeName(scope string) string {
	if scope == "camp" {
		return "campaign"
	}
	return scope
}

// LogRecord is one batch record of an event log as read back: its ID
// (the stream entry ID, or the embedded store's <ms>-<n>), its shard, and
// its events.
type LogRecord struct {
	Shard  int
	ID     string
	Events []LoggedEvent
}

func decodeEntry(shard int, m redis.XMessage) (LogRecord, error) {
	rec := LogRecord{Shard: shard, ID: m.ID}
	if v, _ := m.Values["v"].(string); v != "2" {
		return rec, fmt.Errorf("track: stream entry %s: format %q, want 2", m.ID, v)
	}
	if enc, _ := m.Values["enc"].(string); enc != "" && enc != "gzip" && enc != "snappy" {
		return rec, fmt.Errorf("track: stream entry %s: encoding %q, want gzip, snappy or none", m.ID, enc)
	}
	js, _ := m.Values["ev"].(string)
	evs, err := ParseEventLines([]byte(js))
	if err != nil {
		return rec, fmt.Errorf("track: stream entry %s: %w", m.ID, err)
	}
	rec.Events = evs
	return rec, nil
}

// Events implements Querier: up to limit events after the cursor (see
// logPos; "" is the oldest kept), oldest first across the shards (records
// merged by entry ID), and the cursor to pass next. limit is clamped to
// 1..1000 (default 100).
func (s *RedisSink) Events(ctx context.Context, after string, limit int) (*EventPage, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	pos, err := parseCursor(after, len(s.tags))
	if err != nil {
		return nil, err
	}
	// Each shard's next few records; a record holds up to a batch.
	const per = 8
	heads := make([][]redis.XMessage, len(s.tags))
	more := make([]bool, len(s.tags))
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.XMessageSliceCmd, len(s.tags))
	for i, p := range pos {
		start := "-"
		if p.set {
			start = p.id()
			if !p.partial {
				start = "(" + start
			}
		}
		cmds[i] = pipe.XRangeN(ctx, s.tags[i], start, "+", per)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("track: events: %w", err)
	}
	for i, c := range cmds {
		heads[i] = c.Val()
		more[i] = len(heads[i]) == per
	}
	page := &EventPage{Events: make([]LoggedEvent, 0, min(limit, 128))}
	for len(page.Events) < limit {
		best := -1
		var bms, bseq uint64
		for i, h := range heads {
			if len(h) == 0 {
				if more[i] {
					best = -2 // this shard may have older records than the rest: stop here
					break
				}
				continue
			}
			ms, seq, _ := parseRecordID(h[0].ID)
			if best < 0 || idLess(ms, seq, bms, bseq) {
				best, bms, bseq = i, ms, seq
			}
		}
		if best < 0 {
			break
		}
		m := heads[best][0]
		heads[best] = heads[best][1:]
		rec, err := decodeEntry(best, m)
		if err != nil {
			return nil, err
		}
		skip := 0
		if p := pos[best]; p.set && p.partial && p.ms == bms && p.seq == bseq {
			skip = p.k
		}
		take := min(len(rec.Events)-skip, limit-len(page.Events))
		if take > 0 {
			page.Events = append(page.Events, rec.Events[skip:skip+take]...)
		}
		pos[best] = logPos{set: true, ms: bms, seq: bseq}
		if skip+max(take, 0) < len(rec.Events) {
			pos[best].partial, pos[best].k = true, skip+take
			break
		}
	}
	page.Next = formatCursor(pos)
	return page, nil
}

// CreateGroup creates consumer group on every shard's stream (MKSTREAM)
// at start ("$": new records only, "0": everything kept); an existing
// group is left as it is.
func (s *RedisSink) CreateGroup(ctx context.Context, group, start string) error {
	for _, k := range s.tags {
		err := s.rdb.XGroupCreateMkStream(ctx, k, group, start).Err()
		if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return fmt.Errorf("track: create group %s on %s: %w", group, k, err)
		}
	}
	return nil
}

// ReadGroup reads records for consumer of group from every shard: its own
// pending records first when pending is set (ID 0), else new ones (">").
// With one shard it blocks up to block for new records; with several it
// reads each shard once (one pipeline) and the caller polls.
func (s *RedisSink) ReadGroup(ctx context.Context, group, consumer string, count int64, block time.Duration, pending bool) ([]LogRecord, error) {
	id := ">"
	if pending {
		id = "0"
	}
	if len(s.tags) > 1 || pending {
		block = -1 // no BLOCK argument
	}
	var res [][]redis.XStream
	var errs []error
	if len(s.tags) == 1 {
		r, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer,
			Streams: []string{s.tags[0], id}, Count: count, Block: block}).Result()
		res, errs = [][]redis.XStream{r}, []error{err}
	} else {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.XStreamSliceCmd, len(s.tags))
		for i, k := range s.tags {
			cmds[i] = pipe.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer,
				Streams: []string{k, id}, Count: count, Block: block})
		}
		_, _ = pipe.Exec(ctx)
		for _, c := range cmds {
			res = append(res, c.Val())
			errs = append(errs, c.Err())
		}
	}
	var out []LogRecord
	for i, err := range errs {
		if err != nil && !errors.Is(err, redis.Nil) {
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				_ = s.rdb.XGroupCreateMkStream(ctx, s.tags[i], group, "0").Err()
				continue
			}
			return out, fmt.Errorf("track: read group %s: %w", group, err)
		}
		for _, st := range res[i] {
			shard := slices.Index(s.tags, st.Stream)
			for _, m := range st.Messages {
				rec, err := decodeEntry(shard, m)
				if err != nil {
					rec.Events = nil // acknowledged without events: it cannot be read
				}
				out = append(out, rec)
			}
		}
	}
	return out, nil
}

// Ack acknowledges records of group.
func (s *RedisSink) Ack(ctx context.Context, group string, recs ...LogRecord) error {
	for _, r := range recs {
		if err := s.rdb.XAck(ctx, s.tags[r.Shard], group, r.ID).Err(); err != nil {
			return fmt.Errorf("track: ack %s: %w", r.ID, err)
		}
	}
	return nil
}

// Claim hands consumer the records of group pending longer than minIdle
// on every shard (their consumer died or is stuck).
func (s *RedisSink) Claim(ctx context.Context, group, consumer string, minIdle time.Duration) ([]LogRecord, error) {
	var out []LogRecord
	for i, k := range s.tags {
		start := "0-0"
		for ctx.Err() == nil {
			msgs, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: k, Group: group, Consumer: consumer, MinIdle: minIdle, Start: start, Count: 100,
			}).Result()
			if err != nil {
				if strings.HasPrefix(err.Error(), "NOGROUP") {
					break
				}
				return out, fmt.Errorf("track: claim on %s: %w", k, err)
			}
			for _, m := range msgs {
				rec, err := decodeEntry(i, m)
				if err != nil {
					rec.Events = nil
				}
				out = append(out, rec)
			}
			if next == "0-0" || next == "" {
				break
			}
			start = next
		}
	}
	return out, nil
}
