package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/csvcell"
	"github.com/hutong-dev/hutong/shortlink"
)

// maxImportBytes caps an uploaded file (the server's body limit is the
// outer bound).
const maxImportBytes = 8 << 20

// importData is the bulk import page's data.
type importData struct {
	Format  string
	Text    string
	Error   string
	Rows    []importRowView
	Done    bool
	Created int
	Failed  int
	Links   []string // domain|code of the created links, for the CSV download
}

type importRowView struct {
	ImportRow
	ShortURL string
	Path     string
}

func (u *ui) handleImportPage(c *fiber.Ctx, rq *req) error {
	return u.render(c, fiber.StatusOK, "import", u.newView(c, rq, "import.title", "import", &importData{Format: "auto"}))
}

// handleImport takes a CSV or JSONL file (upload or pasted) and shows the
// outcome of every row.
func (u *ui) handleImport(c *fiber.Ctx, rq *req) error {
	if ok, err := u.canWrite(c, rq); !ok {
		return err
	}
	msgs := u.msgs[rq.lang]
	d := &importData{Format: strings.Clone(c.FormValue("format")), Text: strings.Clone(c.FormValue("text"))}
	if d.Format != "csv" && d.Format != "jsonl" {
		d.Format = "auto"
	}
	body := []byte(d.Text)
	name := ""
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > maxImportBytes {
			d.Error = msgs["import.toolarge"]
			return u.render(c, fiber.StatusRequestEntityTooLarge, "import", u.newView(c, rq, "import.title", "import", d))
		}
		f, err := fh.Open()
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(f, maxImportBytes))
			f.Close()
		}
		if err != nil {
			d.Error = msgs["import.unreadable"]
			return u.render(c, fiber.StatusBadRequest, "import", u.newView(c, rq, "import.title", "import", d))
		}
		name = fh.Filename
		d.Text = ""
	}
	if len(bytes.TrimSpace(body)) == 0 {
		d.Error = msgs["import.empty"]
		return u.render(c, fiber.StatusUnprocessableEntity, "import", u.newView(c, rq, "import.title", "import", d))
	}
	format := sniffFormat(d.Format, name, body)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rows, err := u.importRows(ctx, body, format, msgs)
	if err != nil {
		status, _, msg, ok := userError(msgs, err)
		if !ok {
			u.log.Error("ui: import failed", "err", err)
		} else {
			status = fiber.StatusUnprocessableEntity
		}
		d.Error = msg
		return u.render(c, status, "import", u.newView(c, rq, "import.title", "import", d))
	}
	d.Done = true
	urls := u.urls(c)
	for _, r := range rows {
		rv := importRowView{ImportRow: r}
		if r.Error == "" {
			d.Created++
			rv.ShortURL = urls.Short(r.Domain, r.Code)
			rv.Path = linkPath(r.Domain, r.Code, "")
			d.Links = append(d.Links, r.Domain+"|"+r.Code)
		} else {
			d.Failed++
		}
		d.Rows = append(d.Rows, rv)
	}
	if d.Created > 0 {
		d.Text = ""
	}
	return u.render(c, fiber.StatusOK, "import", u.newView(c, rq, "import.title", "import", d))
}

// importRows makes the links of a CSV ("csv") or JSONL file through
// shortlink (ParseCSV or ParseJSONL, then Service.Import: the bulk API's
// rules); each row's error is rowError's. A non-nil error refuses
// the file as a whole (bad header, empty, too many rows).
func (u *ui) importRows(ctx context.Context, body []byte, format string, msgs map[string]string) ([]ImportRow, error) {
	parse := shortlink.ParseJSONL
	if format == "csv" {
		parse = shortlink.ParseCSV
	}
	rows, err := parse(body)
	if err != nil {
		return nil, err
	}
	links, errs, err := u.d.Service.Import(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]ImportRow, len(rows))
	for i, r := range rows {
		out[i].Row = i + 1
		if r.Input.Target != nil {
			out[i].Target = *r.Input.Target
		}
		if errs[i] != nil {
			out[i].Error = rowError(msgs, errs[i])
			continue
		}
		out[i].Code, out[i].Domain = links[i].Code, links[i].Domain
	}
	return out, nil
}

// sniffFormat picks csv or jsonl: the form's choice, else the file's
// extension, else the first non-blank byte ('{' means JSONL).
func sniffFormat(choice, name string, body []byte) string {
	if choice == "csv" || choice == "jsonl" {
		return choice
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".csv", ".txt":
		return "csv"
	case ".jsonl", ".ndjson", ".json":
		return "jsonl"
	}
	if b := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\ufeff")), " \t\r\n"); len(b) > 0 && b[0] == '{' {
		return "jsonl"
	}
	return "csv"
}

// handleImportCSV answers the created links of an import as CSV. The form
// carries domain|code pairs; each link is read back from the store, so the
// file holds nothing the store does not.
func (u *ui) handleImportCSV(c *fiber.Ctx, rq *req) error {
	args := c.Request().PostArgs()
	var keys []string
	args.VisitAll(func(k, v []byte) {
		if string(k) == "l" && len(keys) < 10000 {
			keys = append(keys, string(v))
		}
	})
	if form, err := c.MultipartForm(); err == nil && form != nil {
		for _, v := range form.Value["l"] {
			if len(keys) < 10000 {
				keys = append(keys, strings.Clone(v))
			}
		}
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // so spreadsheet apps read UTF-8 (Chinese titles)
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"code", "domain", "short_url", "target", "title", "campaign", "tags", "qr_png"})
	urls := u.urls(c)
	ctx, cancel := ctxTimeout()
	defer cancel()
	for _, k := range keys {
		domain, code, ok := strings.Cut(k, "|")
		if !ok || shortlink.ValidateCode(code) != nil || (domain != "" && !contains(u.d.Domains, domain)) {
			continue
		}
		l, err := u.d.Service.Get(ctx, domain, code)
		if err != nil {
			continue
		}
		short, qrURL := urls.Short(l.Domain, l.Code), urls.QRImage(l.Domain, l.Code)
		t := csvcell.Text // all text
		_ = w.Write([]string{t(l.Code), t(l.Domain), t(short), t(l.Target), t(l.Title), t(l.Campaign), t(strings.Join(l.Tags, ";")), t(qrURL)})
	}
	w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="hutong-links.csv"`)
	return c.Send(buf.Bytes())
}
