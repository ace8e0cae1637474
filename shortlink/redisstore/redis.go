// Package redisstore is the shortlink.Store on Redis (single node,
// Sentinel or Cluster, through go-redis' UniversalClient): links, API keys
// and domain records (Store), and the cache invalidation bus on Redis
// pub/sub (PubSub). It passes the contract suite in shortlink/storetest.
// The caller constructs and closes the client (internal/redisconn); both
// types are stateless and safe for concurrent use, so any number of hutong
// instances may share one Redis. This is the only link-store package that
// imports go-redis: shortlink itself does not.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/shortlink"
)

// Redis key layout (P is Options.Prefix, default "hutong"):
//
//	P:{<domain>/<code>}:link     hash: v (Link JSON), ver, created, max, exp (unix µs, 0 = never), dis (0/1)
//	P:{<domain>/<code>}:clicks   string counter of human taps counted against max
//	P:{idx}:all                  zset, score 0, member domain NUL code (listing order = bytewise)
//	P:{idx}:tag:<tag>            zset, same members, links carrying the tag
//	P:{idx}:campaign:<name>      zset, same members, links of the campaign
//	P:{keys}:hash:<sha256 hex>   APIKey JSON
//	P:{keys}:ids                 hash: id → sha256 hex
//
// The two keys of one link share a hash tag, so Create, Update, Hit and
// Delete are single-slot Lua scripts, atomic on Redis Cluster too. All index
// keys share the {idx} tag: one slot, so index updates are MULTI/EXEC and
// listing is a lexicographic range scan, at the price of putting every index
// on one Cluster node (fine for millions of links; the hot path never reads
// an index). Link and index writes are two steps: a crash between them can
// leave a link unlisted (never a listed link that is missing: List skips
// dangling members).

// Options configure New. The zero value is ready to use.
type Options struct {
	// Prefix starts every key. Optional. Default: "hutong". Tests use a
	// unique prefix each.
	Prefix string
	// Timeout bounds each store call when the caller's context has a later
	// (or no) deadline. Optional. Default: 2s.
	Timeout time.Duration
	// MinReplicas is how many replicas must acknowledge a cap's click
	// increment (WAIT on the link's master) before Hit counts it; when
	// fewer do within ReplicaTimeout, Hit fails with CodeUnavailable, so a
	// capped link fails closed instead of being overrun after a failover.
	// Optional. Default: 0 (no WAIT). See redisconn.DefaultMinReplicas.
	MinReplicas int
	// ReplicaTimeout bounds the WAIT. Optional. Default: 200ms.
	ReplicaTimeout time.Duration
}

// Store is the shortlink.Store on Redis (single node, Sentinel or Cluster via a
// redis.UniversalClient). Safe for concurrent use; stateless, so any number
// of instances may share one Redis.
type Store struct {
	rdb         redis.UniversalClient
	prefix      string
	timeout     time.Duration
	minReplicas int
	replicaWait time.Duration
}

var _ shortlink.Store = (*Store)(nil)

// New returns a store on rdb, which the caller constructs (see
// internal/redisconn) and closes. It does no I/O; call Ping to check.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Prefix == "" {
		opts.Prefix = "hutong"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.ReplicaTimeout <= 0 {
		opts.ReplicaTimeout = redisconn.DefaultReplicaTimeout
	}
	return &Store{rdb: rdb, prefix: opts.Prefix, timeout: opts.Timeout,
		minReplicas: opts.MinReplicas, replicaWait: opts.ReplicaTimeout}
}

