package shortlink

import (
	"errors"
	"fmt"
)

// Error codes: the whole vocabulary callers need to branch on. The server
// maps them to HTTP status in one function; see ErrorCode.
const (
	// CodeInvalid: the input is malformed (bad alias, expiry in the past, …). HTTP 400.
	CodeInvalid = "invalid"
	// CodeNotFound: no such link or key. HTTP 404.
	CodeNotFound = "not_found"
	// CodeConflict: the code/alias is taken, or an optimistic update lost. HTTP 409.
	CodeConflict = "conflict"
	// CodeGone: the link exists but is expired, disabled or out of clicks. HTTP 410.
	CodeGone = "gone"
	// CodeUnavailable: the store cannot be reached or timed out; retry later. HTTP 503.
	CodeUnavailable = "unavailable"
	// CodeInternal: anything else (a bug, corrupt data). HTTP 500.
	CodeInternal = "internal"
)

// Error is a domain error: Code is one of the Code* constants, Message is
// safe to show to the user (it names what to fix), and Err, when set, is the
// underlying cause for logs. The zero value is not useful; use Errorf or
// wrap.
type Error struct {
	Code    string
	Message string
	// Field names the input field a CodeInvalid error is about
	// ("target", "utm.utm_source", "route.quantity"); "" when none.
	Field string
	Err   error
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
