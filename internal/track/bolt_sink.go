package track

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// EventsDBFile is the conventional file name of the embedded event store
// inside the data directory (separate from the link store).
const EventsDBFile = "events.db"

var (
	bktLegacy   = []byte("events")   // version 1: big-endian seq → one event's JSON (migrated on open)
	bktBatches  = []byte("batches")  // big-endian write ms, big-endian n → the batch's event lines
	bktCounters = []byte("counters") // "<group>\x00<field>" → big-endian int64
	bktWriters  = []byte("writers")  // writer id → big-endian highest seq
)

// BoltConfig configures a BoltSink. Fields marked Optional have defaults.
type BoltConfig struct {
	// Retention is how long batch records are kept; older ones are
	// deleted as new ones are written. Optional. Default: 72h. Negative:
	// keep all.
	Retention time.Duration
	// NoLog keeps counters only (the event log is elsewhere: SplitSink).
	NoLog bool
	// Encoding is how a record's event lines are stored (a value starting
	// with gzip's 1f 8b, or plain lines). Optional. Default: EncodingGzip,
	// which also keeps a 512-event record to a few pages instead of ~50.
	Encoding Encoding
	// Location is the time zone of day/hour buckets. Optional. Default: ChinaTime.
	Location *time.Location
	// Timeout is how long Open waits for the file lock. Optional. Default: 5s.
	Timeout time.Duration
	// Now is the clock of record times and retention. Optional. Default: time.Now.
	Now func() time.Time
	// DayTTL and HourTTL are how long day and hour counters are kept, as
	// on Redis. Optional. Defaults: 400 days, 8 days.
	DayTTL, HourTTL time.Duration
	// SweepEvery is how often a background sweep deletes the counters
	// past DayTTL and HourTTL (SweepCounters), the first a minute after
	// open. Optional. Default: 1h. Negative: no background sweep.
	SweepEvery time.Duration
}

// BoltSink is the embedded mode's sink: the event log and counters in their
// own bbolt file, one read-write transaction per batch holding one record
// for the batch's events (no key per tap). Counters are kept (a few
// hundred bytes per link per hour) until the sweep deletes them past
// DayTTL and HourTTL. Safe for concurrent use; create it with
// OpenBoltSink and Close it after the Recorder.
type BoltSink struct {
	db      *bolt.DB
	cfg     BoltConfig
	scratch aggSlot[boltScratch]

	stop, swept chan struct{} // the background sweep's
	stopOnce    sync.Once
}

// boltScratch is a BoltSink's reusable per-batch state (see aggSlot).
type boltScratch struct {
	agg   *aggregator
	lines []byte // the batch's event lines
	z     []byte // lines as stored (Encoding)
	arena []byte // the counters' keys and values
	// bbolt keeps the slices passed to Put until the transaction ends;
	// the next batch reuses them only after that.
}

var _ Sink = (*BoltSink)(nil)

// OpenBoltSink opens (creating) the bbolt file at path. A file written by
// version 1 (one key per event) has its events moved into batch records
// of 512, ids "v1:<n>:<i>", once.
func OpenBoltSink(path string, cfg BoltConfig) (*BoltSink, error) {
	if cfg.Retention == 0 {
		cfg.Retention = 72 * time.Hour
	}
	if cfg.Location == nil {
		cfg.Location = ChinaTime
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DayTTL <= 0 {
		cfg.DayTTL = 400 * 24 * time.Hour
	}
	if cfg.HourTTL <= 0 {
		cfg.HourTTL = 8 * 24 * time.Hour
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = time.Hour
	}
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: cfg.Timeout})
	if err != nil {
		return nil, fmt.Errorf("track: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktBatches, bktCounters, bktWriters} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return migrateLegacyEvents(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("track: init %s: %w", path, err)
	}
	s := &BoltSink{db: db, cfg: cfg, stop: make(chan struct{}), swept: make(chan struct{})}
	if cfg.SweepEvery > 0 {
		go s.sweepLoop()
	} else {
		close(s.swept)
	}
	return s, nil
}

