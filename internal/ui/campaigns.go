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

// campaignRow is one campaign of the campaigns page.
type campaignRow struct {
	Name  string
	Links int
	Path  string
}

// campaignsData is the campaigns page's data.
type campaignsData struct {
	Rows  []campaignRow
	Error string
}

// campaignData is one campaign's page: its stats and its links, most
// tapped first.
type campaignData struct {
	Name, Range string
	Ranges      []string
	Stats       *statsView
	Rows        []linkRow
	Total       int
	ExportURL   string
	ListURL     string
	Error       string
	// TitleKey, NoneKey and Chip make the page a campaign's ("" :
	// camp.title, camp.nolinks, camp) or a tag's (tags.go).
	TitleKey, NoneKey, Chip string
	// Partial: a tag's figures cover its first maxOverviewLinks links.
	Partial bool
}

func campaignPath(name string) string { return "/ui/campaigns/" + url.PathEscape(name) }

// handleCampaigns lists every campaign named by a link, with its number of
// links (one scan of the store).
func (u *ui) handleCampaigns(c *fiber.Ctx, rq *req) error {
	d := &campaignsData{}
	counts := map[string]int{}
	ctx, cancel := ctxTimeout()
	defer cancel()
	f := shortlink.Filter{Limit: shortlink.MaxPageSize}
	status := fiber.StatusOK
	for {
		p, err := u.d.Service.List(ctx, f)
		if err != nil {
			u.log.Error("ui: campaigns failed", "err", err)
			d.Error, status = u.msgs[rq.lang]["err.unavailable"], fiber.StatusServiceUnavailable
			break
		}
		for _, l := range p.Links {
			if l.Campaign != "" {
				counts[l.Campaign]++
			}
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	for name, n := range counts {
		d.Rows = append(d.Rows, campaignRow{Name: name, Links: n, Path: campaignPath(name)})
	}
	sort.Slice(d.Rows, func(i, j int) bool { return d.Rows[i].Name < d.Rows[j].Name })
	return u.render(c, status, "campaigns", u.newView(c, rq, "nav.campaigns", "campaigns", d))
}

// handleCampaign shows one campaign: taps over the range with the same
// charts and breakdowns as a link, and its links by clicks.
func (u *ui) handleCampaign(c *fiber.Ctx, rq *req) error {
	return u.groupPage(c, rq, group{
		maxLen: shortlink.MaxCampaignLen, key: "camp", param: "campaign", nav: "campaigns",
		filter: func(name string) shortlink.Filter { return shortlink.Filter{Campaign: name} },
		stats: func(ctx context.Context, name string, from, to time.Time, by string) (*track.Stats, bool, error) {
			st, err := u.d.Stats.CampaignStats(ctx, name, from, to, by)
			return st, false, err
		},
	})
}

// group is a page of links that share a campaign or a tag.
type group struct {
	maxLen int    // the longest name there can be
	key    string // the page's message keys: <key>.title, <key>.nolinks; its chip
	param  string // the links list's and export's query parameter
	nav    string // the navigation entry shown active
	filter func(name string) shortlink.Filter
	// stats reads the group's taps; partial says some links were left out.
	stats func(ctx context.Context, name string, from, to time.Time, by string) (st *track.Stats, partial bool, err error)
}

// groupPage shows one campaign or tag named by the path: taps over the
// range with the link page's charts and breakdowns, and its links by
// clicks.
func (u *ui) groupPage(c *fiber.Ctx, rq *req, g group) error {
	name, err := url.PathUnescape(c.Params("name"))
	if err != nil || name == "" || len(name) > g.maxLen {
		return u.errorPage(c, rq, fiber.StatusNotFound, "err.notfound")
	}
	name = strings.Clone(name)
	d := &campaignData{Name: name, Range: strings.Clone(c.Query("range")), Ranges: ranges,
		TitleKey: g.key + ".title", NoneKey: g.key + ".nolinks", Chip: g.key,
		ExportURL: "/ui/links/export.csv?" + url.Values{g.param: {name}, "sort": {"-clicks"}}.Encode(),
		ListURL:   "/ui/links?" + url.Values{g.param: {name}}.Encode()}
	if !contains(ranges, d.Range) {
		d.Range = "30d"
	}
	v := u.newView(c, rq, g.key+".title", g.nav, d)
	v.Title = v.T(g.key+".title") + " " + name
	if u.d.Stats == nil {
		d.Stats = &statsView{Off: true}
	} else {
		d.Stats = u.statsWith(d.Range, v, func(ctx context.Context, from, to time.Time, by string) (*track.Stats, error) {
			st, partial, err := g.stats(ctx, name, from, to, by)
			d.Partial = partial
			return st, err
		})
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	cnt := linkquery.Counter{Stats: u.d.Stats, Now: u.now}
	r, err := cnt.List(ctx, u.d.Service, linkquery.Query{Filter: g.filter(name), Sort: "-clicks", PerPage: 20})
	if err != nil {
		u.log.Error("ui: "+g.param+" links failed", "err", err)
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
