package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/errtext"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/shortlink"
)

// Handlers return errors of one vocabulary, *shortlink.Error (a kind, a
// field, a message a person can act on, a cause for logs); Fiber's own
// errors (*fiber.Error: no route, body too large, …) are read as the same
// kinds. httpError turns either into the status and the JSON body
// ({"error":{"code","message","field"}}, openapi.json's Error) the API
// answers: the one place errors become HTTP.

// statusOf is the HTTP status of each kind of error (shortlink.Code*).
var statusOf = map[string]int{
	shortlink.CodeInvalid:              fiber.StatusBadRequest,
	shortlink.CodeUnauthorized:         fiber.StatusUnauthorized,
	shortlink.CodeForbidden:            fiber.StatusForbidden,
	shortlink.CodeNotFound:             fiber.StatusNotFound,
	shortlink.CodeMethodNotAllowed:     fiber.StatusMethodNotAllowed,
	shortlink.CodeTimeout:              fiber.StatusRequestTimeout,
	shortlink.CodeConflict:             fiber.StatusConflict,
	shortlink.CodeGone:                 fiber.StatusGone,
	shortlink.CodeTooLarge:             fiber.StatusRequestEntityTooLarge,
	shortlink.CodeUnsupportedMediaType: fiber.StatusUnsupportedMediaType,
	shortlink.CodeRateLimited:          fiber.StatusTooManyRequests,
	shortlink.CodeUnavailable:          fiber.StatusServiceUnavailable,
	shortlink.CodeInternal:             fiber.StatusInternalServerError,
	shortlink.CodeInvalidTpwd:          fiber.StatusUnprocessableEntity,
	shortlink.CodeNotPromotionLink:     fiber.StatusUnprocessableEntity,
	shortlink.CodeTpwdRejected:         fiber.StatusUnprocessableEntity,
	shortlink.CodeTpwdForbidden:        fiber.StatusForbidden,
	shortlink.CodeTpwdRateLimited:      fiber.StatusTooManyRequests,
	shortlink.CodeTpwdUpstream:         fiber.StatusBadGateway,
	shortlink.CodeTpwdNotConfigured:    fiber.StatusServiceUnavailable,
	shortlink.CodeTpwdUnavailable:      fiber.StatusServiceUnavailable,
}

// httpError is the status and the JSON error of err: a *shortlink.Error's
// kind, message and field; a *fiber.Error's status read as a kind; 500
// "internal error" for anything else (and for every 5xx without its own
// message to show). The message is in lang (errtext.API: the kind and the
// field do not change with it). The cause stays in err, for the log.
func httpError(err error, lang pages.Lang) (int, errorDetail) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, msg := fiberErrorCode(fe)
		return fe.Code, errorDetail{Code: code, Message: errtext.API(lang, &shortlink.Error{Code: code, Message: msg})}
	}
	var se *shortlink.Error
	if !errors.As(err, &se) {
		se = &shortlink.Error{Code: shortlink.CodeInternal}
	}
	status, ok := statusOf[se.Code]
	if !ok {
		status = fiber.StatusInternalServerError
	}
	if status == fiber.StatusInternalServerError {
		se = &shortlink.Error{Code: shortlink.CodeInternal, Message: "internal error"}
	}
	return status, errorDetail{Code: se.Code, Message: errtext.API(lang, se), Field: se.Field}
}

// apiLang is the language of c's API answers (errtext.LangOf its
// Accept-Language: Chinese only when asked for).
func apiLang(c *fiber.Ctx) pages.Lang {
	return errtext.LangOf(c.Get(fiber.HeaderAcceptLanguage))
}

// errorStatus is httpError's status alone (metrics).
func errorStatus(err error) int {
	status, _ := httpError(err, pages.LangEN)
	return status
}

func errBadRequest(msg string) error {
	return &shortlink.Error{Code: shortlink.CodeInvalid, Message: msg}
}

// errField is a CodeInvalid error about field (a query parameter or a
// body field, by its API name) that broke reason (shortlink.Reason*, ""
// for none); msg starts with the field's name.
func errField(field, reason, msg string) error {
	return &shortlink.Error{Code: shortlink.CodeInvalid, Field: field, Reason: reason, Message: msg}
}

func errUnavailable(msg string) error {
	return &shortlink.Error{Code: shortlink.CodeUnavailable, Message: msg}
}

func errNotFound(msg string) error {
	return &shortlink.Error{Code: shortlink.CodeNotFound, Message: msg}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func fiberErrorCode(fe *fiber.Error) (code, msg string) {
	switch fe.Code {
	case fiber.StatusNotFound:
		return shortlink.CodeNotFound, "no such page"
	case fiber.StatusMethodNotAllowed:
		return shortlink.CodeMethodNotAllowed, fe.Message
	case fiber.StatusRequestEntityTooLarge:
		return shortlink.CodeTooLarge, "request body too large"
	case fiber.StatusTooManyRequests:
		return shortlink.CodeRateLimited, "too many requests: slow down and retry later"
	case fiber.StatusRequestTimeout:
		return shortlink.CodeTimeout, "request timed out"
	}
	if fe.Code >= 500 {
		return shortlink.CodeInternal, "internal error"
	}
	return shortlink.CodeInvalid, fe.Message
}

// wantsJSON reports whether the caller is an API client rather than a person.
func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") {
		return true
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "application/json") &&
		!strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