func (s *Store) linkKey(d, c string) string   { return s.prefix + ":{" + d + "/" + c + "}:link" }
func (s *Store) clicksKey(d, c string) string { return s.prefix + ":{" + d + "/" + c + "}:clicks" }
func (s *Store) idxAll() string               { return s.prefix + ":{idx}:all" }
func (s *Store) idxTag(t string) string       { return s.prefix + ":{idx}:tag:" + t }
func (s *Store) idxCampaign(c string) string  { return s.prefix + ":{idx}:campaign:" + c }
func (s *Store) keyHash(h string) string      { return s.prefix + ":{keys}:hash:" + h }
func (s *Store) keyIDs() string               { return s.prefix + ":{keys}:ids" }

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// wrap returns a shortlink error with code and message around the cause err.
func wrap(code string, err error, format string, args ...any) *shortlink.Error {
	return &shortlink.Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// redisErr maps transport errors to CodeUnavailable.
func redisErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *shortlink.Error
	if errors.As(err, &e) {
		return err
	}
	return wrap(shortlink.CodeUnavailable, err, "store unavailable (%s)", what)
}

// Scripts. Hit results are HitResult values; -1 means not found.
var (
	createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'max', ARGV[2], 'exp', ARGV[3], 'dis', ARGV[4], 'ver', 1, 'created', ARGV[5])
if tonumber(ARGV[6]) > 0 then redis.call('SET', KEYS[2], ARGV[6]) else redis.call('DEL', KEYS[2]) end
return 1`)
	updateScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'ver', 'created')
if not cur[1] then return {-1} end
local ver = tonumber(cur[2])
local want = tonumber(ARGV[5])
if want ~= 0 and want ~= ver then return {-2, ver} end
ver = ver + 1
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'max', ARGV[2], 'exp', ARGV[3], 'dis', ARGV[4], 'ver', ver)
return {ver, cur[3], tonumber(redis.call('GET', KEYS[2]) or '0'), cur[1]}`)
	deleteScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return false end
redis.call('DEL', KEYS[1], KEYS[2])
return v`)
	hitScript = redis.NewScript(`
local h = redis.call('HMGET', KEYS[1], 'v', 'ver', 'created', 'max', 'exp', 'dis')
if not h[1] then return {-1} end
local clicks = tonumber(redis.call('GET', KEYS[2]) or '0')
local res = 0
local max = tonumber(h[4])
local exp = tonumber(h[5])
if h[6] == '1' then res = 3
elseif exp > 0 and tonumber(ARGV[1]) >= exp then res = 2
elseif max > 0 and clicks >= max then res = 1
else clicks = redis.call('INCR', KEYS[2]) end
return {res, h[1], h[2], h[3], clicks}`)
	createKeyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`)
)

func b2s(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func expMicros(l *shortlink.Link) int64 {
	if l.ExpiresAt == nil {
		return 0
	}
	return l.ExpiresAt.UnixMicro()
}

// decode builds a Link from the stored JSON and the authoritative fields.
func decodeRedisLink(v, ver, created any, clicks any) (shortlink.Link, error) {
	var l shortlink.Link
	vs, _ := v.(string)
	if err := shortlink.DecodeLink([]byte(vs), &l); err != nil {
		return shortlink.Link{}, wrap(shortlink.CodeInternal, err, "corrupt link record")
	}
	l.Version = toInt(ver)
	if cs, _ := created.(string); cs != "" {
		if t, err := time.Parse(time.RFC3339Nano, cs); err == nil {
			l.CreatedAt = t
		}
	}
	l.Clicks = toInt(clicks)
	return l, nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// Ping implements shortlink.Store.
//
// On a Cluster it pings every master of the slot map the client holds, so
// readiness fails while any slot's master is down (a plain PING would go
// to any one node); on Sentinel it pings the current master.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return redisErr(cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return c.Ping(ctx).Err()
		}), "ping every cluster master")
	}
	return redisErr(s.rdb.Ping(ctx).Err(), "ping")
}

// Close implements shortlink.Store. It does not close the client, which the caller owns.
func (s *Store) Close() error { return nil }

