package linkquery

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/csvcell"
	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/shortlink"
)

// LinkJSON is a link as the API shows it, and one line of a JSON Lines
// export.
type LinkJSON struct {
	shortlink.Link
	// Clicks is the link's human taps from the stats; it hides
	// Link.Clicks, the counter of a click cap, shown as CapClicks.
	Clicks      int64  `json:"clicks"`
	CapClicks   int64  `json:"cap_clicks"`
	ClicksError string `json:"clicks_error,omitempty"`
	ShortURL    string `json:"short_url"`
	QRURL       string `json:"qr_url"`
	// QRShortURL is what the link's QR code encodes: short_url, or the
	// pool's qr host when it has one (domain pools).
	QRShortURL string `json:"qr_short_url"`
	// TpwdError says why "tpwd": "optional" made the link without one.
	TpwdError string `json:"tpwd_error,omitempty"`
}

// CSVColumns are the columns of a CSV export; tags are joined with ";"
// (the separator bulk import splits on). clicks, cap_clicks and
// max_clicks are numbers; every other column is text, passed through
// csvcell.Text (a cell starting with = + - @ TAB CR gets a leading ').
var CSVColumns = []string{"code", "domain", "short_url", "target", "title", "campaign", "tags", "clicks", "cap_clicks",
	"max_clicks", "status", "created_at", "expires_at", "platform", "kind", "entity_id", "qr_logo"}

// Export is one download of every link matching Query: Format "csv"
// (CSVColumns) or "jsonl" (LinkJSON per line), in store order or
// Query.Sort's, with their clicks. The API (GET /api/v1/links?format=…)
// and the web UI's download both write it.
type Export struct {
	Format string
	Query  Query
	// URLs builds the rows' short URLs; pool hosts are picked once for
	// the whole export.
	URLs domains.URLs
	// Now is the clock of the status column. Optional. Default time.Now.
	Now func() time.Time
}

// ContentType is the download's Content-Type.
func (e Export) ContentType() string {
	if e.Format == "csv" {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson; charset=utf-8"
}

// FileName is the download's file name: hutong-links[-campaign].csv|.jsonl.
func (e Export) FileName() string {
	name := "hutong-links"
	if e.Query.Filter.Campaign != "" {
		name += "-" + SafeFileName(e.Query.Filter.Campaign)
	}
	if e.Format == "csv" {
		return name + ".csv"
	}
	return name + ".jsonl"
}

// SafeFileName replaces what a Content-Disposition file name or a file
// system cannot hold with '_'.
func SafeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`"\/:*?<>|;`, r) {
			return '_'
		}
		return r
	}, s)
}

// Export writes e to w as the links are read, flushing w every 256 rows;
// it returns the rows written. An error after the first row leaves the
// output cut short (an error of w: the client went away).
func (c Counter) Export(ctx context.Context, w *bufio.Writer, ls Lister, e Export) (int, error) {
	now := e.Now
	if now == nil {
		now = time.Now
	}
	urls := e.URLs.Fixed()
	var write func(Item) error
	cw := csv.NewWriter(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if e.Format == "csv" {
		_ = cw.Write(CSVColumns)
		write = func(it Item) error {
			l := &it.Link
			exp := ""
			if l.ExpiresAt != nil {
				exp = l.ExpiresAt.UTC().Format(time.RFC3339)
			}
			t := csvcell.Text // every column but the three counts is text
			cw.Write([]string{t(l.Code), t(l.Domain), t(urls.Short(l.Domain, l.Code)), t(l.Target), t(l.Title), t(l.Campaign), t(strings.Join(l.Tags, ";")),
				strconv.FormatInt(it.Clicks, 10), strconv.FormatInt(l.Clicks, 10), strconv.FormatInt(l.MaxClicks, 10),
				t(string(l.StatusAt(now()))), t(l.CreatedAt.UTC().Format(time.RFC3339)), t(exp),
				t(string(l.Entity.Platform)), t(string(l.Entity.Kind)), t(l.Entity.ID), t(l.QRLogo)})
			cw.Flush()
			return cw.Error()
		}
	} else {
		write = func(it Item) error {
			return enc.Encode(LinkJSON{Link: it.Link, Clicks: it.Clicks, CapClicks: it.Link.Clicks,
				ShortURL: urls.Short(it.Link.Domain, it.Link.Code), QRURL: urls.QRImage(it.Link.Domain, it.Link.Code)})
		}
	}
	n := 0
	err := c.Each(ctx, ls, e.Query, func(it Item) error {
		n++
		if err := write(it); err != nil {
			return err
		}
		if n%256 == 0 {
			return w.Flush()
		}
		return nil
	})
	cw.Flush()
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return n, err
}
