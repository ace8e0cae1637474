package ui

import (
	"context"
	"net/url"
	"sort"
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
	return u.groupPage(c, rq, group{
		maxLen: shortlink.MaxTagLength, key: "tag", param: "tag", nav: "links",
		filter: func(name string) shortlink.Filter { return shortlink.Filter{Tag: name} },
		stats: func(ctx context.Context, name string, from, to time.Time, by string) (*track.Stats, bool, error) {
			return u.sumStats(ctx, shortlink.Filter{Tag: name}, from, to, by)
		},
	})
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