// Create implements shortlink.LinkStore.
func (s *Store) Create(ctx context.Context, l shortlink.Link) (shortlink.Link, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	l = l.Clone()
	l.Version = 1
	v, err := json.Marshal(&l)
	if err != nil {
		return shortlink.Link{}, wrap(shortlink.CodeInternal, err, "cannot encode link")
	}
	n, err := createScript.Run(ctx, s.rdb, []string{s.linkKey(l.Domain, l.Code), s.clicksKey(l.Domain, l.Code)},
		v, l.MaxClicks, expMicros(&l), b2s(l.Disabled), l.CreatedAt.Format(time.RFC3339Nano), l.Clicks).Int()
	if err != nil {
		return shortlink.Link{}, redisErr(err, "create")
	}
	if n == 0 {
		return shortlink.Link{}, shortlink.Errorf(shortlink.CodeConflict, "short code %q is already taken", l.Code)
	}
	if err := s.reindex(ctx, nil, &l); err != nil {
		return shortlink.Link{}, err
	}
	return l, nil
}

// redisCreateBatch is how many links CreateMany sends per pipeline: each
// batch is two round trips and gets its own Timeout.
const redisCreateBatch = 1000

// CreateMany implements shortlink.LinkStore: per batch of up to 1000 links, all the
// create scripts in one pipeline, then the index entries of the created
// links in one MULTI/EXEC (one ZADD per index key). Links are created in
// order, so of two with the same (Domain, Code) the first wins.
func (s *Store) CreateMany(ctx context.Context, links []shortlink.Link) ([]shortlink.Link, []error) {
	out := make([]shortlink.Link, len(links))
	errs := make([]error, len(links))
	for lo := 0; lo < len(links); lo += redisCreateBatch {
		hi := min(lo+redisCreateBatch, len(links))
		s.createBatch(ctx, links[lo:hi], out[lo:hi], errs[lo:hi])
	}
	return out, errs
}

func (s *Store) createBatch(ctx context.Context, links, out []shortlink.Link, errs []error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	type job struct {
		i    int
		keys []string
		args []any
	}
	jobs := make([]job, 0, len(links))
	for i := range links {
		l := links[i].Clone()
		l.Version = 1
		v, err := json.Marshal(&l)
		if err != nil {
			errs[i] = wrap(shortlink.CodeInternal, err, "cannot encode link")
			continue
		}
		out[i] = l
		jobs = append(jobs, job{i, []string{s.linkKey(l.Domain, l.Code), s.clicksKey(l.Domain, l.Code)},
			[]any{v, l.MaxClicks, expMicros(&l), b2s(l.Disabled), l.CreatedAt.Format(time.RFC3339Nano), l.Clicks}})
	}
	run := func(jobs []job, eval bool) []*redis.Cmd {
		cmds := make([]*redis.Cmd, len(jobs))
		p := s.rdb.Pipeline()
		for j, jb := range jobs {
			if eval {
				cmds[j] = createScript.Eval(ctx, p, jb.keys, jb.args...)
			} else {
				cmds[j] = createScript.EvalSha(ctx, p, jb.keys, jb.args...)
			}
		}
		_, _ = p.Exec(ctx) // errors are read per command
		return cmds
	}
	cmds := run(jobs, false)
	// A script cache without our script (restart, SCRIPT FLUSH) answers
	// NOSCRIPT without running anything: send those again with the source.
	var again []job
	var againAt []int
	for j, c := range cmds {
		if err := c.Err(); errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT") {
			again, againAt = append(again, jobs[j]), append(againAt, j)
		}
	}
	if len(again) > 0 {
		for k, c := range run(again, true) {
			cmds[againAt[k]] = c
		}
	}
	idx := map[string][]redis.Z{}
	var order []string // index keys in first-use order, for a deterministic MULTI
	add := func(k, member string) {
		if _, ok := idx[k]; !ok {
			order = append(order, k)
		}
		idx[k] = append(idx[k], redis.Z{Member: member})
	}
	created := make([]int, 0, len(jobs))
	for j, jb := range jobs {
		i := jb.i
		n, err := cmds[j].Int()
		switch {
		case err != nil:
			errs[i], out[i] = redisErr(err, "create"), shortlink.Link{}
			continue
		case n == 0:
			errs[i] = shortlink.Errorf(shortlink.CodeConflict, "short code %q is already taken", out[i].Code)
			out[i] = shortlink.Link{}
			continue
		}
		l := &out[i]
		m := shortlink.StoreKey(l.Domain, l.Code)
		add(s.idxAll(), m)
		for _, t := range l.Tags {
			add(s.idxTag(t), m)
		}
		if l.Campaign != "" {
			add(s.idxCampaign(l.Campaign), m)
		}
		created = append(created, i)
	}
	if len(created) == 0 {
		return
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range order {
			p.ZAdd(ctx, k, idx[k]...)
		}
		return nil
	})
	if err != nil {
		// As Create: the links exist but may be unlisted; report the failure.
		err = redisErr(err, "index")
		for _, i := range created {
			errs[i], out[i] = err, shortlink.Link{}
		}
	}
}

