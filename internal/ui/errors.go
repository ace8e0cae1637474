package ui

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/errtext"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/shortlink"
)

// The web UI's one translation of errors. Every refusal it shows, from
// shortlink (Service.Make, Edit, Import) or from reading a form, is a
// *shortlink.Error with a kind and the API's name of the field at fault;
// fieldErr says which form field it goes next to (by that name, never by
// reading the message) and in which words: errtext.Form, the message
// table the API answers from too (the page's language when a rule words
// it, else shortlink's own message on English pages and words from the
// kind, field and reason on Chinese ones). Errors that are not about the
// input (the store is down, a bug) become err.unavailable, logged.

// formField is the form field of an API field name ("" for the whole
// form: a field the form does not show).
func formField(field string) string {
	switch field {
	case "expires_at":
		return "expires"
	case "route.quantity":
		return "quantity"
	case "route.sku":
		return "sku"
	case "utm":
		return "utm_source"
	case "target", "alias", "domain", "max_clicks", "tags", "campaign", "title", "description", "image", "tpwd":
		return field
	}
	if k, ok := strings.CutPrefix(field, "utm."); ok && contains(utmFields, k) {
		return k
	}
	return ""
}

// serverSide reports whether an error of kind code is not about what was
// typed: the page says the store is unavailable. The 淘口令 minter's
// outages are shown next to the tpwd box (the marketer can untick it).
func serverSide(code string) bool {
	switch code {
	case shortlink.CodeInternal, shortlink.CodeUnavailable, shortlink.CodeGone, shortlink.CodeTimeout:
		return true
	}
	return false
}

// userError is err as the UI shows it: the page status, the form field it
// belongs to and the message in msgs' language; ok is false for an error
// that is not about the input (the caller logs it and shows
// err.unavailable with status 503).
func userError(msgs map[string]string, err error) (status int, field, msg string, ok bool) {
	var e *shortlink.Error
	if !errors.As(err, &e) || serverSide(e.Code) {
		return fiber.StatusServiceUnavailable, "", msgs["err.unavailable"], false
	}
	lang := pages.LangEN
	if msgs["lang.zh"] != "" {
		lang = pages.LangZH
	}
	label := msgs["f."+formField(e.Field)]
	if label == "" || formField(e.Field) == "" {
		label = e.Field
	}
	msg = errtext.Form(lang, e, label)
	switch e.Code {
	case shortlink.CodeConflict:
		status = fiber.StatusConflict
		if e.Field == "" { // an edit lost to a concurrent one
			msg = msgs["edit.conflict"]
		}
	case shortlink.CodeTooLarge:
		status = fiber.StatusRequestEntityTooLarge
	default:
		status = fiber.StatusUnprocessableEntity
	}
	return status, formField(e.Field), msg, true
}

// rowError is the message of a bulk import row's error in the page's
// language, as userError words it (English pages: shortlink's own,
// naming the column to fix, as the bulk API answers it); a row that failed
// for a reason not about its input says the store is unavailable.
func rowError(msgs map[string]string, err error) string {
	_, _, msg, _ := userError(msgs, err)
	return msg
}

// fail puts err next to its field of f (see userError) and returns the
// page status; ok is false when err is not about the input.
func (f *linkForm) fail(msgs map[string]string, err error) (status int, ok bool) {
	status, field, msg, ok := userError(msgs, err)
	if field != "" && field == "domain" && len(f.Domains) == 0 && !f.Edit {
		field = "" // the form has no domain field then
	}
	if _, taken := f.Errors[field]; !taken {
		f.Errors[field] = msg
	}
	return status, ok
}
