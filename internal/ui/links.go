package ui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/qr"
)

// ---- create ----

func (u *ui) newForm(rq *req) *linkForm {
	return &linkForm{V: map[string]string{}, Errors: map[string]string{}, Domains: u.d.Domains}
}

func (u *ui) handleNewPage(c *fiber.Ctx, rq *req) error {
	f := u.newForm(rq)
	if t := strings.TrimSpace(c.Query("target")); t != "" && len(t) <= u.d.MaxInput {
		f.V["target"] = strings.Clone(t)
		f.Entity = newEntityView(resolver.Parse(f.V["target"]))
	}
	return u.render(c, fiber.StatusOK, "new", u.newView(c, rq, "new.title", "new", f))
}

// handleNew is the create form's POST: action=check shows what hutong
// understood (the no-JavaScript preview); anything else creates the link.
func (u *ui) handleNew(c *fiber.Ctx, rq *req) error {
	if ok, err := u.canWrite(c, rq); !ok {
		return err
	}
	f := readForm(c)
	f.Domains = u.d.Domains
	msgs := u.msgs[rq.lang]
	in, errs := f.input(u.d.MaxInput)
	status := fiber.StatusOK
	for _, err := range errs {
		status, _ = f.fail(msgs, err)
	}
	if c.FormValue("action") == "check" || len(f.Errors) > 0 {
		if c.FormValue("action") == "check" {
			status = fiber.StatusOK
		}
		return u.render(c, status, "new", u.newView(c, rq, "new.title", "new", f))
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	m, err := u.d.Service.Make(ctx, in)
	if err != nil {
		status, ok := f.fail(msgs, err)
		if !ok {
			u.log.Error("ui: create failed", "err", err)
		}
		return u.render(c, status, "new", u.newView(c, rq, "new.title", "new", f))
	}
	return c.Redirect(linkPath(m.Domain, m.Code, "")+sep(m.Domain)+"created=1", fiber.StatusSeeOther)
}

// linkPath is the UI path of a link's page (suffix: "", "/edit", …).
func linkPath(domain, code, suffix string) string {
	p := "/ui/links/" + url.PathEscape(code) + suffix
	if domain != "" {
		p += "?domain=" + url.QueryEscape(domain)
	}
	return p
}

func sep(domain string) string {
	if domain != "" {
		return "&"
	}
	return "?"
}

// parseAnswer is the live preview's JSON: what hutong understood, and the
// same HTML fragment the no-JavaScript check step shows.
type parseAnswer struct {
	Known  bool            `json:"known"`
	Entity resolver.Entity `json:"entity"`
	HTML   string          `json:"html"`
}

// handleParse answers GET /ui/parse?u=… for the live preview.
func (u *ui) handleParse(c *fiber.Ctx, rq *req) error {
	in := strings.TrimSpace(c.Query("u"))
	if in == "" || len(in) > u.d.MaxInput {
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "u: 1 to " + strconv.Itoa(u.d.MaxInput) + " bytes"})
	}
	in = strings.Clone(in)
	e := resolver.Parse(in)
	v := u.newView(c, rq, "new.title", "new", &linkForm{Entity: newEntityView(e)})
	var buf bytes.Buffer
	if err := u.pages["new"].ExecuteTemplate(&buf, "preview", v); err != nil {
		u.log.Error("ui: render preview", "err", err)
		return c.Status(fiber.StatusInternalServerError).JSON(fiber.Map{"error": "internal error"})
	}
	return c.JSON(parseAnswer{Known: e.Known(), Entity: e, HTML: buf.String()})
}

// ---- list ----

// listData is the list page's data.
type listData struct {
	Q, Tag, Campaign, Sort string
	Rows                   []linkRow
	Error                  string
	Sorts                  []string
	// Page (1-based) of Pages; Total links match the filters.
	Page, Pages, Total int
}

// linkRow is one link in the list.
type linkRow struct {
	L        shortlink.Link
	ShortURL string
	Status   string // active, disabled, expired, exhausted
	Path     string // detail page
	Domain   string
	Clicks   int64 // human taps from the stats
}

func (u *ui) row(c *fiber.Ctx, l shortlink.Link) linkRow {
	return linkRow{L: l, ShortURL: u.urls(c).Short(l.Domain, l.Code), Status: string(l.StatusAt(u.now())),
		Path: linkPath(l.Domain, l.Code, ""), Domain: l.Domain}
}

// sorts are the list's orders, server-side across all links
// (internal/linkquery); the first is the default.
var sorts = []string{"-created", "-clicks", "code"}

