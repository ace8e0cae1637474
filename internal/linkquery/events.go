package linkquery

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/csvcell"
	"github.com/hutong-dev/hutong/internal/track"
)

// EventReader reads the click event log a page at a time (track.Querier's
// Events).
type EventReader interface {
	Events(ctx context.Context, after string, limit int) (*track.EventPage, error)
}

// EventColumns are the columns of a click-event CSV export: the event's
// JSON fields in order, click_ids as one query string
// (gdt_vid=…&utm_source=…, names sorted).
var EventColumns = []string{"id", "time", "code", "domain", "campaign", "entity_kind", "entity_id", "app", "os", "device",
	"scene", "bot", "shell", "action", "dest_host", "pay_channel", "referrer_host", "ip", "click_ids", "visit_id"}

// EventExport is one download of the click events of a time range: Format
// "csv" (EventColumns) or "jsonl" (the event JSON of GET /api/v1/events,
// one per line), oldest first. The API (GET /api/v1/events?format=…), the
// CLI (hutong events --format csv) and the web UI's download write it.
type EventExport struct {
	Format string
	// From is the first instant kept; To the end, excluded (zero: up to
	// the newest event).
	From, To time.Time
	// PageSize is how many events one read asks for. Optional. Default 1000.
	PageSize int
}

// ContentType is the download's Content-Type.
func (e EventExport) ContentType() string {
	if e.Format == "csv" {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson; charset=utf-8"
}

// FileName is the download's file name: hutong-events-FROM[-TO].csv|.jsonl
// (days in China time).
func (e EventExport) FileName() string {
	name := "hutong-events-" + e.From.In(track.ChinaTime).Format("20060102")
	if !e.To.IsZero() {
		name += "-" + e.To.Add(-time.Nanosecond).In(track.ChinaTime).Format("20060102")
	}
	if e.Format == "csv" {
		return name + ".csv"
	}
	return name + ".jsonl"
}

// EventCSVRow is ev as a row of EventColumns, every cell text passed
// through csvcell.Text (no column is a number; bot is true or false).
func EventCSVRow(ev *track.LoggedEvent) []string {
	ids := ""
	if len(ev.ClickIDs) > 0 {
		v := url.Values{}
		for k, x := range ev.ClickIDs {
			v.Set(k, x)
		}
		ids = v.Encode() // sorted by name
	}
	row := []string{ev.ID, ev.Time.UTC().Format(time.RFC3339Nano), ev.Code, ev.Domain, ev.Campaign, ev.EntityKind, ev.EntityID,
		ev.App, ev.OS, ev.Device, ev.Scene, strconv.FormatBool(ev.Bot), ev.Shell, ev.Action, ev.DestHost, ev.PayChannel,
		ev.Referrer, ev.IP, ids, ev.VisitID}
	for i := range row {
		row[i] = csvcell.Text(row[i])
	}
	return row
}

// ErrTooManyPages ends an export whose log never stops growing within the
// range (a safety bound: a million pages).
var ErrTooManyPages = errors.New("linkquery: event export read too many pages")

// Write streams the events of [From, To) to w a page at a time, flushing w
// after each page, so memory stays at one page whatever the range holds;
// it returns the events written. The log is in write order, which follows
// the events' times to within a batch flush: reading stops at the first
// page past To (or the end of the log). An error after the first row leaves
// the output cut short (the caller logs it).
func (e EventExport) Write(ctx context.Context, w *bufio.Writer, r EventReader) (int, error) {
	size := e.PageSize
	if size <= 0 {
		size = 1000
	}
	cur, err := track.SinceCursor(e.From.Format(time.RFC3339Nano), e.From)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if e.Format == "csv" {
		if err := cw.Write(EventColumns); err != nil {
			return 0, err
		}
	}
	// Events are written up to a flush interval after their time, so a
	// page is "past To" only when its first event is a minute past it.
	const slack = time.Minute
	n := 0
	for pages := 0; ; pages++ {
		if pages > 1_000_000 {
			return n, ErrTooManyPages
		}
		p, err := r.Events(ctx, cur, size)
		if err != nil {
			return n, fmt.Errorf("read events after %q: %w", cur, err)
		}
		if len(p.Events) == 0 {
			break
		}
		for i := range p.Events {
			ev := &p.Events[i]
			if ev.Time.Before(e.From) || (!e.To.IsZero() && !ev.Time.Before(e.To)) {
				continue
			}
			n++
			if e.Format == "csv" {
				_ = cw.Write(EventCSVRow(ev))
			} else if err := enc.Encode(ev); err != nil {
				return n, err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
		if err := w.Flush(); err != nil {
			return n, err
		}
		if p.Next == cur {
			break
		}
		if !e.To.IsZero() && p.Events[0].Time.After(e.To.Add(slack)) {
			break
		}
		cur = p.Next
	}
	return n, w.Flush()
}

// ParseTime reads an export bound: an RFC 3339 time
// (2026-12-07T08:00:00+08:00), a day (2026-12-07, midnight China time), or
// a duration back from now (24h, 7d counts days); "" is the zero time.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if s == "" || s == "0" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, track.ChinaTime); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d > 0 && d <= 3660 {
			return now.AddDate(0, 0, -d), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2026-12-07T08:00:00+08:00), a day (2026-12-07) or a duration back from now (2h, 7d)", s)
}
