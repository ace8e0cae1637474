package track

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// SplitSink is a Sink whose counters go to one place (a RedisSink or
// BoltSink, normally with NoLog) and whose event log goes to another (a
// NATSLog). WriteBatch applies the counters first — idempotent by the
// counter sink's writer marks — then appends the batch to the log —
// idempotent per (Writer, Seq) by the log. An error from either is
// returned: the Recorder spills the batch and replays it later, in order,
// when the counters are skipped as already applied and the log append is
// repeated (or skipped) as needed, so neither part is lost or doubled.
//
// Stats and CampaignStats are the counter sink's; Events is the log's. It
// is safe for concurrent use if both parts are. The zero value is not
// usable: set both fields.
type SplitSink struct {
	Counters Sink
	Log      EventLog

	mu    sync.Mutex
	lines []byte // reused payload buffer, under mu
}

var _ Sink = (*SplitSink)(nil)

// WriteBatch implements Sink. applied reports the counter sink's answer
// (false: the counters had this batch already, as on a replay after the
// log failed); the log is appended to either way.
func (s *SplitSink) WriteBatch(ctx context.Context, b *Batch) (bool, error) {
	applied, err := s.Counters.WriteBatch(ctx, b)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines, err = AppendEventLines(s.lines[:0], b)
	if err != nil {
		return false, fmt.Errorf("track: encode event lines: %w", err)
	}
	err = s.Log.AppendBatch(ctx, b, s.lines)
	if cap(s.lines) > 8<<20 {
		s.lines = nil // one huge batch: do not keep its buffer
	}
	if err != nil {
		return false, err
	}
	return applied, nil
}

// Stats implements Querier with the counter sink.
func (s *SplitSink) Stats(ctx context.Context, code string, from, to time.Time, by string) (*Stats, error) {
	return s.Counters.Stats(ctx, code, from, to, by)
}

// CampaignStats implements Querier with the counter sink.
func (s *SplitSink) CampaignStats(ctx context.Context, campaign string, from, to time.Time, by string) (*Stats, error) {
	return s.Counters.CampaignStats(ctx, campaign, from, to, by)
}

// Events implements Querier with the log.
func (s *SplitSink) Events(ctx context.Context, after string, limit int) (*EventPage, error) {
	return s.Log.Events(ctx, after, limit)
}