// listPageSize is the list's page size.
const listPageSize = 50

func (u *ui) listQuery(c *fiber.Ctx) *listData {
	d := &listData{Q: strings.Clone(c.Query("q")), Tag: strings.Clone(c.Query("tag")), Campaign: strings.Clone(c.Query("campaign")),
		Sort: strings.Clone(c.Query("sort")), Sorts: sorts, Page: 1}
	switch d.Sort {
	case "created":
		d.Sort = "-created" // the old name of newest first
	case "clicks":
		d.Sort = "-clicks"
	}
	if !contains(sorts, d.Sort) {
		d.Sort = sorts[0]
	}
	return d
}

func (u *ui) handleList(c *fiber.Ctx, rq *req) error {
	d := u.listQuery(c)
	status := fiber.StatusOK
	if v := c.Query("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			d.Error, status = u.msgs[rq.lang]["list.badcursor"], fiber.StatusBadRequest
		}
		d.Page = n
	}
	if d.Error == "" {
		ctx, cancel := ctxTimeout()
		defer cancel()
		cnt := linkquery.Counter{Stats: u.d.Stats, Now: u.now}
		r, err := cnt.List(ctx, u.d.Service, linkquery.Query{Filter: shortlink.Filter{Q: d.Q, Tag: d.Tag, Campaign: d.Campaign},
			Sort: d.Sort, Page: d.Page, PerPage: listPageSize})
		if err != nil {
			u.log.Error("ui: list failed", "err", err)
			d.Error, status = u.msgs[rq.lang]["err.unavailable"], fiber.StatusServiceUnavailable
		}
		d.Total, d.Pages = r.Total, r.Pages
		for _, it := range r.Items {
			row := u.row(c, it.Link)
			row.Clicks = it.Clicks
			d.Rows = append(d.Rows, row)
		}
	}
	v := u.newView(c, rq, "list.title", "links", d)
	if c.Query("deleted") != "" {
		v.Flash = v.T("flash.deleted")
	}
	return u.render(c, status, "links", v)
}

