package ui

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/shortlink"
)

func tagPath(name string) string { return "/ui/tags/" + url.PathEscape(name) }

// handleTag shows one tag: the summed taps of its links over the range,
// with the campaign page's charts and breakdowns, and its links by clicks.
// Tags have no counters of their own, so the stats are the sum of each
// link's (up to maxOverviewLinks links, one stats read each).
func (u *ui) handleTag(c *fiber.Ctx, rq *req) error {
	name, err := url.PathUnescape(c.Params("name"))
	if err != nil || name == "" || len(name) > shortlink.MaxTagLength {
		return u.errorPage(c, rq, fiber.StatusNotFound, "err.notfound")
	}
	name = strings.Clone(name)
	d := &campaignData{Name: name, Range: strings.Clone(c.Query("range")), Ranges: ranges,
		TitleKey: "tag.title", NoneKey: "tag.nolinks", Chip: "tag",
		ExportURL: "/ui/links/export.csv?" + url.Values{"tag": {name}, "sort": {"-clicks"}}.Encode(),
		ListURL:   "/ui/links?" + url.Values{"tag": {name}}.Encode()}
	if !contains(ranges, d.Range) {
		d.Range = "30d"
	}
	v := u.newView(c, rq, "tag.title", "links", d)
	v.Title = v.T("tag.title") + " " + name
	d.Stats = u.statsWith(d.Range, v, func(ctx context.Context, from, to time.Time, by string) (*track.Stats, error) {
		st, partial, err := u.sumStats(ctx, shortlink.Filter{Tag: name}, from, to, by)
		d.Partial = partial
		return st, err
	})
	ctx, cancel := ctxTimeout()
	defer cancel()
	cnt := linkquery.Counter{Stats: u.d.Stats, Now: u.now}
	r, err := cnt.List(ctx, u.d.Service, linkquery.Query{Filter: shortlink.Filter{Tag: name}, Sort: "-clicks", PerPage: 20})
	if err != nil {
		u.log.Error("ui: tag links failed", "err", err)
		d.Error = v.T("err.unavailable")
	}
	d.Total = r.Total
	for _, it := range r.Items {
		row := u.row(c, it.Link)
		row.Clicks = it.Clicks
		d.Rows = append(d.Rows, row)
	}
	return u.render(c, fiber.StatusOK, "campaign", v)
}

// sumStats sums the stats of every link matching f (up to
// maxOverviewLinks; partial says more were left out) bucket by bucket.
func (u *ui) sumStats(ctx context.Context, f shortlink.Filter, from, to time.Time, by string) (*track.Stats, bool, error) {
	agg := &track.Stats{Scope: "tag", ID: f.Tag, From: from, To: to, By: by}
	byStart := map[int64]*track.Bucket{}
	f.Limit = shortlink.MaxPageSize
	n, partial := 0, false
	for !partial {
		p, err := u.d.Service.List(ctx, f)
		if err != nil {
			return nil, false, err
		}
		for _, l := range p.Links {
			if n == maxOverviewLinks {
				partial = true
				break
			}
			n++
			st, err := u.d.Stats.Stats(ctx, linkquery.StatsKey(l.Domain, l.Code), from, to, by)
			if err != nil {
				return nil, false, err
			}
			addCounts(&agg.Counts, st.Counts)
			for _, b := range st.Series {
				k := b.Start.Unix()
				if byStart[k] == nil {
					byStart[k] = &track.Bucket{Start: b.Start}
				}
				addCounts(&byStart[k].Counts, b.Counts)
			}
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	for _, b := range byStart {
		agg.Series = append(agg.Series, *b)
	}
	sort.Slice(agg.Series, func(i, j int) bool { return agg.Series[i].Start.Before(agg.Series[j].Start) })
	return agg, partial, nil
}
