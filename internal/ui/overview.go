package ui

import (
	"bufio"
	"context"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/shortlink"
)

// maxOverviewLinks is the most links the overview sums (one stats read
// each); past it the page says the figures cover the first ones only.
const maxOverviewLinks = 5000

// overviewData is the dashboard's data: taps over the last 30 days of every
// link summed, with today's and the last 7 days' share, and the top links.
type overviewData struct {
	Today, Week, Month struct{ Human, Bot int64 }
	Stats              *statsView
	Top                []linkRow
	Links              int
	Partial, Failed    bool
}

// handleOverview sums the stats of every link (up to maxOverviewLinks)
// over the last 30 days, by day in UTC+8 with empty days filled.
func (u *ui) handleOverview(c *fiber.Ctx, rq *req) error {
	d := &overviewData{}
	v := u.newView(c, rq, "ov.title", "overview", d)
	if u.d.Stats == nil {
		d.Stats = &statsView{Off: true}
		return u.render(c, fiber.StatusOK, "overview", v)
	}
	now := u.now()
	f := now.AddDate(0, 0, -29).In(track.ChinaTime)
	from := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, track.ChinaTime)
	to := now.Add(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	agg := &track.Stats{Scope: "all", From: from, To: to, By: "day"}
	agg.Breakdown = map[string]map[string]int64{}
	sum := statsSum{agg: agg}
	type top struct {
		l shortlink.Link
		n int64
	}
	var tops []top
	fl := shortlink.Filter{Limit: shortlink.MaxPageSize}
	for !d.Partial {
		p, err := u.d.Service.List(ctx, fl)
		if err != nil {
			u.log.Error("ui: overview list failed", "err", err)
			d.Failed = true
			break
		}
		for _, l := range p.Links {
			if d.Links == maxOverviewLinks {
				d.Partial = true
				break
			}
			d.Links++
			st, err := u.d.Stats.Stats(ctx, linkquery.StatsKey(l.Domain, l.Code), from, to, "day")
			if err != nil {
				u.log.Error("ui: overview stats failed", "code", l.Code, "err", err)
				d.Failed = true
				continue
			}
			sum.add(st)
			if st.Human > 0 {
				tops = append(tops, top{l, st.Human})
			}
		}
		if p.Next == "" {
			break
		}
		fl.Cursor = p.Next
	}
	sum.done()
	d.Stats = &statsView{}
	fillStatsView(d.Stats, agg, from, to, "day", v)
	for i, p := range d.Stats.Points {
		back := len(d.Stats.Points) - 1 - i
		if back < 1 {
			d.Today.Human, d.Today.Bot = d.Today.Human+p.Human, d.Today.Bot+p.Bot
		}
		if back < 7 {
			d.Week.Human, d.Week.Bot = d.Week.Human+p.Human, d.Week.Bot+p.Bot
		}
		d.Month.Human, d.Month.Bot = d.Month.Human+p.Human, d.Month.Bot+p.Bot
	}
	sort.SliceStable(tops, func(i, j int) bool { return tops[i].n > tops[j].n })
	for i := 0; i < len(tops) && i < 10; i++ {
		row := u.row(c, tops[i].l)
		row.Clicks = tops[i].n
		d.Top = append(d.Top, row)
	}
	return u.render(c, fiber.StatusOK, "overview", v)
}

func addCounts(dst *track.Counts, src track.Counts) {
	dst.Total += src.Total
	dst.Human += src.Human
	dst.TotalHuman += src.TotalHuman
	dst.Bot += src.Bot
	for dim, vals := range src.Breakdown {
		if dst.Breakdown == nil {
			dst.Breakdown = map[string]map[string]int64{}
		}
		if dst.Breakdown[dim] == nil {
			dst.Breakdown[dim] = map[string]int64{}
		}
		for k, n := range vals {
			dst.Breakdown[dim][k] += n
		}
	}
}

// eventRanges are the ranges the events export offers (?since=).
var eventRanges = []string{"1d", "7d", "30d", "all"}

// handleEventsExport streams the click events of ?since= (one of
// eventRanges) as CSV or JSON Lines (?format=csv|jsonl;
// linkquery.EventExport, as GET /api/v1/events?format= writes it).
func (u *ui) handleEventsExport(c *fiber.Ctx, rq *req) error {
	if u.d.Stats == nil {
		return u.errorPage(c, rq, fiber.StatusServiceUnavailable, "ev.off")
	}
	since, format := c.Query("since", "7d"), c.Query("format", "csv")
	if !contains(eventRanges, since) || (format != "csv" && format != "jsonl") {
		return u.errorPage(c, rq, fiber.StatusBadRequest, "ev.bad")
	}
	ex := linkquery.EventExport{Format: format}
	if since != "all" {
		from, err := linkquery.ParseTime(since, u.now())
		if err != nil {
			return u.errorPage(c, rq, fiber.StatusBadRequest, "ev.bad")
		}
		ex.From = from
	}
	c.Set(fiber.HeaderContentType, ex.ContentType())
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ex.FileName()+`"`)
	q, log := u.d.Stats, u.log
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		if n, err := ex.Write(ctx, w, q); err != nil {
			log.Warn("ui: events export ended early", "rows", n, "err", err)
		}
	})
	return nil
}
