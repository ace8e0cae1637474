package redisconn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Probe answers whether Redis serves the keys hutong needs, for /readyz:
// not only that some node answers PING. Build it with NewProbe for the URL
// and client New returned; Check is safe for concurrent use.
//
//   - Cluster: every one of the 16384 slots has a master (CLUSTER SLOTS),
//     and a read of a key in every master's slot range, sent through the
//     client as a tap's would be (its slot map, its connections), answers.
//     Link keys hash over all slots, so a range without a live master is
//     links that cannot be tapped.
//   - Sentinel: the node the client talks to reports ROLE master, answers a
//     read of a known key, and is the master the Sentinels name (same
//     run_id) when a Sentinel answers; unreachable Sentinels alone do not
//     make hutong unready (the data node still serves).
//   - Single node: ROLE master and the read.
type Probe struct {
	c        redis.UniversalClient
	sentinel []string // Sentinel addresses, nil when not Sentinel
	master   string
	opts     *redis.UniversalOptions
}

// probeKey is the known key Check reads on a single node or Sentinel
// master: the store's API key index (it may not exist; EXISTS answers
// either way).
const probeKey = "hutong:{keys}:ids"

// NewProbe returns the Probe for c, the client New built from rawURL.
func NewProbe(rawURL string, c redis.UniversalClient, cfg Config) (*Probe, error) {
	o, _, err := parse(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	p := &Probe{c: c, opts: o}
	if o.MasterName != "" {
		p.sentinel, p.master = o.Addrs, o.MasterName
	}
	return p, nil
}

// Check returns nil when Redis serves hutong's keys, else an error that
// says what does not (a slot range, a node, a role).
func (p *Probe) Check(ctx context.Context) error {
	if cc, ok := p.c.(*redis.ClusterClient); ok {
		return checkCluster(ctx, cc)
	}
	pipe := p.c.Pipeline()
	role := pipe.Do(ctx, "ROLE")
	info := pipe.Info(ctx, "server")
	exists := pipe.Exists(ctx, probeKey)
	_, err := pipe.Exec(ctx)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if err := exists.Err(); err != nil {
		return fmt.Errorf("redis: read %s: %w", probeKey, err)
	}
	r, err := role.Slice()
	if err != nil || len(r) == 0 {
		return fmt.Errorf("redis ROLE: %v", err)
	}
	if s, _ := r[0].(string); s != "master" {
		return fmt.Errorf("redis: the node hutong writes to is a %v, not the master", r[0])
	}
	if p.sentinel == nil {
		return nil
	}
	want, ok := p.sentinelMasterRunID(ctx)
	if !ok {
		return nil
	}
	if got := infoField(info.Val(), "run_id"); got != want {
		return fmt.Errorf("redis: the node hutong writes to (run_id %s) is not the master the Sentinels name for %q (run_id %s)", got, p.master, want)
	}
	return nil
}

// sentinelMasterRunID asks the Sentinels in turn for the master's run_id.
func (p *Probe) sentinelMasterRunID(ctx context.Context) (string, bool) {
	for _, addr := range p.sentinel {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr, Username: p.opts.SentinelUsername, Password: p.opts.SentinelPassword,
			TLSConfig: p.opts.TLSConfig, DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, MaxRetries: -1})
		m, err := sc.Master(ctx, p.master).Result()
		sc.Close()
		if err == nil && m["runid"] != "" {
			return m["runid"], true
		}
	}
	return "", false
}

func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

func checkCluster(ctx context.Context, cc *redis.ClusterClient) error {
	slots, err := clusterSlotsOf(ctx, cc)
	if err != nil {
		return err
	}
	covered := 0
	errs := make([]error, len(slots))
	var wg sync.WaitGroup
	for i, s := range slots {
		if len(s.Nodes) == 0 {
			continue
		}
		covered += s.End - s.Start + 1
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Through the client, as a tap's read goes: its slot map, its
			// pool to that master, a MOVED followed.
			if err := cc.Exists(ctx, keyInSlots(s.Start, s.End)).Err(); err != nil {
				errs[i] = fmt.Errorf("slots %d-%d (master %s): %w", s.Start, s.End, s.Nodes[0].Addr, err)
			}
		}()
	}
	wg.Wait()
	if covered < clusterSlots {
		errs = append(errs, fmt.Errorf("%d of %d slots have no master: links in them cannot be read", clusterSlots-covered, clusterSlots))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("redis cluster: %w", err)
	}
	return nil
}

// clusterSlotsOf asks every node of the client's slot map for CLUSTER
// SLOTS at once and takes the first answer: a killed node must not make the
// question fail or wait.
func clusterSlotsOf(ctx context.Context, cc *redis.ClusterClient) ([]redis.ClusterSlot, error) {
	// Half of what the caller left (the reads of every range need the
	// rest), at least 700 ms: on a loaded host a fixed 700 ms made a healthy
	// cluster look unanswering.
	wait := 700 * time.Millisecond
	if dl, ok := ctx.Deadline(); ok {
		if half := time.Until(dl) / 2; half > wait {
			wait = half
		}
	}
	qctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	got := make(chan []redis.ClusterSlot, 1)
	var mu sync.Mutex
	var lastErr error
	go func() {
		_ = cc.ForEachShard(qctx, func(ctx context.Context, n *redis.Client) error {
			s, err := n.ClusterSlots(ctx).Result()
			if err != nil {
				mu.Lock()
				lastErr = err
				mu.Unlock()
				return nil
			}
			select {
			case got <- s:
				cancel() // the others need not finish
			default:
			}
			return nil
		})
		close(got)
	}()
	if s, ok := <-got; ok {
		return s, nil
	}
	mu.Lock()
	defer mu.Unlock()
	if lastErr == nil {
		lastErr = qctx.Err()
	}
	return nil, fmt.Errorf("redis CLUSTER SLOTS: no node answers: %v", lastErr)
}

const clusterSlots = 16384

// keyInSlots returns a key whose hash slot is in [lo, hi].
func keyInSlots(lo, hi int) string {
	for i := 0; ; i++ {
		tag := strconv.Itoa(i)
		if s := int(crc16(tag)) % clusterSlots; s >= lo && s <= hi {
			return "hutong:ready:{" + tag + "}"
		}
	}
}

// crc16 is Redis Cluster's key hash (CRC-16/XMODEM).
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