// reindex moves a link's index entries from old (nil: none) to new (nil: none).
func (s *Store) reindex(ctx context.Context, old, new *shortlink.Link) error {
	var oldTags, newTags []string
	var oldCamp, newCamp, member string
	if old != nil {
		oldTags, oldCamp, member = old.Tags, old.Campaign, shortlink.StoreKey(old.Domain, old.Code)
	}
	if new != nil {
		newTags, newCamp, member = new.Tags, new.Campaign, shortlink.StoreKey(new.Domain, new.Code)
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if new != nil {
			p.ZAdd(ctx, s.idxAll(), redis.Z{Member: member})
		} else {
			p.ZRem(ctx, s.idxAll(), member)
		}
		for _, t := range oldTags {
			if !slices.Contains(newTags, t) {
				p.ZRem(ctx, s.idxTag(t), member)
			}
		}
		for _, t := range newTags {
			p.ZAdd(ctx, s.idxTag(t), redis.Z{Member: member})
		}
		if oldCamp != "" && oldCamp != newCamp {
			p.ZRem(ctx, s.idxCampaign(oldCamp), member)
		}
		if newCamp != "" {
			p.ZAdd(ctx, s.idxCampaign(newCamp), redis.Z{Member: member})
		}
		return nil
	})
	return redisErr(err, "index")
}

// Get implements shortlink.LinkStore with no script: HMGET of the link
// hash, and for a capped link (MaxClicks > 0) a GET of its click counter.
// The two reads are not one atomic step: a Hit landing between them shows
// in Clicks (as if read a moment later); a Delete landing between them
// yields the link with Clicks 0, as a read just before the Delete would
// have without its taps. Both keys share a hash tag, so on Cluster it is
// one node.
func (s *Store) Get(ctx context.Context, domain, code string) (shortlink.Link, error) {
	var l [1]shortlink.Link
	var err [1]error
	s.GetMany(ctx, []shortlink.LinkRef{{Domain: domain, Code: code}}, l[:], err[:])
	return l[0], err[0]
}