// PageLinks are the numbered pages the pager shows: the first, the last
// and two either side of the current one; 0 marks a gap.
func (d *listData) PageLinks() []int {
	var out []int
	for p := 1; p <= d.Pages; p++ {
		if p == 1 || p == d.Pages || (p >= d.Page-2 && p <= d.Page+2) {
			out = append(out, p)
		} else if len(out) > 0 && out[len(out)-1] != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// URL builds a list URL keeping the filters and sort, with one parameter
// set ("" removes it); a new filter or sort starts at page 1.
func (d *listData) URL(key, value string) string {
	q := url.Values{}
	for k, v := range map[string]string{"q": d.Q, "tag": d.Tag, "campaign": d.Campaign, "sort": d.Sort} {
		if v != "" && !(k == "sort" && v == sorts[0]) {
			q.Set(k, v)
		}
	}
	if key == "page" && d.Page > 1 {
		q.Set("page", strconv.Itoa(d.Page))
	}
	if value == "" || (key == "page" && value == "1") {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return "/ui/links"
	}
	return "/ui/links?" + q.Encode()
}

// PageURL is the URL of page n of the list.
func (d *listData) PageURL(n int) string { return d.URL("page", strconv.Itoa(n)) }

// ExportURL is the CSV export of the links the list shows (all pages).
func (d *listData) ExportURL() string {
	q := url.Values{}
	for k, v := range map[string]string{"q": d.Q, "tag": d.Tag, "campaign": d.Campaign, "sort": d.Sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return "/ui/links/export.csv?" + q.Encode()
}

// handleExport streams the list's links as CSV (linkquery.Export, as the
// API's export).
func (u *ui) handleExport(c *fiber.Ctx, rq *req) error {
	d := u.listQuery(c)
	urls := u.urls(c)
	urls.Origin, urls.Scheme = strings.Clone(urls.Origin), strings.Clone(urls.Scheme)
	ex := linkquery.Export{Format: "csv", URLs: urls, Now: u.now,
		Query: linkquery.Query{Filter: shortlink.Filter{Q: d.Q, Tag: d.Tag, Campaign: d.Campaign}, Sort: d.Sort}}
	c.Set(fiber.HeaderContentType, ex.ContentType())
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ex.FileName()+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	cnt, svc, log := linkquery.Counter{Stats: u.d.Stats, Now: u.now}, u.d.Service, u.log
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		if n, err := cnt.Export(ctx, w, svc, ex); err != nil {
			log.Warn("ui: links export ended early", "rows", n, "err", err)
		}
	})
	return nil
}

// exportTimeout bounds one streamed export.
const exportTimeout = 10 * time.Minute

// ---- one link ----

// loadLink reads the link of /ui/links/:code?domain=; on failure it has
// answered the page.
func (u *ui) loadLink(c *fiber.Ctx, rq *req) (*shortlink.Link, error) {
	domain := strings.Clone(c.Query("domain"))
	if domain != "" && !contains(u.d.Domains, domain) {
		return nil, u.errorPage(c, rq, fiber.StatusNotFound, "err.notfound")
	}
	code := strings.Clone(c.Params("code"))
	if shortlink.ValidateCode(code) != nil {
		return nil, u.errorPage(c, rq, fiber.StatusNotFound, "err.notfound")
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	l, err := u.d.Service.Get(ctx, domain, code)
	if err != nil {
		if shortlink.ErrorCode(err) == shortlink.CodeNotFound {
			return nil, u.errorPage(c, rq, fiber.StatusNotFound, "err.notfound")
		}
		u.log.Error("ui: get link failed", "err", err)
		return nil, u.errorPage(c, rq, fiber.StatusServiceUnavailable, "err.unavailable")
	}
	return &l, nil
}

// detailData is the link page's data.
type detailData struct {
	Row      linkRow
	Entity   *entityView
	Created  bool
	QR       qrChoice
	Landings []landing
	Expanded bool
	Stats    *statsView
	Range    string
	Ranges   []string
}

// qrChoice is the QR code form: size and colours, and the image URLs.
type qrChoice struct {
	Size             int
	FG, BG           string
	Logo, LogoOK     bool
	Sizes            []int
	PNG, SVG, Name   string
	Error            string
	DomainQ, Code    string
	PNGPath, SVGPath string
	qrCaptionState
}

var qrSizes = []int{256, 512, 1024}

func (u *ui) qrChoice(c *fiber.Ctx, l *shortlink.Link) qrChoice {
	q := qrChoice{Size: 512, FG: "000000", BG: "ffffff", LogoOK: u.d.QRLogo, Sizes: qrSizes, Code: l.Code, Name: "hutong-" + l.Code}
	if n, err := strconv.Atoi(c.Query("size")); err == nil && contains(intsToStrings(qrSizes), strconv.Itoa(n)) {
		q.Size = n
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"fg", &q.FG}, {"bg", &q.BG}} {
		if v := strings.TrimPrefix(c.Query(p.name), "#"); v != "" {
			if _, err := qr.ParseColor(v); err == nil && len(v) == 6 {
				*p.dst = strings.ToLower(v)
			} else {
				q.Error = "qr.badcolor"
			}
		}
	}
	u.logoChoice(&q, l)
	q.LogoOK = u.d.QRLogo || (l.QRLogo != "" && q.LogoStore && !q.LogoGone)
	q.Logo = q.LogoOK && c.Query("logo") != ""
	v := url.Values{"size": {strconv.Itoa(q.Size)}, "fg": {q.FG}, "bg": {q.BG}}
	if l.Domain != "" {
		v.Set("domain", l.Domain)
	}
	if q.Logo {
		v.Set("logo", "1")
		v.Set("level", "H")
	}
	sv := maps.Clone(v)
	u.captionQuery(c, &q, v, sv)
	base := "/api/v1/links/" + url.PathEscape(l.Code)
	q.PNG, q.SVG = base+"/qr.png?"+v.Encode(), base+"/qr.svg?"+sv.Encode()
	return q
}

func intsToStrings(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// statsView is the clicks section.
type statsView struct {
	Off, Failed bool
	Total       track.Counts
	Chart       string // inline SVG
	SeriesJSON  string // the series for charts.js
	Points      []point
	Breakdowns  []breakdown
}

// breakdown is one dimension (app, os, scene, pay channel), largest first.
type breakdown struct {
	Key  string // message key of the dimension
	Rows []countRow
	Max  int64
}

type countRow struct {
	Name  string // the value as counted (wechat, group, …)
	Label string // its name in the page's language (微信, 群聊, …)
	Count int64
}

var ranges = []string{"48h", "7d", "30d", "90d"}

func (u *ui) handleLink(c *fiber.Ctx, rq *req) error {
	l, err := u.loadLink(c, rq)
	if l == nil {
		return err
	}
	d := &detailData{Row: u.row(c, *l), Entity: newEntityView(l.Entity), Created: c.Query("created") != "",
		QR: u.qrChoice(c, l), Range: c.Query("range"), Ranges: ranges}
	if !contains(ranges, d.Range) {
		d.Range = "30d"
	}
	d.Landings, d.Expanded = u.landings(l)
	v := u.newView(c, rq, "link.title", "links", d)
	d.Stats = u.stats(linkquery.StatsKey(l.Domain, l.Code), d.Range, v) // taps on a pinned domain are kept under "domain/code"
	if d.Created {
		v.Flash = v.T("flash.created")
	} else if c.Query("saved") != "" {
		v.Flash = v.T("flash.saved")
	} else if c.Query("logosaved") != "" {
		v.Flash = v.T("flash.logosaved")
	}
	v.Title = v.T("link.title") + " " + l.Code
	return u.render(c, fiber.StatusOK, "link", v)
}

func (u *ui) stats(code, rng string, v *view) *statsView {
	return u.statsWith(rng, v, func(ctx context.Context, from, to time.Time, by string) (*track.Stats, error) {
		return u.d.Stats.Stats(ctx, code, from, to, by)
	})
}

// statsWith is the stats view of range rng from query (a link's or a
// campaign's stats).
func (u *ui) statsWith(rng string, v *view, query func(ctx context.Context, from, to time.Time, by string) (*track.Stats, error)) *statsView {
	sv := &statsView{}
	if u.d.Stats == nil {
		sv.Off = true
		return sv
	}
	now := u.now()
	by := "day"
	var from time.Time
	switch rng {
	case "48h":
		by, from = "hour", now.Add(-47*time.Hour).Truncate(time.Hour)
	case "7d":
		from = now.AddDate(0, 0, -6)
	case "90d":
		from = now.AddDate(0, 0, -89)
	default:
		from = now.AddDate(0, 0, -29)
	}
	if by == "day" {
		f := from.In(track.ChinaTime)
		from = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, track.ChinaTime)
	}
	to := now.Add(time.Second)
	ctx, cancel := ctxTimeout()
	defer cancel()
	st, err := query(ctx, from, to, by)
	if err != nil {
		u.log.Error("ui: stats failed", "err", err)
		sv.Failed = true
		return sv
	}
	fillStatsView(sv, st, from, to, by, v)
	return sv
}

// fillStatsView fills sv from st (a link's or a campaign's stats over
// [from, to)): totals, the series with empty buckets filled, the SVG
// fallback and the uPlot data (charts.js), and the breakdowns with every
// value named in the page's language.
func fillStatsView(sv *statsView, st *track.Stats, from, to time.Time, by string, v *view) {
	sv.Total = st.Counts
	sv.Points = fillSeries(st.Series, from, to, by, track.ChinaTime)
	sv.Chart = chartSVG(sv.Points, v.T("stats.chart"), v.T("stats.people"), v.T("stats.bots"), v.T("stats.people1"), v.T("stats.bots1"))
	sv.SeriesJSON = seriesJSON(sv.Points, v.T("stats.people"), v.T("stats.bots"), v.T("stats.when"))
	for _, dim := range []string{"app", "os", "scene", "pay_channel"} {
		b := breakdown{Key: "dim." + dim}
		for name, n := range st.Breakdown[dim] {
			b.Rows = append(b.Rows, countRow{Name: name, Label: v.Val(dim, name), Count: n})
			if n > b.Max {
				b.Max = n
			}
		}
		sort.Slice(b.Rows, func(i, j int) bool {
			if b.Rows[i].Count != b.Rows[j].Count {
				return b.Rows[i].Count > b.Rows[j].Count
			}
			return b.Rows[i].Name < b.Rows[j].Name
		})
		sv.Breakdowns = append(sv.Breakdowns, b)
	}
}

// ---- edit ----

func (u *ui) handleEditPage(c *fiber.Ctx, rq *req) error {
	l, err := u.loadLink(c, rq)
	if l == nil {
		return err
	}
	f := formOf(l)
	f.Entity = newEntityView(l.Entity)
	return u.render(c, fiber.StatusOK, "edit", u.newView(c, rq, "edit.title", "links", f))
}

func (u *ui) handleEdit(c *fiber.Ctx, rq *req) error {
	if ok, err := u.canWrite(c, rq); !ok {
		return err
	}
	l, err := u.loadLink(c, rq)
	if l == nil {
		return err
	}
	f := readForm(c)
	f.Edit, f.Code, f.Domain, f.Disabled = true, l.Code, l.Domain, l.Disabled
	f.V["alias"], f.V["domain"] = l.Code, l.Domain
	msgs := u.msgs[rq.lang]
	in, errs := f.input(u.d.MaxInput)
	if v, err := strconv.ParseInt(c.FormValue("version"), 10, 64); err == nil {
		f.Version = v
	}
	status := fiber.StatusOK
	for _, err := range errs {
		status, _ = f.fail(msgs, err)
	}
	if c.FormValue("action") == "check" || len(f.Errors) > 0 {
		if c.FormValue("action") == "check" {
			status = fiber.StatusOK
		}
		return u.render(c, status, "edit", u.newView(c, rq, "edit.title", "links", f))
	}
	// Alias and domain cannot change; an unchanged target keeps the
	// stored entity (it may have been looked up); the form shows the
	// title, so an empty one clears it.
	in.Alias, in.Domain = nil, nil
	if *in.Target == l.Target {
		in.Target = nil
	}
	title := f.V["title"]
	in.Title = &title
	// Keep the routing options the form does not show.
	in.Route.NoCheckout, in.Route.DesktopURL = l.Route.NoCheckout, l.Route.DesktopURL
	base := l.Clone()
	base.Version = f.Version
	ctx, cancel := ctxTimeout()
	defer cancel()
	out, err := u.d.Service.Edit(ctx, base, in)
	if err != nil {
		status, ok := f.fail(msgs, err)
		if !ok {
			u.log.Error("ui: update failed", "err", err)
		}
		return u.render(c, status, "edit", u.newView(c, rq, "edit.title", "links", f))
	}
	return c.Redirect(linkPath(out.Domain, out.Code, "")+sep(out.Domain)+"saved=1", fiber.StatusSeeOther)
}

// handleToggle enables or disables a link (POST, CSRF-checked by wrap).
func (u *ui) handleToggle(c *fiber.Ctx, rq *req) error {
	if ok, err := u.canWrite(c, rq); !ok {
		return err
	}
	l, err := u.loadLink(c, rq)
	if l == nil {
		return err
	}
	m := l.Clone()
	m.Disabled = c.FormValue("disabled") == "1"
	ctx, cancel := ctxTimeout()
	defer cancel()
	if _, err := u.d.Service.Update(ctx, m); err != nil {
		u.log.Error("ui: toggle failed", "err", err)
		return u.errorPage(c, rq, fiber.StatusServiceUnavailable, "err.unavailable")
	}
	next := c.FormValue("next")
	if !safeNext(next) {
		next = linkPath(l.Domain, l.Code, "")
	}
	return c.Redirect(strings.Clone(next), fiber.StatusSeeOther)
}

func (u *ui) handleDeletePage(c *fiber.Ctx, rq *req) error {
	l, err := u.loadLink(c, rq)
	if l == nil {
		return err
	}
	return u.render(c, fiber.StatusOK, "delete", u.newView(c, rq, "delete.title", "links", u.row(c, *l)))
}

func (u *ui) handleDelete(c *fiber.Ctx, rq *req) error {
	if ok, err := u.canWrite(c, rq); !ok {
		return err
	}
	l, err := u.loadLink(c, rq)
	if l == nil {
		return err
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	if err := u.d.Service.Delete(ctx, l.Domain, l.Code); err != nil && shortlink.ErrorCode(err) != shortlink.CodeNotFound {
		u.log.Error("ui: delete failed", "err", err)
		return u.errorPage(c, rq, fiber.StatusServiceUnavailable, "err.unavailable")
	}
	return c.Redirect("/ui/links?deleted=1", fiber.StatusSeeOther)
}

// seriesJSON is the data charts.js gives uPlot: x labels, people and bots
// per bucket (empty buckets as 0), and the names of the two series and
// of the x axis.
func seriesJSON(pts []point, human, bot, when string) string {
	d := struct {
		Labels     []string `json:"labels"`
		Human, Bot []int64
		Names      []string `json:"names"`
	}{Labels: make([]string, len(pts)), Human: make([]int64, len(pts)), Bot: make([]int64, len(pts)), Names: []string{human, bot, when}}
	for i, p := range pts {
		d.Labels[i], d.Human[i], d.Bot[i] = p.Label, p.Human, p.Bot
	}
	b, _ := json.Marshal(struct {
		Labels []string `json:"labels"`
		Human  []int64  `json:"human"`
		Bot    []int64  `json:"bot"`
		Names  []string `json:"names"`
	}{d.Labels, d.Human, d.Bot, d.Names})
	return string(b)
}
