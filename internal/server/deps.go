package server

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// Rules gives the routing table in force (route.Holder; swapped on reload).
type Rules interface {
	Load() *route.Table
}

// ClientDetector classifies a User-Agent (clientinfo.Detector, cached).
type ClientDetector interface {
	Detect(ua string) clientinfo.Client
}

// Links is what the tap path needs from the short-link layer.
type Links interface {
	// TapAt returns the link for a human tap at now, counting it against a
	// click cap; CodeGone (with the link filled in) when it cannot be used.
	TapAt(ctx context.Context, domain, code string, now time.Time) (shortlink.Link, error)
	// Get returns the link without counting (HEAD, bots).
	Get(ctx context.Context, domain, code string) (shortlink.Link, error)
	// Peek reads the link from the store itself, for the current click
	// count of a capped link without counting.
	Peek(ctx context.Context, domain, code string) (shortlink.Link, error)
}

// EventRecorder takes click events without blocking (track.Recorder).
type EventRecorder interface {
	Record(ev *track.Event)
}

// Check is a readiness probe of one dependency.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Deps are the collaborators a Server wires together. Rules, Clients and
// Pages are required; the rest are optional and their features answer
// clearly when absent.
type Deps struct {
	Rules   Rules
	Clients ClientDetector
	Pages   *pages.Renderer

	// Expander expands m.tb.cn-style short links server-side (cached by the
	// implementation). Nil: short links get the guide page with the link
	// to copy.
	Expander resolver.Expander
	// Decoder decodes bare 淘口令 tokens. Nil or not configured: the page
	// shows the token to copy and says decoding is off.
	Decoder resolver.PasswordDecoder
	// Tpwd mints 淘口令 for links created with "tpwd": true. Nil or not
	// enabled: such requests answer 503 (or, with "optional", make the link
	// without one).
	Tpwd shortlink.TpwdCreator

	// Links serves the short-link route GET /{code} (shortlink.CachedStore).
	// Nil: every code is not found.
	Links Links
	// Service is the short-link API (create, edit, list, keys). Nil: the
	// /api/v1/links routes answer 503.
	Service *shortlink.Service
	// Keys stores API keys (the link store). Nil: the API answers 503.
	Keys shortlink.KeyStore
	// LimiterStorage holds the write rate-limit counters (Redis when the
	// store is Redis, so limits hold across instances). Optional. Default:
	// in process memory.
	LimiterStorage fiber.Storage
	// QRLogo is drawn in the centre of QR codes asked for with ?logo=1;
	// QRLogoID names it for ETags. Optional.
	QRLogo   image.Image
	QRLogoID string
	// Events records taps (track.Recorder). Nil: taps are not recorded.
	Events EventRecorder
	// Stats answers the stats and events API (track sinks). Optional.
	Stats track.Querier
	// IPPolicy says how client IPs are kept on events.
	IPPolicy track.IPPolicy
	// Metrics are the HTTP metrics (NewMetrics); Gatherer serves /metrics.
	// Both optional.
	Metrics  *Metrics
	Gatherer prometheus.Gatherer
	// Now is the clock. Optional. Default time.Now.
	Now func() time.Time
	// ExpandTimeout bounds short-link expansion. Optional. Default 1.5s.
	ExpandTimeout time.Duration

	// Domain wires domain pools (domains.go). The zero value: pools off.
	Domain DomainDeps

	// Ready are the readiness checks behind /readyz.
	Ready []Check

	Logger *slog.Logger

	// UISecureCookies marks the web UI's session cookie Secure even on
	// requests seen as plain http (TLS ended by a proxy that is not in
	// Options.TrustedProxies). Optional. Default false: Secure exactly when
	// the request is https.
	UISecureCookies bool
	// UISecret is mixed into the web UI's session signatures. Optional:
	// sessions are keyed by the API key's stored hash already.
	UISecret []byte
}

func (d Deps) check() error {
	var errs []error
	if d.Rules == nil {
		errs = append(errs, errors.New("server: Deps.Rules is required"))
	}
	if d.Clients == nil {
		errs = append(errs, errors.New("server: Deps.Clients is required"))
	}
	if d.Pages == nil {
		errs = append(errs, errors.New("server: Deps.Pages is required"))
	}
	return errors.Join(errs...)
}