// GetMany implements shortlink.MultiGetter: every link of refs, read as Get reads
// one: the link hashes in one pipeline (one round trip on a single node;
// go-redis splits it by node on Cluster), then the click counters of the
// capped ones among them in a second. An uncapped link's counter is never
// read: Clicks is the cap's counter (a link's taps are in its stats), and
// a cold tap on an uncapped link, nearly every cold tap, costs Redis one
// command, not two. links[i] and errs[i] answer refs[i]; both must have
// len(refs).
func (s *Store) GetMany(ctx context.Context, refs []shortlink.LinkRef, links []shortlink.Link, errs []error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	p := s.rdb.Pipeline()
	hs := make([]*redis.SliceCmd, len(refs))
	for i, r := range refs {
		hs[i] = p.HMGet(ctx, s.linkKey(r.Domain, r.Code), "v", "ver", "created")
	}
	_, _ = p.Exec(ctx) // errors are read per command below
	var capped []int
	for i, r := range refs {
		links[i], errs[i] = shortlink.Link{}, nil
		if err := hs[i].Err(); err != nil {
			errs[i] = redisErr(err, "get")
			continue
		}
		vals := hs[i].Val()
		if len(vals) < 3 || vals[0] == nil {
			errs[i] = shortlink.Errorf(shortlink.CodeNotFound, "short link %q not found", r.Code)
			continue
		}
		links[i], errs[i] = decodeRedisLink(vals[0], vals[1], vals[2], nil)
		if errs[i] == nil && links[i].MaxClicks > 0 {
			capped = append(capped, i)
		}
	}
	if len(capped) == 0 {
		return
	}
	p = s.rdb.Pipeline()
	cs := make([]*redis.StringCmd, len(capped))
	for j, i := range capped {
		cs[j] = p.Get(ctx, s.clicksKey(refs[i].Domain, refs[i].Code))
	}
	_, _ = p.Exec(ctx)
	for j, i := range capped {
		if err := cs[j].Err(); err != nil && !errors.Is(err, redis.Nil) {
			links[i], errs[i] = shortlink.Link{}, redisErr(err, "get")
			continue
		}
		links[i].Clicks = toInt(cs[j].Val())
	}
}

var _ shortlink.MultiGetter = (*Store)(nil)

// Update implements shortlink.LinkStore.
func (s *Store) Update(ctx context.Context, l shortlink.Link) (shortlink.Link, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	l = l.Clone()
	v, err := json.Marshal(&l)
	if err != nil {
		return shortlink.Link{}, wrap(shortlink.CodeInternal, err, "cannot encode link")
	}
	res, err := updateScript.Run(ctx, s.rdb, []string{s.linkKey(l.Domain, l.Code), s.clicksKey(l.Domain, l.Code)},
		v, l.MaxClicks, expMicros(&l), b2s(l.Disabled), l.Version).Slice()
	if err != nil {
		return shortlink.Link{}, redisErr(err, "update")
	}
	switch toInt(res[0]) {
	case -1:
		return shortlink.Link{}, shortlink.Errorf(shortlink.CodeNotFound, "short link %q not found", l.Code)
	case -2:
		return shortlink.Link{}, shortlink.Errorf(shortlink.CodeConflict, "short link %q was changed by someone else (version %d, yours %d); reload and retry", l.Code, toInt(res[1]), l.Version)
	}
	old, err := decodeRedisLink(res[3], nil, nil, nil)
	if err != nil {
		return shortlink.Link{}, err
	}
	l.Version = toInt(res[0])
	l.CreatedAt = old.CreatedAt
	if cs, _ := res[1].(string); cs != "" {
		if t, err := time.Parse(time.RFC3339Nano, cs); err == nil {
			l.CreatedAt = t
		}
	}
	l.Clicks = toInt(res[2])
	if err := s.reindex(ctx, &old, &l); err != nil {
		return shortlink.Link{}, err
	}
	return l, nil
}

// Delete implements shortlink.LinkStore.
func (s *Store) Delete(ctx context.Context, domain, code string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	v, err := deleteScript.Run(ctx, s.rdb, []string{s.linkKey(domain, code), s.clicksKey(domain, code)}).Result()
	if errors.Is(err, redis.Nil) {
		return shortlink.Errorf(shortlink.CodeNotFound, "short link %q not found", code)
	}
	if err != nil {
		return redisErr(err, "delete")
	}
	old, err := decodeRedisLink(v, nil, nil, nil)
	if err != nil {
		return err
	}
	old.Domain, old.Code = domain, code
	return s.reindex(ctx, &old, nil)
}

