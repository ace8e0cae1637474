package server

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/csvcell"
	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/qr"
)

// bulkRow is the outcome of one row of a bulk import.
type bulkRow struct {
	Row      int          `json:"row"`
	Code     string       `json:"code,omitempty"`
	ShortURL string       `json:"short_url,omitempty"`
	Target   string       `json:"target,omitempty"`
	Error    *errorDetail `json:"error,omitempty"`
}

// handleBulk imports links from CSV (header row naming the columns) or
// JSONL (one link object per line). Every row is tried; valid rows are
// created even when others fail. Answers JSON, or CSV with Accept: text/csv.
func (s *Server) handleBulk(c *fiber.Ctx) error {
	body := c.Body()
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	var rows []shortlink.Row
	var err error
	switch {
	case strings.HasPrefix(ct, "text/csv"):
		rows, err = shortlink.ParseCSV(body)
	case strings.HasPrefix(ct, "application/x-ndjson"), strings.HasPrefix(ct, "application/jsonl"),
		strings.HasPrefix(ct, "application/json"), ct == "":
		rows, err = shortlink.ParseJSONL(body)
	default:
		return &shortlink.Error{Code: shortlink.CodeUnsupportedMediaType,
			Message: "send text/csv (with a header row) or application/x-ndjson (one JSON object per line)"}
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	links, errs, err := s.links.Import(ctx, rows)
	if err != nil {
		return err
	}
	out := make([]bulkRow, len(rows))
	urls, lang := s.urls(c), apiLang(c)
	created := 0
	for i, r := range rows {
		out[i].Row = i + 1
		if r.Input.Target != nil {
			out[i].Target = *r.Input.Target
		}
		if errs[i] != nil {
			out[i].Error = detailOf(errs[i], lang)
			continue
		}
		created++
		out[i].Code, out[i].ShortURL = links[i].Code, urls.Short(links[i].Domain, links[i].Code)
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "text/csv") {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"row", "target", "code", "short_url", "error"})
		for _, r := range out {
			msg := ""
			if r.Error != nil {
				msg = r.Error.Code + ": " + r.Error.Message
			}
			t := csvcell.Text // row is a number, the rest text
			_ = w.Write([]string{strconv.Itoa(r.Row), t(r.Target), t(r.Code), t(r.ShortURL), t(msg)})
		}
		w.Flush()
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="hutong-links.csv"`)
		return c.Status(fiber.StatusOK).Send(buf.Bytes())
	}
	return c.JSON(struct {
		Created int       `json:"created"`
		Failed  int       `json:"failed"`
		Rows    []bulkRow `json:"rows"`
	}{created, len(rows) - created, out})
}

func detailOf(err error, lang pages.Lang) *errorDetail {
	_, d := httpError(err, lang)
	return &errorDetail{Code: d.Code, Message: d.Message, Field: d.Field}
}

// handleQR answers the QR code of a link's short URL as PNG or SVG. It
// needs no API key: it shows only the public short URL. Output is
// deterministic, so it carries a strong ETag and answers 304 to If-None-Match.
func (s *Server) handleQR(c *fiber.Ctx) error {
	if s.deps.Service == nil {
		return errUnavailable("the link store is not configured")
	}
	l, err := s.getLink(c)
	if err != nil {
		return err
	}
	o, err := qr.ParseOptions(func(k string) string { return c.Query(k) })
	if err != nil {
		return errBadRequest(err.Error())
	}
	if shortlink.Truthy(c.Query("logo")) {
		img, id, ok, err := s.qrLogo(&l)
		if err != nil {
			return err
		}
		switch {
		case !ok && l.QRLogo != "":
			return errField("logo", "", fmt.Sprintf("logo: this link's logo %q no longer exists and no install-wide logo is configured (hutong serve --qr-logo FILE.png); upload it again (PUT /api/v1/logos/%s) or give the link another", l.QRLogo, l.QRLogo))
		case !ok:
			return errField("logo", "", "logo: this link has no logo (qr_logo) and none is configured on this install (hutong serve --qr-logo FILE.png)")
		}
		o.Logo, o.LogoID = img, id
	}
	text := s.urls(c).QR(l.Domain, l.Code)
	svg := strings.HasSuffix(c.Path(), ".svg")
	etag := qr.ETag(text, o)
	if svg {
		etag = `"svg-` + strings.Trim(etag, `"`) + `"`
	}
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	if s.poolsOn() { // a block moves the code at once; the ETag keeps revalidation cheap
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, "image/png")
	if svg {
		c.Set(fiber.HeaderContentType, "image/svg+xml")
	}
	b, ok := s.qrs.GetIfPresent(etag)
	if !ok {
		if svg {
			b, err = qr.SVG(text, o)
		} else {
			b, err = qr.PNG(text, o)
		}
		if err != nil {
			return errBadRequest(err.Error())
		}
		s.qrs.Set(etag, b)
	}
	c.Response().SetBody(b) // a copy: b stays in the cache as it is
	return nil
}