// sweepLoop runs SweepCounters a minute after open and every SweepEvery.
func (s *BoltSink) sweepLoop() {
	defer close(s.swept)
	t := time.NewTimer(min(time.Minute, s.cfg.SweepEvery))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		_, _ = s.SweepCounters(ctx) // a failed sweep is tried again next time
		cancel()
		t.Reset(s.cfg.SweepEvery)
	}
}

// sweepChunk is how many counter keys a sweep reads in one read
// transaction (and at most deletes in one write transaction).
var sweepChunk = 4096

// SweepCounters deletes the hour counters older than HourTTL and the day
// counters older than DayTTL (a bucket goes once its end is past the cut),
// a chunk of keys at a time: short read transactions, one write
// transaction per chunk with something to delete, the processor yielded
// between chunks, so batches keep being written meanwhile. It reads every
// counter key (the keys start with the link or campaign, not the time);
// the background sweep runs it hourly. It returns how many keys went.
func (s *BoltSink) SweepCounters(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	dayCut, hourCut := now.Add(-s.cfg.DayTTL), now.Add(-s.cfg.HourTTL)
	deleted := 0
	var from []byte // the first key not yet read; nil: the first key
	for {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		var expired [][]byte
		var next []byte
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bktCounters).Cursor()
			k, _ := c.First()
			if from != nil {
				k, _ = c.Seek(from)
			}
			for n := 0; k != nil; k, _ = c.Next() {
				if n == sweepChunk {
					next = bytes.Clone(k)
					return nil
				}
				n++
				if counterExpired(k, s.cfg.Location, dayCut, hourCut) {
					expired = append(expired, bytes.Clone(k))
				}
			}
			return nil
		})
		if err == nil && len(expired) > 0 {
			err = s.db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(bktCounters)
				for _, k := range expired {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err != nil {
			return deleted, fmt.Errorf("track: sweep counters: %w", err)
		}
		deleted += len(expired)
		if next == nil {
			return deleted, nil
		}
		from = next
		runtime.Gosched()
	}
}

// counterExpired reports whether counter key k ("<scope>:<id>:d:<yyyymmdd>"
// or ":h:<yyyymmddhh>", then NUL and the field) is of a bucket that ended
// at or before its cut. A key of another shape is kept.
func counterExpired(k []byte, loc *time.Location, dayCut, hourCut time.Time) bool {
	g := k
	if i := bytes.IndexByte(k, 0); i >= 0 {
		g = k[:i]
	}
	hour := false
	switch {
	case len(g) > 11 && string(g[len(g)-11:len(g)-8]) == ":d:":
		g = g[len(g)-8:]
	case len(g) > 13 && string(g[len(g)-13:len(g)-10]) == ":h:":
		g, hour = g[len(g)-10:], true
	default:
		return false
	}
	if !hour {
		start, err := time.ParseInLocation("20060102", string(g), loc)
		return err == nil && !start.AddDate(0, 0, 1).After(dayCut)
	}
	start, err := time.ParseInLocation("2006010215", string(g), loc)
	return err == nil && !start.Add(time.Hour).After(hourCut)
}

// migrateLegacyEvents moves version 1's events (one key each) into batch
// records and drops their bucket.
func migrateLegacyEvents(tx *bolt.Tx) error {
	old := tx.Bucket(bktLegacy)
	if old == nil {
		return nil
	}
	bb := tx.Bucket(bktBatches)
	var chunk []Event
	n := uint64(0)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		n++
		lines, err := AppendEventLines(nil, &Batch{Writer: "v1", Seq: n, Events: chunk})
		if err != nil {
			return err
		}
		seq, _ := bb.NextSequence()
		if err := bb.Put(batchKey(uint64(max(chunk[0].Time.UnixMilli(), 0)), seq), lines); err != nil {
			return err
		}
		chunk = chunk[:0]
		return nil
	}
	err := old.ForEach(func(_, v []byte) error {
		var ev Event
		if json.Unmarshal(v, &ev) != nil {
			return nil // unreadable in version 1 too
		}
		chunk = append(chunk, ev)
		if len(chunk) == 512 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("migrate version 1 events: %w", err)
	}
	return tx.DeleteBucket(bktLegacy)
}

