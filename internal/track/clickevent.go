package track

import "github.com/hutong-dev/hutong/internal/click"

// Event is one tap: click.Event, the type the tap core builds (its own
// package, so the core depends on no sink driver).
type Event = click.Event