// Hit implements shortlink.LinkStore with one Lua script on the link's slot.
func (s *Store) Hit(ctx context.Context, domain, code string, now time.Time) (shortlink.Link, shortlink.HitResult, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	keys := []string{s.linkKey(domain, code), s.clicksKey(domain, code)}
	var res []any
	var err error
	if s.minReplicas <= 0 {
		res, err = hitScript.Run(ctx, s.rdb, keys, now.UnixMicro()).Slice()
	} else {
		res, err = s.durableHit(ctx, keys, now)
	}
	if err != nil {
		return shortlink.Link{}, 0, redisErr(err, "hit")
	}
	r := toInt(res[0])
	if r < 0 {
		return shortlink.Link{}, 0, shortlink.Errorf(shortlink.CodeNotFound, "short link %q not found", code)
	}
	l, err := decodeRedisLink(res[1], res[2], res[3], res[4])
	if err != nil {
		return shortlink.Link{}, 0, err
	}
	return l, shortlink.HitResult(r), nil
}

// durableHit runs the hit script and WAIT minReplicas on one connection to
// the link's master (EVAL again when the script is not loaded there).
func (s *Store) durableHit(ctx context.Context, keys []string, now time.Time) ([]any, error) {
	run := func(sha bool) ([]any, error) {
		var cmd *redis.Cmd
		_, _, err := redisconn.WaitReplicas(ctx, s.rdb, keys[0], s.minReplicas, s.replicaWait, func(p redis.Pipeliner) {
			if sha {
				cmd = hitScript.EvalSha(ctx, p, keys, now.UnixMicro())
			} else {
				cmd = hitScript.Eval(ctx, p, keys, now.UnixMicro())
			}
		})
		if err != nil {
			return nil, err
		}
		return cmd.Slice()
	}
	res, err := run(true)
	if err != nil && (errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT")) {
		res, err = run(false)
	}
	return res, err
}

// List implements shortlink.LinkStore: a lexicographic range scan of the most
// selective index, in batches, reading the links of each batch in one
// pipeline and filtering them.
func (s *Store) List(ctx context.Context, f shortlink.Filter) (shortlink.Page, error) {
	after, err := shortlink.DecodeCursor(f.Cursor)
	if err != nil {
		return shortlink.Page{}, err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	limit := f.PageLimit()
	src := s.idxAll()
	switch {
	case f.Tag != "":
		src = s.idxTag(f.Tag)
	case f.Campaign != "":
		src = s.idxCampaign(f.Campaign)
	}
	min, max := "-", "+"
	if f.Domain != "" {
		min, max = "["+f.Domain+"\x00", "("+f.Domain+"\x01"
	}
	if after != "" && (f.Domain == "" || after >= f.Domain+"\x00") {
		min = "(" + after
	}
	batch := int64(max2(limit+1, 100))
	var page shortlink.Page
	for {
		members, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: src, Start: min, Stop: max, ByLex: true, Count: batch}).Result()
		if err != nil {
			return shortlink.Page{}, redisErr(err, "list")
		}
		if len(members) == 0 {
			return page, nil
		}
		cmds := make([]*redis.SliceCmd, len(members))
		clicks := make([]*redis.StringCmd, len(members))
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, m := range members {
				d, c := shortlink.SplitStoreKey(m)
				cmds[i] = p.HMGet(ctx, s.linkKey(d, c), "v", "ver", "created")
				clicks[i] = p.Get(ctx, s.clicksKey(d, c))
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return shortlink.Page{}, redisErr(err, "list")
		}
		for i := range members {
			h := cmds[i].Val()
			if len(h) < 3 || h[0] == nil {
				continue // dangling index entry
			}
			l, err := decodeRedisLink(h[0], h[1], h[2], clicks[i].Val())
			if err != nil {
				return shortlink.Page{}, err
			}
			if !f.Match(&l) {
				continue
			}
			if len(page.Links) == limit {
				last := page.Links[limit-1]
				page.Next = shortlink.EncodeCursor(shortlink.StoreKey(last.Domain, last.Code))
				return page, nil
			}
			page.Links = append(page.Links, l)
		}
		if int64(len(members)) < batch {
			return page, nil
		}
		min = "(" + members[len(members)-1]
	}
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// CreateKey implements shortlink.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k shortlink.APIKey) error {
	if k.ID == "" || k.Hash == "" {
		return shortlink.Errorf(shortlink.CodeInvalid, "API key needs an ID and a hash (use NewAPIKey)")
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	v, err := json.Marshal(k)
	if err != nil {
		return wrap(shortlink.CodeInternal, err, "cannot encode API key")
	}
	n, err := createKeyScript.Run(ctx, s.rdb, []string{s.keyHash(k.Hash), s.keyIDs()}, v, k.ID, k.Hash).Int()
	if err != nil {
		return redisErr(err, "create key")
	}
	if n == 0 {
		return shortlink.Errorf(shortlink.CodeConflict, "this API key exists already")
	}
	return nil
}

