package server

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/csvcell"
	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/shortlink"
)

// exportTimeout bounds one streamed export.
const exportTimeout = 10 * time.Minute

// counter counts links' human taps from the stats.
func (s *Server) counter() linkquery.Counter {
	return linkquery.Counter{Stats: s.deps.Stats, Now: s.now}
}

// exportFormat is the format asked for by ?format= (csv, jsonl, json) or,
// without it, the Accept header (text/csv, application/x-ndjson): "csv",
// "jsonl" or "" for the JSON page.
func exportFormat(c *fiber.Ctx) (string, error) {
	switch f := strings.ToLower(c.Query("format")); f {
	case "csv", "jsonl":
		return f, nil
	case "ndjson":
		return "jsonl", nil
	case "json":
		return "", nil
	case "":
	default:
		return "", errField("format", shortlink.ReasonChoice, fmt.Sprintf("format=%q: want json, csv or jsonl", f))
	}
	acc := strings.ToLower(c.Get(fiber.HeaderAccept))
	switch {
	case strings.Contains(acc, "text/csv"):
		return "csv", nil
	case strings.Contains(acc, "application/x-ndjson"), strings.Contains(acc, "application/jsonl"):
		return "jsonl", nil
	}
	return "", nil
}

// listLinksSorted answers GET /api/v1/links when it asks for a sort, a
// numbered page or an export; done is false for the plain cursor listing.
func (s *Server) listLinksSorted(c *fiber.Ctx) (done bool, err error) {
	format, err := exportFormat(c)
	if err != nil {
		return true, err
	}
	sortBy, pageQ := strings.Clone(c.Query("sort")), c.Query("page")
	if format == "" && sortBy == "" && pageQ == "" {
		return false, nil
	}
	if !linkquery.ValidSort(sortBy) {
		return true, errField("sort", shortlink.ReasonChoice, fmt.Sprintf("sort=%q: want one of %s", sortBy, strings.Join(linkquery.Sorts, ", ")))
	}
	if c.Query("cursor") != "" && format == "" {
		return true, errField("cursor", "", "cursor cannot be combined with sort or page: use page=N")
	}
	q := linkquery.Query{Sort: sortBy, Filter: shortlink.Filter{
		Domain:   strings.Clone(c.Query("domain")),
		Tag:      strings.Clone(c.Query("tag")),
		Campaign: strings.Clone(c.Query("campaign")),
		Q:        strings.Clone(c.Query("q")),
	}}
	if format != "" {
		return true, s.exportLinks(c, format, q)
	}
	if pageQ != "" {
		n, err := strconv.Atoi(pageQ)
		if err != nil || n < 1 {
			return true, errField("page", shortlink.ReasonRange, "page: want a whole number from 1")
		}
		q.Page = n
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > shortlink.MaxPageSize {
			return true, errField("limit", shortlink.ReasonRange, fmt.Sprintf("limit: want 1 to %d", shortlink.MaxPageSize))
		}
		q.PerPage = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	r, err := s.counter().List(ctx, s.deps.Service, q)
	if err != nil {
		return true, err
	}
	if sortBy == "" {
		sortBy = "code"
	}
	out := struct {
		Links   []linkResponse `json:"links"`
		Total   int            `json:"total"`
		Page    int            `json:"page"`
		Pages   int            `json:"pages"`
		PerPage int            `json:"per_page"`
		Sort    string         `json:"sort"`
	}{Links: make([]linkResponse, 0, len(r.Items)), Total: r.Total, Page: r.Page, Pages: r.Pages, PerPage: r.PerPage, Sort: sortBy}
	for _, it := range r.Items {
		out.Links = append(out.Links, s.linkJSONWith(c, it.Link, it.Clicks, nil))
	}
	return true, c.JSON(out)
}

// exportLinks streams every link matching q as CSV or JSON Lines
// (linkquery.Export). Rows are written as they are read; a failure after
// the first row ends the body early (logged).
func (s *Server) exportLinks(c *fiber.Ctx, format string, q linkquery.Query) error {
	// The stream runs after the handler returns: nothing of c may be used
	// in it, so the URLs are built (copied) now.
	u := s.urls(c)
	u.Origin, u.Scheme = strings.Clone(u.Origin), strings.Clone(u.Scheme)
	ex := linkquery.Export{Format: format, Query: q, URLs: u, Now: s.now}
	c.Set(fiber.HeaderContentType, ex.ContentType())
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ex.FileName()+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	cnt, lister, log := s.counter(), s.deps.Service, s.log
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		if n, err := cnt.Export(ctx, w, lister, ex); err != nil {
			log.Warn("links export ended early", "rows", n, "err", err)
		}
	})
	return nil
}

// sendStatsCSV answers a stats query as CSV: one row per non-empty bucket
// (start, total, human, bot, then one column per breakdown value seen,
// "app:wechat", … sorted), and a last row "total" over the range. The
// counts are numbers; start and the breakdown column names are text,
// through csvcell.Text.
func sendStatsCSV(c *fiber.Ctx, st *track.Stats) error {
	dims := map[string]bool{}
	for _, b := range st.Series {
		for d, vals := range b.Breakdown {
			for v := range vals {
				dims[d+":"+v] = true
			}
		}
	}
	cols := make([]string, 0, len(dims))
	for k := range dims {
		cols = append(cols, k)
	}
	slices.Sort(cols)
	var b strings.Builder
	w := csv.NewWriter(&b)
	head := []string{"start", "total", "human", "bot"}
	for _, k := range cols { // text from the events: through csvcell.Text
		head = append(head, csvcell.Text(k))
	}
	_ = w.Write(head)
	row := func(start string, n track.Counts) {
		rec := []string{csvcell.Text(start), strconv.FormatInt(n.Total, 10), strconv.FormatInt(n.Human, 10), strconv.FormatInt(n.Bot, 10)}
		for _, k := range cols {
			d, v, _ := strings.Cut(k, ":")
			rec = append(rec, strconv.FormatInt(n.Breakdown[d][v], 10))
		}
		_ = w.Write(rec)
	}
	for _, bk := range st.Series {
		row(bk.Start.Format(time.RFC3339), bk.Counts)
	}
	row("total", st.Counts)
	w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="hutong-stats-`+linkquery.SafeFileName(st.Scope+"-"+st.ID)+`.csv"`)
	return c.SendString(b.String())
}
