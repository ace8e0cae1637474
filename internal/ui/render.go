package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/pages"
)

// view is the data every page template gets: the layout reads its fields,
// the page reads Data.
type view struct {
	Lang    pages.Lang
	Other   pages.Lang // the language the switch offers
	Title   string
	Nav     string // current section: new, links, import
	CSRF    string
	Signed  bool
	KeyName string
	Here    string // this page's local path, for the language switch
	Flash   string
	Data    any
	msgs    map[string]string
}

// T returns the message key in the page's language; a missing key renders
// as ‹key› (a test fails on it).
func (v *view) T(key string) string {
	if s, ok := v.msgs[key]; ok {
		return s
	}
	return "‹" + key + "›"
}

// Val names a counted value of a stats dimension (app, os, scene,
// pay_channel) in the page's language: "val.app.wechat" → 微信; a value
// with no message shows as it is, "" as "—".
func (v *view) Val(dim, value string) string {
	if value == "" {
		if s, ok := v.msgs["val."+dim+"."]; ok {
			return s
		}
		return "—"
	}
	if s, ok := v.msgs["val."+dim+"."+value]; ok {
		return s
	}
	return value
}

// Tf is T formatted with args (fmt verbs in the message).
func (v *view) Tf(key string, args ...any) string { return fmt.Sprintf(v.T(key), args...) }

func (u *ui) newView(c *fiber.Ctx, rq *req, titleKey, nav string, data any) *view {
	v := &view{Lang: rq.lang, Other: pages.LangEN, Nav: nav, Here: localPath(c), Data: data, msgs: u.msgs[rq.lang]}
	if v.msgs == nil {
		v.Lang, v.msgs = pages.LangZH, u.msgs[pages.LangZH]
	}
	if v.Lang == pages.LangEN {
		v.Other = pages.LangZH
	}
	if rq.sess != nil {
		v.Signed, v.CSRF, v.KeyName = true, rq.sess.csrf(), rq.sess.Key.Name
	}
	v.Title = v.T(titleKey)
	return v
}

// render writes page name with v at status.
func (u *ui) render(c *fiber.Ctx, status int, name string, v *view) error {
	t := u.pages[name]
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		u.log.Error("ui: render failed", "page", name, "err", err)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fiber.StatusInternalServerError).SendString("internal error")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// errorData is the error page's data.
type errorData struct {
	Status  int
	Message string
}

// errorPage renders an error page with the message key msgKey.
func (u *ui) errorPage(c *fiber.Ctx, rq *req, status int, msgKey string) error {
	v := u.newView(c, rq, "err.title", "", nil)
	v.Data = errorData{Status: status, Message: v.T(msgKey)}
	return u.render(c, status, "error", v)
}

// staticFile is one embedded asset with its ETag.
type staticFile struct {
	body  []byte
	ctype string
	etag  string
}

func loadStatic(fsys fs.FS) (map[string]staticFile, error) {
	out := map[string]staticFile{}
	entries, err := fs.ReadDir(fsys, "ui/static")
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, "ui/static/"+e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		switch path.Ext(e.Name()) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		}
		out[e.Name()] = staticFile{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out, nil
}

// handleStatic serves /ui/static/{name} with an ETag; browsers revalidate
// after an hour.
func (u *ui) handleStatic(c *fiber.Ctx) error {
	f, ok := u.static[c.Params("name")]
	if !ok {
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		return c.Status(fiber.StatusNotFound).SendString("not found")
	}
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderETag, f.etag)
	if c.Get(fiber.HeaderIfNoneMatch) == f.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ctype)
	return c.Send(f.body)
}
