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

// ErrNotReplicated is returned by WaitReplicas when fewer replicas than asked
// acknowledged the write within the timeout. The write did happen on the
// master, which may still lose it in a failover: treat the write as not
// durable (spill and replay it idempotently, or fail closed).
var ErrNotReplicated = errors.New("redis: write not acknowledged by enough replicas")

// DefaultReplicaTimeout is the WAIT timeout callers use when they have none.
const DefaultReplicaTimeout = 200 * time.Millisecond

// WaitReplicas queues write's commands and then `WAIT n timeout` in one
// pipeline on one connection to the master that owns key (on a Cluster the
// master of key's slot, found with MasterForKey; otherwise c itself, whose
// pipelines use one connection). WAIT counts the replicas that acknowledged
// the writes made on its own connection, which is why the write goes in the
// same pipeline instead of before the call: on a pooled client a WAIT sent
// on its own may reach a connection that wrote nothing and answer at once.
//
// Every command queued by write must hash to key's slot. It returns the
// queued commands (check each one's Err: a script's NOSCRIPT, a MOVED after a
// resharding) and the number of replicas that acknowledged. With n <= 0 no
// WAIT is sent, acked is 0 and the commands run through c as usual. The
// error is the first command error (a MOVED also triggers a slot-map
// reload), else ErrNotReplicated when acked < n. timeout is rounded up to
// 1ms (WAIT 0 would block forever); ctx should allow a little longer than
// timeout. Safe for concurrent use.
func WaitReplicas(ctx context.Context, c redis.UniversalClient, key string, n int, timeout time.Duration,
	write func(redis.Pipeliner)) (cmds []redis.Cmder, acked int, err error) {
	if n <= 0 {
		cmds, err = c.Pipelined(ctx, func(p redis.Pipeliner) error { write(p); return nil })
		return cmds, 0, err
	}
	node := c
	if cc, ok := c.(*redis.ClusterClient); ok {
		m, err := cc.MasterForKey(ctx, key)
		if err != nil {
			return nil, 0, err
		}
		node = m
	}
	ms := timeout.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	p := node.Pipeline()
	write(p)
	wait := p.Do(ctx, "WAIT", n, ms)
	cmds, err = p.Exec(ctx)
	cmds = cmds[:len(cmds)-1]
	for _, cmd := range cmds {
		if e := cmd.Err(); e != nil && e != redis.Nil {
			if cc, ok := c.(*redis.ClusterClient); ok && (strings.HasPrefix(e.Error(), "MOVED") || strings.HasPrefix(e.Error(), "ASK")) {
				cc.ReloadState(ctx)
			}
			return cmds, 0, e
		}
	}
	if err != nil && err != redis.Nil {
		return cmds, 0, err
	}
	got, err := wait.Int()
	if err != nil {
		return cmds, 0, fmt.Errorf("redis WAIT: %w", err)
	}
	if got < n {
		return cmds, got, fmt.Errorf("%w (%d of %d within %v)", ErrNotReplicated, got, n, time.Duration(ms)*time.Millisecond)
	}
	return cmds, got, nil
}

// Replicas reports the fewest connected replicas any master has: on a
// Cluster the minimum over all masters, otherwise the `connected_slaves` of
// INFO replication on c's master. Callers use it to pick a default number of
// replicas to wait for.
func Replicas(ctx context.Context, c redis.UniversalClient) (int, error) {
	count := func(ctx context.Context, n redis.UniversalClient) (int, error) {
		info, err := n.Info(ctx, "replication").Result()
		if err != nil {
			return 0, err
		}
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_slaves:"); ok {
				return strconv.Atoi(v)
			}
		}
		return 0, errors.New("redis INFO replication has no connected_slaves")
	}
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		return count(ctx, c)
	}
	least := -1
	var mu sync.Mutex
	err := cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		n, err := count(ctx, m)
		if err != nil {
			return err
		}
		mu.Lock()
		if least < 0 || n < least {
			least = n
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return 0, err
	}
	if least < 0 {
		least = 0
	}
	return least, nil
}

// DefaultMinReplicas is the replica count to wait for when the operator set
// none: what the servers report now (Replicas), so 0 on a lone server, where
// WAIT could never succeed. Waiting for every replica, not one, is what
// keeps a planned Sentinel failover lossless with two replicas: the one
// not promoted keeps acknowledging the old master's writes until it is
// re-pointed, then drops them in its resync. The price: while a replica is
// down, durable writes fail (callers spill or fail closed) until it is back.
// An error reading INFO gives 0.
func DefaultMinReplicas(ctx context.Context, c redis.UniversalClient) int {
	n, err := Replicas(ctx, c)
	if err != nil || n < 1 {
		return 0
	}
	return n
}
