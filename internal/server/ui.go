package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/ui"
	"github.com/hutong-dev/hutong/shortlink"
)

// mountUI serves the marketer's web page under /ui/ (internal/ui) when the
// link store is configured. Links made there go through the same
// validation as the JSON API (uiBackend).
func (s *Server) mountUI() {
	if s.deps.Service == nil || s.deps.Keys == nil {
		return
	}
	err := ui.Mount(s.app, ui.Deps{
		Backend:       uiBackend{s},
		Service:       s.deps.Service,
		Keys:          s.deps.Keys,
		Rules:         s.deps.Rules,
		Clients:       s.deps.Clients,
		Stats:         s.deps.Stats,
		Expander:      s.deps.Expander,
		Domains:       s.opts.Domains,
		DomainList:    s.uiDomainList(),
		MinHealthy:    s.deps.Domain.MinHealthy,
		QRLogo:        s.deps.QRLogo != nil,
		MaxInput:      s.opts.MaxInput,
		SecureCookies: s.deps.UISecureCookies,
		Secret:        s.deps.UISecret,
		Now:           s.now,
		Logger:        s.log,
	})
	if err != nil {
		// Only a broken build (embedded templates) gets here; the rest of
		// the service still works.
		s.log.Error("web UI disabled", "err", err)
	}
}

// uiBackend gives the UI the API's create, edit and bulk logic.
type uiBackend struct{ s *Server }

var _ ui.Backend = uiBackend{}

func (b uiBackend) request(in ui.LinkInput) *shortlink.Input {
	r := &shortlink.Input{
		Target: &in.Target, MaxClicks: &in.MaxClicks, Campaign: &in.Campaign,
		Description: &in.Description, Image: &in.Image,
		ExpiresAt: shortlink.OptTime{Set: true, T: in.ExpiresAt},
	}
	tags := in.Tags
	if tags == nil {
		tags = []string{}
	}
	r.Tags = &tags
	utm := in.UTM
	if utm == nil {
		utm = map[string]string{}
	}
	r.UTM = &utm
	rt := in.Route
	r.Route = &rt
	if in.Title != "" {
		r.Title = &in.Title // empty on create: the share text's title
	}
	if in.Tpwd {
		r.Tpwd = shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdMint}
	}
	return r
}

// ExportLinks implements ui.Backend with the API's export (links_list.go).
func (b uiBackend) ExportLinks(c *fiber.Ctx, format string, f shortlink.Filter, sort string) error {
	return b.s.exportLinks(c, format, linkquery.Query{Filter: f, Sort: sort})
}

// CreateLink implements ui.Backend.
func (b uiBackend) CreateLink(ctx context.Context, in ui.LinkInput) (shortlink.Link, error) {
	r := b.request(in)
	if in.Alias != "" {
		r.Alias = &in.Alias
	}
	if in.Domain != "" {
		r.Domain = &in.Domain
	}
	m, err := b.s.links.Make(ctx, *r)
	return m.Link, uiError(err)
}

// UpdateLink implements ui.Backend.
func (b uiBackend) UpdateLink(ctx context.Context, l shortlink.Link, in ui.LinkInput) (shortlink.Link, error) {
	if in.Target == l.Target {
		in.Target = "" // unchanged: keep the stored entity (it may have been expanded)
	}
	r := b.request(in)
	r.Title = &in.Title // the edit form shows the title: empty clears it
	if in.Target == "" {
		r.Target = nil
	}
	out, err := b.s.links.Edit(ctx, l, *r)
	return out, uiError(err)
}

// Import implements ui.Backend with the bulk API's parsers and row loop.
func (b uiBackend) Import(ctx context.Context, body []byte, format string) ([]ui.ImportRow, error) {
	var (
		rows []shortlink.Row
		err  error
	)
	if format == "csv" {
		rows, err = shortlink.ParseCSV(body)
	} else {
		rows, err = shortlink.ParseJSONL(body)
	}
	if err != nil {
		return nil, uiError(err)
	}
	links, errs, err := b.s.links.Import(ctx, rows)
	if err != nil {
		return nil, uiError(err)
	}
	out := make([]ui.ImportRow, len(rows))
	for i, r := range rows {
		out[i].Row = i + 1
		if r.Input.Target != nil {
			out[i].Target = *r.Input.Target
		}
		if errs[i] != nil {
			out[i].Error = detailOf(errs[i]).Message
			continue
		}
		out[i].Code, out[i].Domain = links[i].Code, links[i].Domain
	}
	return out, nil
}

// ShortURL implements ui.Backend.
func (b uiBackend) ShortURL(c *fiber.Ctx, domain, code string) string {
	return b.s.shortURL(c, domain, code)
}

// uiError turns the API's errors into the UI's.
func uiError(err error) error {
	if err == nil {
		return nil
	}
	status, d := httpError(err)
	return &ui.Error{Status: status, Code: d.Code, Message: d.Message, Err: err}
}
