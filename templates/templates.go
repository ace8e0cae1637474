// Package templates holds hutong's html/template files and static assets,
// embedded into the binary. It exists as its own package because go:embed
// cannot reach parent folders.
//
// The tap pages (interstitial, open-in-browser guide, Open Graph preview,
// info/error pages) live under tap/ and are parsed once by
// internal/pages.New. FS is read-only and safe for concurrent use.
package templates

import "embed"

// FS holds the embedded template files. Paths are relative to this folder:
// tap/*.html are html/template files, tap/tap.css and tap/tap.js are the
// inline style and script of the tap pages (hashed into the CSP header by
// internal/pages).
//
//go:embed tap ui
var FS embed.FS
