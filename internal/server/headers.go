package server

import "github.com/gofiber/fiber/v2"

// Response header names and constant values of a tap, as bytes, the names
// in the form fasthttp normalises them to (X-Request-Id, not fiber's
// X-Request-ID): SetCanonical with them skips copying and normalising the
// name on every tap, and Peek still finds them (TestCanonicalHeaderNames).
var (
	hdrCacheControl   = []byte(fiber.HeaderCacheControl)
	hdrLocation       = []byte(fiber.HeaderLocation)
	hdrReferrerPolicy = []byte("Referrer-Policy")
	hdrXRequestID     = []byte("X-Request-Id")
	valCacheNoStore   = []byte(cacheNoStore)
	valReferrerPolicy = []byte("no-referrer-when-downgrade")
)
