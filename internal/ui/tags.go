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
	sum := statsSum{agg: agg}
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
			sum.add(st)
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	sum.done()
	return agg, partial, nil
}

// statsSum adds links' stats into agg: totals, and the series bucket by
// bucket (the overview's and a tag's figures). Call done once at the end.
type statsSum struct {
	agg     *track.Stats
	byStart map[int64]*track.Bucket
}

func (s *statsSum) add(st *track.Stats) {
	if s.byStart == nil {
		s.byStart = map[int64]*track.Bucket{}
	}
	addCounts(&s.agg.Counts, st.Counts)
	for _, b := range st.Series {
		k := b.Start.Unix()
		if s.byStart[k] == nil {
			s.byStart[k] = &track.Bucket{Start: b.Start}
		}
		addCounts(&s.byStart[k].Counts, b.Counts)
	}
}

// done puts the summed buckets into agg.Series, oldest first.
func (s *statsSum) done() {
	for _, b := range s.byStart {
		s.agg.Series = append(s.agg.Series, *b)
	}
	sort.Slice(s.agg.Series, func(i, j int) bool { return s.agg.Series[i].Start.Before(s.agg.Series[j].Start) })
}