func batchKey(ms, n uint64) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 16), ms)
	return binary.BigEndian.AppendUint64(k, n)
}

// Close stops the sweep and closes the file.
func (s *BoltSink) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.swept
	return s.db.Close()
}

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func be(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// WriteBatch implements Sink in one transaction (fsynced by bbolt on
// commit): the writer mark, one record of the batch's event lines, records
// past the retention deleted, the counters. The transaction yields the
// processor every yieldEvery counter writes, so on a small machine a big
// batch does not hold the only P against the taps.
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
	var err error
	sc.lines = sc.lines[:0]
	if !s.cfg.NoLog {
		if sc.lines, err = AppendEventLines(sc.lines, b); err != nil {
			return false, err
		}
		sc.z = encodeLines(sc.z[:0], sc.lines, s.cfg.Encoding)
	}
	now := s.cfg.Now()
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
		if !s.cfg.NoLog {
			bb := tx.Bucket(bktBatches)
			// Keys only ever grow: full pages instead of bbolt's half-full
			// splits (its advice for sequential appends).
			bb.FillPercent = 1.0
			n, err := bb.NextSequence()
			if err != nil {
				return err
			}
			if err := bb.Put(batchKey(uint64(max(now.UnixMilli(), 0)), n), sc.z); err != nil {
				return err
			}
			if s.cfg.Retention > 0 {
				cut := uint64(max(now.Add(-s.cfg.Retention).UnixMilli(), 0))
				c := bb.Cursor()
				for k, _ := c.First(); k != nil && len(k) == 16 && u64(k[:8]) < cut; k, _ = c.Next() {
					if err := c.Delete(); err != nil {
						return err
					}
				}
			}
		}
		cb := tx.Bucket(bktCounters)
		// Keys and values are appended to one arena: a slice taken before
		// the arena grows keeps the old array, which stays as it was.
		arena := sc.arena[:0]
		puts := 0
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
				if puts++; puts%yieldEvery == 0 {
					runtime.Gosched()
				}
			}
		}
		sc.arena = arena
		return nil
	})
	if cap(sc.lines) > 4<<20 {
		sc.lines, sc.z = nil, nil
	}
	if err != nil {
		return false, err
	}
	return applied, nil
}

// yieldEvery is how many counter writes a batch transaction makes between
// yields of the processor (runtime.Gosched).
const yieldEvery = 256

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

// Events implements Querier in record (write) order; record IDs are
// "<write ms>-<n>". limit is clamped to 1..1000 (default 100).
func (s *BoltSink) Events(_ context.Context, after string, limit int) (*EventPage, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	pos, err := parseCursor(after, 1)
	if err != nil {
		return nil, err
	}
	p := pos[0]
	page := &EventPage{Events: make([]LoggedEvent, 0, min(limit, 128))}
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktBatches).Cursor()
		var k, v []byte
		if p.set {
			k, v = c.Seek(batchKey(p.ms, p.seq))
			if k != nil && !p.partial && u64(k[:8]) == p.ms && u64(k[8:]) == p.seq {
				k, v = c.Next()
			}
		} else {
			k, v = c.First()
		}
		for ; k != nil && len(page.Events) < limit; k, v = c.Next() {
			ms, n := u64(k[:8]), u64(k[8:])
			evs, err := ParseEventLines(v)
			if err != nil {
				return fmt.Errorf("record %d-%d: %w", ms, n, err)
			}
			skip := 0
			if p.set && p.partial && p.ms == ms && p.seq == n {
				skip = min(p.k, len(evs))
			}
			take := min(len(evs)-skip, limit-len(page.Events))
			page.Events = append(page.Events, evs[skip:skip+take]...)
			p = logPos{set: true, ms: ms, seq: n}
			if skip+take < len(evs) {
				p.partial, p.k = true, skip+take
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("track: events: %w", err)
	}
	page.Next = p.String()
	return page, nil
}
