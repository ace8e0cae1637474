package track

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// EventsDBFile is the conventional file name of the embedded event store
// inside the data directory (separate from the link store).
const EventsDBFile = "events.db"

var (
	bktEvents   = []byte("events")   // big-endian seq → event JSON
	bktCounters = []byte("counters") // "<group>\x00<field>" → big-endian int64
	bktWriters  = []byte("writers")  // writer id → big-endian highest seq
)

// BoltConfig configures a BoltSink. Fields marked Optional have defaults.
type BoltConfig struct {
	// MaxEvents caps the events kept; the oldest are deleted as new ones
	// arrive. Optional. Default: 1,000,000. Negative: keep all.
	MaxEvents int64
	// Location is the time zone of day/hour buckets. Optional. Default: ChinaTime.
	Location *time.Location
	// Timeout is how long Open waits for the file lock. Optional. Default: 5s.
	Timeout time.Duration
}

// BoltSink is the embedded mode's sink: events and counters in their own
// bbolt file, one read-write transaction per batch. Counters never expire
// (a few hundred bytes per link per hour). Safe for concurrent use; create
// it with OpenBoltSink and Close it after the Recorder.
type BoltSink struct {
	db      *bolt.DB
	cfg     BoltConfig
	scratch aggSlot[boltScratch]
}

// boltScratch is a BoltSink's reusable per-batch state (see aggSlot):
// without it every batch grew a fresh ~200 KB JSON buffer by doubling
// (the largest single cost of a write before) and allocated a key per event.
type boltScratch struct {
	agg   *aggregator
	js    []byte // the batch's events as JSON, back to back
	ends  []int  // where each event's JSON ends in js
	keys  []byte // 8 bytes per event: its big-endian sequence number
	arena []byte // the counters' keys and values
	// bbolt keeps the slices passed to Put until the transaction ends;
	// the next batch reuses them only after that.
}

var _ Sink = (*BoltSink)(nil)

// OpenBoltSink opens (creating) the bbolt file at path.
func OpenBoltSink(path string, cfg BoltConfig) (*BoltSink, error) {
	if cfg.MaxEvents == 0 {
		cfg.MaxEvents = 1_000_000
	}
	if cfg.Location == nil {
		cfg.Location = ChinaTime
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: cfg.Timeout})
	if err != nil {
		return nil, fmt.Errorf("track: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktEvents, bktCounters, bktWriters} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("track: init %s: %w", path, err)
	}
	return &BoltSink{db: db, cfg: cfg}, nil
}

