package remote

import (
	"context"

	"github.com/hutong-dev/hutong/resolver"
)

// Expand always returns resolver.ErrNotConfigured.
func (Disabled) Expand(context.Context, string) (string, error) {
	return "", resolver.ErrNotConfigured
}

// Decode always returns resolver.ErrNotConfigured.
func (Disabled) Decode(context.Context, string) (resolver.Decoded, error) {
	return resolver.Decoded{}, resolver.ErrNotConfigured
}
