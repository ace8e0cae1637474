package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// apiError is an error with the status, machine code and human message a
// client sees. Handlers return it; errorHandler renders it as JSON for API
// clients and as a page for people.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Field names the input field at fault, when there is one.
	Field string
	Cause error // for logs only
}

func (e *apiError) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *apiError) Unwrap() error { return e.Cause }

func asAPIError(err error) (*apiError, bool) {
	var ae *apiError
	ok := errors.As(err, &ae)
	return ae, ok
}

func errBadRequest(msg string) error {
	return &apiError{Status: fiber.StatusBadRequest, Code: "invalid", Message: msg}
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
		return "not_found", "no such page"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed", fe.Message
	case fiber.StatusRequestEntityTooLarge:
		return "too_large", "request body too large"
	case fiber.StatusTooManyRequests:
		return "rate_limited", "too many requests: slow down and retry later"
	case fiber.StatusRequestTimeout:
		return "timeout", "request timed out"
	}
	if fe.Code >= 500 {
		return "internal", "internal error"
	}
	return "invalid", fe.Message
}

// wantsJSON reports whether the caller is an API client rather than a person.
func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") {
		return true
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "application/json") &&
		!strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