// Close closes the file.
func (s *BoltSink) Close() error { return s.db.Close() }

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func be(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// WriteBatch implements Sink in one transaction (fsynced by bbolt on commit).
func (s *BoltSink) WriteBatch(ctx context.Context, b *Batch) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if len(b.Events) == 0 {
		return true, nil
	}
	sc, release := s.scratch.get(func() *boltScratch { return &boltScratch{agg: newAggregator(s.cfg.Location, "")} })
	defer release()
	deltas := sc.agg.aggregate(b.Events)
	// One buffer for the batch's JSON (bbolt needs values to stay valid
	// until the transaction ends), reused from batch to batch.
	var err error
	if sc.js, sc.ends, err = encodeEvents(sc.js, sc.ends, b.Events); err != nil {
		return false, err
	}
	applied := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		w := tx.Bucket(bktWriters)
		if u64(w.Get([]byte(b.Writer))) >= b.Seq {
			return nil
		}
		applied = true
		if err := w.Put([]byte(b.Writer), be(b.Seq)); err != nil {
			return err
		}
		evb := tx.Bucket(bktEvents)
		// Keys only ever grow: full pages instead of bbolt's half-full
		// splits (its advice for sequential appends).
		evb.FillPercent = 1.0
		sc.keys = slices.Grow(sc.keys[:0], 8*len(sc.ends))[:8*len(sc.ends)]
		keys := sc.keys
		start := 0
		for i, end := range sc.ends {
			id, err := evb.NextSequence()
			if err != nil {
				return err
			}
			k := keys[8*i : 8*i+8 : 8*i+8]
			binary.BigEndian.PutUint64(k, id)
			if err := evb.Put(k, sc.js[start:end:end]); err != nil {
				return err
			}
			start = end
		}
		if s.cfg.MaxEvents > 0 {
			// Sequence numbers are dense, so the oldest kept is seq-Max+1.
			cut := int64(evb.Sequence()) - s.cfg.MaxEvents
			c := evb.Cursor()
			for k, _ := c.First(); k != nil && int64(u64(k)) <= cut; k, _ = c.Next() {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		cb := tx.Bucket(bktCounters)
		// Keys and values are appended to one arena: a slice taken before
		// the arena grows keeps the old array, which stays as it was.
		arena := sc.arena[:0]
		for _, d := range deltas {
			for _, f := range d.fields {
				at := len(arena)
				arena = append(append(append(arena, d.key...), 0), f.name...)
				k := arena[at:len(arena):len(arena)]
				v := int64(u64(cb.Get(k))) + f.n
				at = len(arena)
				arena = binary.BigEndian.AppendUint64(arena, uint64(v))
				if err := cb.Put(k, arena[at:len(arena):len(arena)]); err != nil {
					return err
				}
			}
		}
		sc.arena = arena
		return nil
	})
	if err != nil {
		return false, err
	}
	return applied, nil
}

func counterField(group, field string) []byte {
	k := make([]byte, 0, len(group)+1+len(field))
	k = append(k, group...)
	k = append(k, 0)
	return append(k, field...)
}

// Stats implements Querier.
func (s *BoltSink) Stats(ctx context.Context, code string, from, to time.Time, by string) (*Stats, error) {
	return s.stats(ctx, "link", code, from, to, by)
}

// CampaignStats implements Querier.
func (s *BoltSink) CampaignStats(ctx context.Context, campaign string, from, to time.Time, by string) (*Stats, error) {
	return s.stats(ctx, "camp", campaign, from, to, by)
}

func (s *BoltSink) stats(_ context.Context, scope, id string, from, to time.Time, by string) (*Stats, error) {
	by, plan, err := planBuckets(scope, id, from, to, by, s.cfg.Location)
	if err != nil {
		return nil, err
	}
	rows := make([]map[string]int64, len(plan.keys))
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktCounters).Cursor()
		for i, key := range plan.keys {
			pfx := counterField(key, "")
			for k, v := c.Seek(pfx); k != nil && bytes.HasPrefix(k, pfx); k, v = c.Next() {
				if rows[i] == nil {
					rows[i] = make(map[string]int64)
				}
				rows[i][string(k[len(pfx):])] = int64(u64(v))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("track: stats: %w", err)
	}
	return buildStats(scopeName(scope), id, from, to, by, plan, rows), nil
}

// Events implements Querier in key (write) order; IDs are decimal sequence
// numbers. limit is clamped to 1..1000 (default 100).
func (s *BoltSink) Events(_ context.Context, after string, limit int) (*EventPage, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var start uint64 = 1
	if after != "" {
		n, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: cursor %q", ErrInvalidQuery, after)
		}
		start = n + 1
	}
	page := &EventPage{Events: make([]StoredEvent, 0, limit), Next: after}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktEvents).Cursor()
		for k, v := c.Seek(be(start)); k != nil && len(page.Events) < limit; k, v = c.Next() {
			se := StoredEvent{ID: strconv.FormatUint(u64(k), 10)}
			if err := json.Unmarshal(v, &se.Event); err != nil {
				return fmt.Errorf("event %s: %w", se.ID, err)
			}
			page.Events = append(page.Events, se)
			page.Next = se.ID
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("track: events: %w", err)
	}
	return page, nil
}