// statsRange reads from=, to= (RFC 3339 or YYYY-MM-DD) and by=.
func statsRange(c *fiber.Ctx, now time.Time) (from, to time.Time, by string, err error) {
	parse := func(name string, def time.Time) (time.Time, error) {
		v := c.Query(name)
		if v == "" {
			return def, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		if t, err := time.ParseInLocation("2006-01-02", v, track.ChinaTime); err == nil {
			return t, nil
		}
		return time.Time{}, errField(name, shortlink.ReasonFormat, fmt.Sprintf("%s=%q: want RFC 3339 (2026-11-25T00:00:00+08:00) or a date (2026-11-25)", name, v))
	}
	if to, err = parse("to", now.Add(time.Second)); err != nil {
		return
	}
	if from, err = parse("from", to.Add(-30*24*time.Hour)); err != nil {
		return
	}
	by = c.Query("by", "day")
	if by != "day" && by != "hour" {
		err = errField("by", shortlink.ReasonChoice, fmt.Sprintf("by=%q: want day or hour", by))
	}
	return
}

func (s *Server) statsError(err error) error {
	if errors.Is(err, track.ErrInvalidQuery) {
		return errBadRequest(strings.TrimPrefix(err.Error(), "track: "))
	}
	return &shortlink.Error{Code: shortlink.CodeUnavailable, Message: "stats are unavailable right now; retry later", Err: err}
}

func (s *Server) handleLinkStats(c *fiber.Ctx) error {
	if s.deps.Stats == nil {
		return errUnavailable("click tracking is not configured")
	}
	l, err := s.getLink(c)
	if err != nil {
		return err
	}
	from, to, by, err := statsRange(c, s.now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	st, err := s.deps.Stats.Stats(ctx, statsKey(l.Domain, l.Code), from, to, by)
	if err != nil {
		return s.statsError(err)
	}
	if f, err := exportFormat(c); err != nil || f == "csv" {
		if err != nil {
			return err
		}
		return sendStatsCSV(c, st) // links_list.go
	}
	return c.JSON(st)
}

func (s *Server) handleCampaignStats(c *fiber.Ctx) error {
	if s.deps.Stats == nil {
		return errUnavailable("click tracking is not configured")
	}
	from, to, by, err := statsRange(c, s.now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	st, err := s.deps.Stats.CampaignStats(ctx, strings.Clone(c.Params("campaign")), from, to, by)
	if err != nil {
		return s.statsError(err)
	}
	if f, err := exportFormat(c); err != nil || f == "csv" {
		if err != nil {
			return err
		}
		return sendStatsCSV(c, st) // links_list.go
	}
	return c.JSON(st)
}

func (s *Server) handleEvents(c *fiber.Ctx) error {
	if s.deps.Stats == nil {
		return errUnavailable("click tracking is not configured")
	}
	if f, err := exportFormat(c); err != nil || f != "" {
		if err != nil {
			return err
		}
		return s.exportEvents(c, f)
	}
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errField("limit", shortlink.ReasonRange, "limit: want 1 to 1000")
		}
		limit = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	since := c.Query("since")
	if since == "" {
		since = c.Query("after") // the name before since
	}
	// A cursor ("<ms>-<seq>+<k>") or an RFC 3339 offset ("+08:00") pasted
	// into a URL unescaped arrives with its "+" decoded as a space; neither
	// ever holds a space.
	since = strings.ReplaceAll(since, " ", "+")
	cur, err := track.SinceCursor(since, s.now())
	if err != nil {
		return s.statsError(err)
	}
	p, err := s.deps.Stats.Events(ctx, cur, limit)
	if err != nil {
		return s.statsError(err)
	}
	return c.JSON(p)
}

// Keys API (admin scope).

func (s *Server) handleListKeys(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	keys, err := s.deps.Keys.ListKeys(ctx)
	if err != nil {
		return err
	}
	for i := range keys {
		keys[i].Hash = "" // never shown
	}
	return c.JSON(struct {
		Keys []shortlink.APIKey `json:"keys"`
	}{keys})
}

func (s *Server) handleCreateKey(c *fiber.Ctx) error {
	var r struct {
		Name   string            `json:"name"`
		Scopes []shortlink.Scope `json:"scopes"`
	}
	if err := decodeStrict(c.Body(), &r); err != nil {
		return err
	}
	secret := shortlink.NewSecret()
	k, err := shortlink.NewAPIKey(secret, r.Name, r.Scopes, s.now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if err := s.deps.Keys.CreateKey(ctx, k); err != nil {
		return err
	}
	k.Hash = ""
	return c.Status(fiber.StatusCreated).JSON(struct {
		shortlink.APIKey
		Secret string `json:"secret"`
	}{k, secret})
}

func (s *Server) handleRevokeKey(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if err := s.deps.Keys.RevokeKey(ctx, strings.Clone(c.Params("id")), s.now()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

//go:embed openapi.json
var openAPI []byte

func (s *Server) handleOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPI)
}

// exportEvents streams the click events of ?since=&until= (times, days or
// durations back from now: linkquery.ParseTime; since defaults to the
// oldest kept, until to now) as CSV or JSON Lines
// (linkquery.EventExport), a page at a time.
func (s *Server) exportEvents(c *fiber.Ctx, format string) error {
	now := s.now()
	since := c.Query("since", c.Query("from"))
	from, err := linkquery.ParseTime(strings.ReplaceAll(since, " ", "+"), now)
	if err != nil {
		return errField("since", shortlink.ReasonFormat, "since "+err.Error())
	}
	until := c.Query("until", c.Query("to"))
	to, err := linkquery.ParseTime(strings.ReplaceAll(until, " ", "+"), now)
	if err != nil {
		return errField("until", shortlink.ReasonFormat, "until "+err.Error())
	}
	if !to.IsZero() && !from.Before(to) {
		return errField("until", shortlink.ReasonRange, "since must be before until")
	}
	ex := linkquery.EventExport{Format: format, From: from, To: to}
	c.Set(fiber.HeaderContentType, ex.ContentType())
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ex.FileName()+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	q, log := s.deps.Stats, s.log
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		if n, err := ex.Write(ctx, w, q); err != nil {
			log.Warn("events export ended early", "rows", n, "err", err)
		}
	})
	return nil
}
