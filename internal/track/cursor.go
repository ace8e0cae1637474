package track

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A cursor names a place in an event log, per shard, between events. Its
// text is the positions of the shards, comma-separated, each
//
//	<ms>-<seq>       after the whole record <ms>-<seq>
//	<ms>-<seq>+<k>   inside record <ms>-<seq>, after its first k events
//	(empty)          before the oldest record kept
//
// where <ms>-<seq> is a Redis Stream entry ID (or, in the embedded store,
// the batch's write time in Unix ms and its number). One position given
// for a log of several shards stands for all of them. SinceCursor makes a
// cursor from a time.
type logPos struct {
	set     bool
	ms, seq uint64
	k       int
	partial bool // inside the record: it is read again, its first k events skipped
}

func (p logPos) id() string {
	return strconv.FormatUint(p.ms, 10) + "-" + strconv.FormatUint(p.seq, 10)
}

func (p logPos) String() string {
	if !p.set {
		return ""
	}
	if p.partial {
		return p.id() + "+" + strconv.Itoa(p.k)
	}
	return p.id()
}

// less orders record IDs.
func idLess(ams, aseq, bms, bseq uint64) bool {
	return ams < bms || ams == bms && aseq < bseq
}

func parseRecordID(s string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(s, "-")
	ms, err := strconv.ParseUint(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if !found {
		return ms, 0, true
	}
	seq, err = strconv.ParseUint(b, 10, 64)
	return ms, seq, err == nil
}

// parseCursor reads a cursor for a log of n shards.
func parseCursor(s string, n int) ([]logPos, error) {
	pos := make([]logPos, n)
	if s == "" || s == "0" {
		return pos, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 1 && len(parts) != n {
		return nil, fmt.Errorf("%w: cursor %q has %d positions, the log has %d shards", ErrInvalidQuery, s, len(parts), n)
	}
	for i, p := range parts {
		if p == "" {
			continue
		}
		var lp logPos
		id, k, partial := strings.Cut(p, "+")
		ms, seq, ok := parseRecordID(id)
		if !ok {
			return nil, fmt.Errorf("%w: cursor %q: want <ms>-<seq>[+<k>] per shard (the \"next\" of a page)", ErrInvalidQuery, s)
		}
		lp = logPos{set: true, ms: ms, seq: seq, partial: partial}
		if partial {
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: cursor %q: bad event count %q", ErrInvalidQuery, s, k)
			}
			lp.k = n
		}
		pos[i] = lp
	}
	if len(parts) == 1 {
		for i := range pos {
			pos[i] = pos[0]
		}
	}
	return pos, nil
}

func formatCursor(pos []logPos) string {
	if len(pos) == 1 {
		return pos[0].String()
	}
	parts := make([]string, len(pos))
	for i, p := range pos {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// SinceCursor turns the forms a person gives for "where to start" into a
// cursor: "" or "0" (the oldest event kept), an RFC 3339 time or a
// duration back from now ("90m", "72h": the records written since), or a
// cursor as it is (the "next" of a page, a Redis Stream entry ID).
func SinceCursor(since string, now time.Time) (string, error) {
	since = strings.TrimSpace(since)
	if since == "" || since == "0" {
		return "", nil
	}
	var t time.Time
	if ts, err := time.Parse(time.RFC3339Nano, since); err == nil {
		t = ts
	} else if d, err := time.ParseDuration(since); err == nil && d > 0 {
		t = now.Add(-d)
	} else {
		if _, err := parseCursor(since, 1); err != nil && !strings.Contains(since, ",") {
			return "", fmt.Errorf("%w: since %q: want 0, an RFC 3339 time (2026-12-07T08:00:00+08:00), a duration back from now (2h) or a cursor", ErrInvalidQuery, since)
		}
		return since, nil
	}
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	// Inside the first record written at ms, before its first event.
	return logPos{set: true, ms: uint64(ms), partial: true}.String(), nil
}