func decodeKey(v string) (shortlink.APIKey, error) {
	var k shortlink.APIKey
	if err := json.Unmarshal([]byte(v), &k); err != nil {
		return shortlink.APIKey{}, wrap(shortlink.CodeInternal, err, "corrupt API key record")
	}
	return k, nil
}

// GetKeyByHash implements shortlink.KeyStore.
func (s *Store) GetKeyByHash(ctx context.Context, hash string) (shortlink.APIKey, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	v, err := s.rdb.Get(ctx, s.keyHash(hash)).Result()
	if errors.Is(err, redis.Nil) {
		return shortlink.APIKey{}, shortlink.Errorf(shortlink.CodeNotFound, "API key not found")
	}
	if err != nil {
		return shortlink.APIKey{}, redisErr(err, "get key")
	}
	return decodeKey(v)
}

// ListKeys implements shortlink.KeyStore.
func (s *Store) ListKeys(ctx context.Context) ([]shortlink.APIKey, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ids, err := s.rdb.HGetAll(ctx, s.keyIDs()).Result()
	if err != nil {
		return nil, redisErr(err, "list keys")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	names := make([]string, len(sorted))
	for i, id := range sorted {
		names[i] = s.keyHash(ids[id])
	}
	vals, err := s.rdb.MGet(ctx, names...).Result()
	if err != nil {
		return nil, redisErr(err, "list keys")
	}
	out := make([]shortlink.APIKey, 0, len(vals))
	for _, v := range vals {
		vs, ok := v.(string)
		if !ok {
			continue
		}
		k, err := decodeKey(vs)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// RevokeKey implements shortlink.KeyStore (optimistic WATCH/MULTI on the key record).
func (s *Store) RevokeKey(ctx context.Context, id string, now time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	hash, err := s.rdb.HGet(ctx, s.keyIDs(), id).Result()
	if errors.Is(err, redis.Nil) {
		return shortlink.Errorf(shortlink.CodeNotFound, "API key %q not found", id)
	}
	if err != nil {
		return redisErr(err, "revoke key")
	}
	name := s.keyHash(hash)
	for range 5 {
		err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			v, err := tx.Get(ctx, name).Result()
			if errors.Is(err, redis.Nil) {
				return shortlink.Errorf(shortlink.CodeNotFound, "API key %q not found", id)
			}
			if err != nil {
				return err
			}
			k, err := decodeKey(v)
			if err != nil || k.RevokedAt != nil {
				return err
			}
			t := now.UTC()
			k.RevokedAt = &t
			nv, err := json.Marshal(k)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, name, nv, 0)
				return nil
			})
			return err
		}, name)
		if !errors.Is(err, redis.TxFailedErr) {
			return redisErr(err, "revoke key")
		}
	}
	return redisErr(err, "revoke key")
}

// HasKeys implements shortlink.KeyStore.
func (s *Store) HasKeys(ctx context.Context) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.Exists(ctx, s.keyIDs()).Result()
	if err != nil {
		return false, redisErr(err, "has keys")
	}
	return n > 0, nil
}
