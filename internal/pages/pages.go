// Package pages renders the HTML pages a tap can get instead of a 302: the
// interstitial that opens the Taobao app, the "open in browser" guide for
// WeChat, the Open Graph preview for link-preview bots, and the info/error
// pages. Templates come from the embedded templates package and are parsed
// once by New.
//
// Every page is self-contained: inline CSS and one static inline script, no
// external scripts, fonts, images or CDNs, under 10 KB. The script and style
// never change with the data (data travels in HTML attributes), so the
// Content-Security-Policy pins them by hash: send Renderer.CSP with every
// page.
//
// A Renderer is immutable after New and safe for concurrent use.
package pages

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"sync"

	"github.com/hutong-dev/hutong/templates"
)

// ContentType is the Content-Type of every page.
const ContentType = "text/html; charset=utf-8"

// ErrNoDestination is returned by Renderer.Interstitial when the decision
// holds neither a usable app URL nor an http(s) Location.
var ErrNoDestination = errors.New("pages: interstitial has no app URL and no web location")

// Renderer renders the tap pages. Create it with New; the zero value is not
// usable. It is immutable and safe for concurrent use.
type Renderer struct {
	interstitial, guide, preview, info *template.Template
	home                               *template.Template

	msgs map[Lang]*messages
	css  template.CSS
	js   template.JS
	csp  string
	pool sync.Pool // of *bytes.Buffer

	// plain holds every info page without a link or a text to copy, by
	// language and kind, rendered once by New and cut around the request
	// ID: a bot probing unknown codes costs a copy, not a template run
	// (which was 45 % of hutong's CPU on unknown codes, 2.2× a tap).
	plain map[infoKey]infoParts
}

type infoKey struct {
	lang Lang
	kind InfoKind
}

// infoParts is a rendered page before and after its request ID.
type infoParts struct{ head, tail []byte }

// New parses the embedded templates, loads the message catalogue and hashes
// the inline script and style into the CSP header value. It fails only when
// the embedded files are broken (a build problem, caught by the tests).
func New() (*Renderer, error) {
	css, err := fs.ReadFile(templates.FS, "tap/tap.css")
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	js, err := fs.ReadFile(templates.FS, "tap/tap.js")
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	t, err := template.New("tap").ParseFS(templates.FS, "tap/*.html")
	if err != nil {
		return nil, fmt.Errorf("pages: parse templates: %w", err)
	}
	r := &Renderer{
		msgs: catalogue(),
		css:  template.CSS(css),
		js:   template.JS(js),
		csp: "default-src 'none'; script-src " + hashSource(js) + " 'unsafe-inline'; style-src " + hashSource(css) +
			" 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	}
	for name, dst := range map[string]**template.Template{
		"interstitial": &r.interstitial, "guide": &r.guide, "preview": &r.preview, "info": &r.info,
		"home": &r.home,
	} {
		if *dst = t.Lookup(name); *dst == nil {
			return nil, fmt.Errorf("pages: template %q missing", name)
		}
	}
	for lang, m := range r.msgs {
		for _, k := range infoKinds {
			if m.Info[k].Title == "" {
				return nil, fmt.Errorf("pages: %s has no wording for info kind %q", lang, k)
			}
		}
	}
	r.plain = make(map[infoKey]infoParts)
	for lang := range r.msgs {
		for _, k := range infoKinds {
			var buf bytes.Buffer
			if err := r.renderInfo(&buf, lang, Info{Kind: k, RequestID: idMark}); err != nil {
				return nil, err
			}
			// The mark is letters and hyphens: escaping leaves it as it is.
			// A template that shows the ID more than once (or not at all)
			// is rendered per request instead.
			if head, tail, ok := bytes.Cut(buf.Bytes(), []byte(idMark)); ok && !bytes.Contains(tail, []byte(idMark)) {
				r.plain[infoKey{lang, k}] = infoParts{head, tail}
			}
		}
	}
	return r, nil
}

// idMark stands for the request ID in the pre-rendered info pages.
const idMark = "hutong-request-id-mark-7f3c"

// appendHTMLText appends s escaped for HTML text as html/template escapes
// it, so a pre-rendered page is byte for byte the page a template run
// gives (TestPlainInfoPagesAsRendered).
func appendHTMLText(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			dst = append(dst, "\uFFFD"...)
		case '"':
			dst = append(dst, "&#34;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '\'':
			dst = append(dst, "&#39;"...)
		case '+':
			dst = append(dst, "&#43;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// hashSource is a CSP hash source for an inline script or style element.
func hashSource(b []byte) string {
	sum := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// CSP is the Content-Security-Policy header value to send with every page
// rendered by r:
//
//	default-src 'none'; script-src 'sha256-…' 'unsafe-inline'; style-src 'sha256-…' 'unsafe-inline';
//	base-uri 'none'; form-action 'none'; frame-ancestors 'none'
//
// The hashes pin the one inline script and the one inline style;
// 'unsafe-inline' is ignored by every browser that understands hashes (CSP
// level 2+) and only keeps old in-app web-views working. Nothing else may
// load: no images, fonts, frames, connections or forms.
func (r *Renderer) CSP() string { return r.csp }

// msg returns the catalogue of lang (LangZH for unknown values).
func (r *Renderer) msg(lang Lang) (Lang, *messages) {
	lang = lang.norm()
	return lang, r.msgs[lang]
}

// base is the data every page template reads.
type base struct {
	Lang  Lang
	T     *messages
	CSS   template.CSS
	JS    template.JS
	Title string
}

func (r *Renderer) base(lang Lang, title string) base {
	lang, m := r.msg(lang)
	return base{Lang: lang, T: m, CSS: r.css, JS: r.js, Title: title}
}

// copyBlock is the data of the "copy" template: text to copy with its button.
type copyBlock struct {
	Lead, Text, Label, OK, No string
	// Beacon is a same-origin URL the page posts to when Text is copied
	// (the 淘口令 blocks of a short link). Optional.
	Beacon string
}

func newCopy(m *messages, lead, text string) *copyBlock {
	if text == "" {
		return nil
	}
	return &copyBlock{Lead: lead, Text: text, Label: m.Copy, OK: m.Copied, No: m.CopyFailed}
}

// execute renders t into a pooled buffer and writes it to w in one call, so
// nothing reaches w when rendering fails.
func (r *Renderer) execute(w io.Writer, t *template.Template, data any) error {
	buf := r.buffer()
	defer r.release(buf)
	if err := t.Execute(buf, data); err != nil {
		return fmt.Errorf("pages: render %s: %w", t.Name(), err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// buffer returns an empty pooled page buffer; release gives it back.
func (r *Renderer) buffer() *bytes.Buffer {
	if buf, _ := r.pool.Get().(*bytes.Buffer); buf != nil {
		return buf
	}
	return bytes.NewBuffer(make([]byte, 0, 8<<10))
}

func (r *Renderer) release(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		buf.Reset()
		r.pool.Put(buf)
	}
}
