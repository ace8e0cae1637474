package server

import (
	"context"
	"errors"

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
		Decoder:       s.deps.Decoder,
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

func (b uiBackend) request(in ui.LinkInput) *linkRequest {
	r := &linkRequest{
		Target: &in.Target, MaxClicks: &in.MaxClicks, Campaign: &in.Campaign,
		Description: &in.Description, Image: &in.Image,
		ExpiresAt: optTime{Set: true, T: in.ExpiresAt},
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
		r.Tpwd = tpwdRequest{Set: true, Mode: tpwdMint}
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
	l, err := b.s.createLink(ctx, r)
	return l, uiError(err)
}

// UpdateLink implements ui.Backend.
func (b uiBackend) UpdateLink(ctx context.Context, l shortlink.Link, in ui.LinkInput) (shortlink.Link, error) {
	l = l.Clone()
	if in.Target == l.Target {
		in.Target = "" // unchanged: keep the stored entity (it may have been expanded)
	}
	r := b.request(in)
	r.Title = &in.Title // the edit form shows the title: empty clears it
	if in.Target == "" {
		r.Target = nil
	}
	if err := b.s.apply(&l, r, true); err != nil {
		return l, uiError(err)
	}
	if err := b.s.attachTpwd(ctx, &l, r, r.Target != nil); err != nil {
		return l, uiError(err)
	}
	out, err := b.s.deps.Service.Update(ctx, l)
	if err != nil {
		return out, uiError(storeError(err))
	}
	return out, nil
}

// Import implements ui.Backend with the bulk API's parsers and row loop.
func (b uiBackend) Import(ctx context.Context, body []byte, format string) ([]ui.ImportRow, error) {
	var (
		rows    []*linkRequest
		rowErrs map[int]error
		err     error
	)
	if format == "csv" {
		rows, rowErrs, err = parseCSVRows(body)
	} else {
		rows, rowErrs, err = parseJSONLRows(body)
	}
	if err != nil {
		return nil, uiError(err)
	}
	if len(rows) == 0 {
		return nil, uiError(errBadRequest("no rows: the file is empty"))
	}
	if len(rows) > MaxBulkRows {
		return nil, &ui.Error{Status: fiber.StatusRequestEntityTooLarge, Code: "too_large",
			Message: "more than " + itoa(MaxBulkRows) + " rows: split the file"}
	}
	links, errs := b.s.bulkCreate(ctx, rows, rowErrs)
	out := make([]ui.ImportRow, len(rows))
	for i, r := range rows {
		out[i].Row = i + 1
		if r != nil && r.Target != nil {
			out[i].Target = *r.Target
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
	if ae, ok := asAPIError(err); ok {
		return &ui.Error{Status: ae.Status, Code: ae.Code, Message: ae.Message, Err: err}
	}
	var se *shortlink.Error
	if errors.As(err, &se) {
		return uiError(storeError(err))
	}
	return &ui.Error{Status: fiber.StatusInternalServerError, Code: "internal", Message: "internal error", Err: err}
}
