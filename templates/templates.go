// Package templates holds hutong's html/template files and static assets,
// embedded into the binary. It exists as its own package because go:embed
// cannot reach parent folders.
package templates
