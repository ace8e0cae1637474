package shortlink

import (
	"errors"
	"fmt"
)

// Error codes: the kinds of error hutong has, the whole vocabulary callers
// branch on. Each is also the "code" of the API's JSON error
// ({"error":{"code","message","field"}}); internal/server maps each to one
// HTTP status (in one function) and internal/ui to a page status and a
// message (in one function); see ErrorCode.
const (
	// CodeInvalid: the input is malformed (bad alias, expiry in the past, …). HTTP 400.
	CodeInvalid = "invalid"
	// CodeUnauthorized: no API key, or an unknown or revoked one. HTTP 401.
	CodeUnauthorized = "unauthorized"
	// CodeForbidden: the key lacks the scope the request needs. HTTP 403.
	CodeForbidden = "forbidden"
	// CodeNotFound: no such link, key, domain or route. HTTP 404.
	CodeNotFound = "not_found"
	// CodeMethodNotAllowed: the route exists, the method does not. HTTP 405.
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeTimeout: the request took too long to arrive. HTTP 408.
	CodeTimeout = "timeout"
	// CodeConflict: the code/alias is taken, or an optimistic update lost. HTTP 409.
	CodeConflict = "conflict"
	// CodeGone: the link exists but is expired, disabled or out of clicks. HTTP 410.
	CodeGone = "gone"
	// CodeTooLarge: the body or the import is bigger than allowed. HTTP 413.
	CodeTooLarge = "too_large"
	// CodeUnsupportedMediaType: the body is not in a format the route reads. HTTP 415.
	CodeUnsupportedMediaType = "unsupported_media_type"
	// CodeRateLimited: too many requests with this key or from this address. HTTP 429.
	CodeRateLimited = "rate_limited"
	// CodeUnavailable: the store cannot be reached or timed out; retry later. HTTP 503.
	CodeUnavailable = "unavailable"
	// CodeInternal: anything else (a bug, corrupt data). HTTP 500.
	CodeInternal = "internal"
)

// The kinds of a failed "tpwd" request (a link's 淘口令, see Input.Tpwd):
// each tells the marketer a different thing to do, so each has its own
// code; Field is "tpwd".
const (
	// CodeInvalidTpwd: no 淘口令 in the pasted text. HTTP 422.
	CodeInvalidTpwd = "invalid_tpwd"
	// CodeNotPromotionLink: the platform mints only for Alimama promotion links. HTTP 422.
	CodeNotPromotionLink = "not_promotion_link"
	// CodeTpwdRejected: the platform refused this link. HTTP 422.
	CodeTpwdRejected = "tpwd_rejected"
	// CodeTpwdForbidden: the platform app lacks the permission. HTTP 403.
	CodeTpwdForbidden = "tpwd_forbidden"
	// CodeTpwdRateLimited: the platform app's call limit is reached. HTTP 429.
	CodeTpwdRateLimited = "tpwd_rate_limited"
	// CodeTpwdUpstream: the platform answered an error or nothing. HTTP 502.
	CodeTpwdUpstream = "tpwd_upstream"
	// CodeTpwdNotConfigured: minting is not set up on this install. HTTP 503.
	CodeTpwdNotConfigured = "tpwd_not_configured"
	// CodeTpwdUnavailable: calls are paused after repeated failures. HTTP 503.
	CodeTpwdUnavailable = "tpwd_unavailable"
)

// Reasons: which rule of a field failed, for a caller that words the
// message itself (the web UI, in two languages). Error.Reason holds one;
// most errors need none (the field and the kind say enough).
const (
	// ReasonRequired: the field is empty.
	ReasonRequired = "required"
	// ReasonTooLong: the field is longer than its limit.
	ReasonTooLong = "too_long"
	// ReasonUnknown: the target is nothing the resolver understands.
	ReasonUnknown = "unknown"
	// ReasonPast: the time is not in the future.
	ReasonPast = "past"
	// ReasonFormat: the value cannot be read (a date, a number).
	ReasonFormat = "format"
	// ReasonURL: the value is not an http(s) URL.
	ReasonURL = "url"
	// ReasonNotServed: the domain is not served by this install.
	ReasonNotServed = "not_served"
	// ReasonRange: the number is outside its bounds.
	ReasonRange = "range"
	// ReasonChoice: the value is not one of those the field takes.
	ReasonChoice = "choice"
)

// Error is hutong's one error type: Code is its kind (one of the Code*
// constants), Field the input field at fault, Message is safe to show to
// the user (it names what to fix), and Err, when set, is the underlying
// cause for logs. The zero value is not useful; use Errorf, FieldError or
// wrap.
type Error struct {
	Code    string
	Message string
	// Field names the input field the error is about, as the API's JSON
	// names it ("target", "utm.utm_source", "route.quantity", "alias",
	// "tpwd"); "" when none.
	Field string
	// Reason names the rule of Field that failed (Reason* constants), when
	// a caller may want to word it itself; "" when none.
	Reason string
	Err    error
}

// Error implements error. It includes the cause, so log it; show Message to users.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("shortlink %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("shortlink %s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an *Error of kind code about field, with reason
// (optional) and a message that starts with the field's name, so a person
// reading only the message knows what to fix.
func FieldError(code, field, reason, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Reason: reason, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// wrap returns an *Error with code and message around the cause err.
func wrap(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain: "" for a nil
// err and CodeInternal for an error that is not an *Error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(*Error); ok { // the usual case, without errors.As's allocation
		return e.Code
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorField returns the Field of the first *Error in err's chain ("" when
// none).
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorReason returns the Reason of the first *Error in err's chain (""
// when none).
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain: "" for a nil err and a generic message for any other error (whose
// details belong in logs, not in answers).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// errNotFound is the shared, immutable not-found error the cache answers
// with, so that a negative cache hit does not allocate.
var errNotFound = &Error{Code: CodeNotFound, Message: "short link not found"}
