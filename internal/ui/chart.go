package ui

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/track"
)

// point is one bucket of the clicks chart, empty buckets included.
type point struct {
	Start      time.Time
	Label      string
	Human, Bot int64
}

// fillSeries returns one point per day (or hour) from from to to, taking
// counts from the non-empty buckets of series, in loc.
func fillSeries(series []track.Bucket, from, to time.Time, by string, loc *time.Location) []point {
	step, layout := 24*time.Hour, "01-02"
	start := time.Date(from.In(loc).Year(), from.In(loc).Month(), from.In(loc).Day(), 0, 0, 0, 0, loc)
	if by == "hour" {
		step, layout = time.Hour, "01-02 15h"
		start = from.In(loc).Truncate(time.Hour)
	}
	idx := map[int64]int{}
	var pts []point
	for t := start; t.Before(to) && len(pts) < 2000; {
		idx[t.Unix()] = len(pts)
		pts = append(pts, point{Start: t, Label: t.Format(layout)})
		if by == "hour" {
			t = t.Add(step)
		} else {
			t = t.AddDate(0, 0, 1) // calendar days
		}
	}
	for _, b := range series {
		k := b.Start.In(loc)
		if by != "hour" {
			k = time.Date(k.Year(), k.Month(), k.Day(), 0, 0, 0, 0, loc)
		} else {
			k = k.Truncate(time.Hour)
		}
		if i, ok := idx[k.Unix()]; ok {
			pts[i].Human += b.Human
			pts[i].Bot += b.Bot
		}
	}
	return pts
}

// chartSVG draws pts as stacked bars (people dark, bots light) with a y
// scale, a few x labels and a <title> per bar. All text is escaped, so the
// result is safe to embed in the page; it uses presentation attributes only
// (no style attributes, which the CSP would block). label is the chart's
// accessible name; humanWord and botWord name the two series.
func chartSVG(pts []point, label, humanWord, botWord string, one ...string) string {
	// one: the singular words (English "person", "bot"), for a count of 1.
	humanOne, botOne := "", ""
	if len(one) == 2 {
		humanOne, botOne = one[0], one[1]
	}
	const W, H, left, bottom, top = 480.0, 200.0, 34.0, 22.0, 10.0
	var max int64
	for _, p := range pts {
		if s := p.Human + p.Bot; s > max {
			max = s
		}
	}
	scale := niceMax(max)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, W, H, html.EscapeString(label))
	plotH := H - bottom - top
	// grid and y labels
	for i := 0; i <= 4; i++ {
		y := top + plotH - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#e3e6ea" stroke-width="1"/>`, left, y, W, y)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="12" text-anchor="end" fill="#5b6470">%d</text>`, left-6, y+4, scale*int64(i)/4)
	}
	n := len(pts)
	if n == 0 {
		b.WriteString(`</svg>`)
		return b.String()
	}
	slot := (W - left) / float64(n)
	bw := slot * 0.7
	if bw < 1 {
		bw = 1
	}
	for i, p := range pts {
		x := left + slot*float64(i) + (slot-bw)/2
		hh := plotH * float64(p.Human) / float64(scale)
		bh := plotH * float64(p.Bot) / float64(scale)
		y := top + plotH - hh
		hw, bw1 := humanWord, botWord
		if p.Human == 1 && humanOne != "" {
			hw = humanOne
		}
		if p.Bot == 1 && botOne != "" {
			bw1 = botOne
		}
		fmt.Fprintf(&b, `<g><title>%s: %d %s, %d %s</title>`, html.EscapeString(p.Label), p.Human, html.EscapeString(hw), p.Bot, html.EscapeString(bw1))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d9480f"/>`, x, y, bw, hh)
		if bh > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#adb5bd"/>`, x, y-bh, bw, bh)
		}
		// an invisible full-height target so the tooltip works on empty days
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="transparent"/></g>`, left+slot*float64(i), top, slot, plotH)
	}
	every := (n + 3) / 4
	for i := 0; i < n; i += every {
		x := left + slot*float64(i) + slot/2
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="12" text-anchor="middle" fill="#5b6470">%s</text>`, x, H-6, html.EscapeString(pts[i].Label))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceMax rounds the chart's top up to 4, 8, 20, 40, 80, 200, … (multiples
// of 4 so the four grid lines get whole numbers).
func niceMax(m int64) int64 {
	if m <= 4 {
		return 4
	}
	for step := int64(1); ; step *= 10 {
		for _, f := range []int64{4, 8, 20} {
			if f*step >= m {
				return f * step
			}
		}
	}
}
