package track

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Batch is the unit the writer hands to a Sink and appends to the spill
// file: the events collected in one flush, named by the writer that made it
// and a sequence number that grows by one per batch of that writer. (Writer,
// Seq) makes writes idempotent: a sink records the highest Seq it applied
// per Writer and skips a batch at or below it, so a batch that reached the
// sink before a timeout and is replayed from the spill is not written twice.
type Batch struct {
	Writer string  `json:"w"`
	Seq    uint64  `json:"seq"`
	Events []Event `json:"events"`
}

// Sink is where batches go: the Redis Stream plus counters (RedisSink) or
// the embedded bbolt file (BoltSink). Implementations are safe for
// concurrent use.
type Sink interface {
	// WriteBatch applies the whole batch atomically — events and counters —
	// or not at all. It reports applied=false with a nil error when the
	// batch (same Writer, Seq at or below the highest applied) was already
	// written. A non-nil error means the sink could not be reached or
	// refused the write; the caller spills the batch and replays it later.
	WriteBatch(ctx context.Context, b *Batch) (applied bool, err error)
	Querier
}

// Querier is what the HTTP server consumes for stats and raw events. Both
// sinks implement it; it is safe for concurrent use.
type Querier interface {
	// Stats sums the counters of link code over [from, to) in buckets of
	// by ("day" or "hour", "" means "day"), in the sink's time zone.
	Stats(ctx context.Context, code string, from, to time.Time, by string) (*Stats, error)
	// CampaignStats is Stats for all links tagged with campaign.
	CampaignStats(ctx context.Context, campaign string, from, to time.Time, by string) (*Stats, error)
	// Events returns up to limit events after the cursor ("" means from
	// the oldest kept; see SinceCursor) in write order, and the cursor to
	// pass next (itself when the page is empty).
	Events(ctx context.Context, after string, limit int) (*EventPage, error)
}

// ErrInvalidQuery is returned (wrapped) by Querier methods for a bad
// granularity, an empty or reversed range, a range with too many buckets,
// or a malformed cursor. The server maps it to 400.
var ErrInvalidQuery = errors.New("track: invalid query")

// EventPage is one page of Events.
type EventPage struct {
	Events []LoggedEvent `json:"events"`
	// Next is the cursor for the following page (see SinceCursor): pass
	// it as since (after) to read on; it stays put when the page is empty.
	Next string `json:"next"`
}

// Counts are tap counters for a bucket or a whole range. Breakdowns count
// human taps only (bots would distort them); bots are counted in Bot.
type Counts struct {
	// Total is every tap, human and bot.
	Total int64 `json:"total"`
	// Human is taps not flagged as bots; TotalHuman is the same number
	// under the name the stats API contract uses.
	Human      int64 `json:"human"`
	TotalHuman int64 `json:"total_human"`
	Bot        int64 `json:"bot"`
	// Breakdown maps a dimension (app, os, device, scene, pay_channel,
	// action) to value → human taps.
	Breakdown map[string]map[string]int64 `json:"breakdown,omitempty"`
}

// Bucket is one day or hour of a Stats series.
type Bucket struct {
	Start time.Time `json:"start"`
	Counts
}

// Stats is the answer to a stats query: totals over the range and a series
// of non-empty buckets.
type Stats struct {
	// Scope is "link" or "campaign"; ID the code or campaign name.
	Scope string    `json:"scope"`
	ID    string    `json:"id"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	By    string    `json:"by"`
	Counts
	Series []Bucket `json:"series"`
}

// Counter field names and breakdown dimensions. A counter hash (Redis) or
// key group (bbolt) holds fields "total", "human", "bot" and, for human
// taps, "<dim>:<value>" with dim one of app, os, device, scene, pay, action.
const (
	// Field prefixes of a link's and a campaign's counters in a bucket
	// hash (Redis).
	bucketFieldLink = "l:"
	bucketFieldCamp = "c:"

	fieldTotal = "total"
	fieldHuman = "human"
	fieldBot   = "bot"
)

var dimNames = map[string]string{
	"app": "app", "os": "os", "device": "device", "scene": "scene", "pay": "pay_channel", "action": "action", "shell": "shell",
}

// Limits on the number of buckets one query may read.
const (
	maxDayBuckets  = 800
	maxHourBuckets = 24 * 62
)

const (
	granDay  = "d"
	granHour = "h"
)

func counterKey(scope, id, gran, bucket string) string {
	return scope + ":" + id + ":" + gran + ":" + bucket
}

// bucketPlan lists the counter groups a query reads, oldest first.
type bucketPlan struct {
	starts  []time.Time
	keys    []string // "link:<code>:d:<yyyymmdd>" (embedded store, version 1 Redis)
	buckets []string // "d:<yyyymmdd>" (Redis bucket hashes)
}

func planBuckets(scope, id string, from, to time.Time, by string, loc *time.Location) (string, bucketPlan, error) {
	var p bucketPlan
	if id == "" {
		return "", p, fmt.Errorf("%w: empty %s", ErrInvalidQuery, scope)
	}
	if by == "" {
		by = "day"
	}
	if !to.After(from) {
		return "", p, fmt.Errorf("%w: empty range %s..%s", ErrInvalidQuery, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	from, to = from.In(loc), to.In(loc)
	var t time.Time
	var gran, layout string
	var limit int
	switch by {
	case "day":
		t = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
		gran, layout, limit = granDay, "20060102", maxDayBuckets
	case "hour":
		t = from.Truncate(time.Hour)
		gran, layout, limit = granHour, "2006010215", maxHourBuckets
	default:
		return "", p, fmt.Errorf("%w: by=%q, want day or hour", ErrInvalidQuery, by)
	}
	for ; t.Before(to); t = nextBucket(t, by) {
		if len(p.starts) == limit {
			return "", p, fmt.Errorf("%w: more than %d %s buckets", ErrInvalidQuery, limit, by)
		}
		p.starts = append(p.starts, t)
		b := t.Format(layout)
		p.keys = append(p.keys, counterKey(scope, id, gran, b))
		p.buckets = append(p.buckets, gran+":"+b)
	}
	return by, p, nil
}

func nextBucket(t time.Time, by string) time.Time {
	if by == "hour" {
		return t.Add(time.Hour)
	}
	return t.AddDate(0, 0, 1)
}

// buildStats folds per-bucket field maps (aligned with plan.keys; nil for a
// missing bucket) into a Stats.
func buildStats(scope, id string, from, to time.Time, by string, plan bucketPlan, rows []map[string]int64) *Stats {
	s := &Stats{Scope: scope, ID: id, From: from, To: to, By: by, Series: []Bucket{}}
	for i, row := range rows {
		if len(row) == 0 {
			continue
		}
		b := Bucket{Start: plan.starts[i]}
		for f, n := range row {
			b.add(f, n)
			s.add(f, n)
		}
		b.TotalHuman = b.Human
		s.Series = append(s.Series, b)
	}
	s.TotalHuman = s.Human
	return s
}

func (c *Counts) add(field string, n int64) {
	switch field {
	case fieldTotal:
		c.Total += n
	case fieldHuman:
		c.Human += n
	case fieldBot:
		c.Bot += n
	default:
		dim, v, ok := strings.Cut(field, ":")
		name, known := dimNames[dim]
		if !ok || !known {
			return
		}
		if c.Breakdown == nil {
			c.Breakdown = make(map[string]map[string]int64, 6)
		}
		m := c.Breakdown[name]
		if m == nil {
			m = make(map[string]int64)
			c.Breakdown[name] = m
		}
		m[v] += n
	}
}
