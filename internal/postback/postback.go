// Package postback delivers click events to ad systems: a Poster fires the
// operator's postbacks (a Tencent-style callback GET, or a signed JSON
// webhook) for each tap that carries a click ID, with retries, a host
// allowlist and dead letters. Three drivers feed it the taps of
// internal/track's event log: Worker (a consumer group on the Redis
// streams), NATSWorker (a durable JetStream pull consumer), both
// at-least-once across restarts with one Idempotency-Key per tap and
// postback, and Local (the embedded mode's in-memory queue, fed by
// track.Config.AfterWrite). All are safe for concurrent use; wire them in
// cmd/hutong.
package postback

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hutong-dev/hutong/internal/track"
)

// Postback kinds.
const (
	// KindTencent GETs the tap's decoded callback URL (the Tencent Ads /
	// Ocean Engine `callback` or `cb` parameter), or URL expanded when set.
	KindTencent = "tencent"
	// KindWebhook sends the event as JSON to URL, signed.
	KindWebhook = "webhook"
)

// Postback is one operator-configured postback. A plain value; safe to
// share once configured.
type Postback struct {
	// Name identifies the postback in logs, metrics, dead letters and the
	// Idempotency-Key header. Required, unique.
	Name string
	// Kind is KindTencent or KindWebhook. Required.
	Kind string
	// URL is a template; placeholders {click_id}, {callback}, {visit_id},
	// {ts} (Unix ms), {code}, {campaign} are replaced by query-escaped
	// values. Required for KindWebhook; optional for KindTencent (default:
	// the decoded callback URL itself).
	URL string
	// Method is the HTTP method. Optional. Default: GET for KindTencent,
	// POST for KindWebhook.
	Method string
	// Secret is the HMAC-SHA256 key of the X-Hutong-Signature header
	// ("sha256=" + hex of the HMAC of the body). Optional; no header if empty.
	Secret string
	// Codes limits the postback to these link codes. Optional. Default: all.
	Codes []string
	// Campaigns limits the postback to these campaigns. Optional. Default: all.
	Campaigns []string
}

// Config configures a Poster. Fields marked Optional have defaults.
type Config struct {
	// Postbacks are fired, in order, for every tap that carries a click ID
	// (KindWebhook: any of gdt_vid, qz_gdt, click_id, clickid, bd_vid,
	// callback, cb) or a callback URL (KindTencent: callback or cb).
	Postbacks []Postback
	// AllowedHosts are the hosts a postback may reach when the host comes
	// from the tap (the callback URL, or a template starting with a
	// placeholder): "ad.qq.com" matches itself, ".qq.com" any subdomain.
	// A webhook template's own literal host is always allowed. Nothing else
	// is ever requested (no SSRF), and redirects are not followed.
	AllowedHosts []string
	// MaxAttempts is the number of tries before a dead letter. Optional.
	// Default: 8.
	MaxAttempts int
	// BaseBackoff is the first retry delay; it doubles per try, capped at
	// MaxBackoff, with jitter in [d/2, d]. Optional. Defaults: 500ms, 1m.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Timeout bounds one HTTP request. Optional. Default: 5s.
	Timeout time.Duration
	// Client sends the requests. Optional. Default: a client with Timeout
	// that does not follow redirects.
	Client *http.Client
	// Registerer receives hutong_track_postbacks_total. Optional.
	Registerer prometheus.Registerer
	// Logger. Optional. Default: slog.Default().
	Logger *slog.Logger
}

// Outcome of one postback for one tap.
const (
	OutcomeOK       = "ok"       // 2xx
	OutcomeRetry    = "retry"    // network error, 5xx, 408 or 429: tried again
	OutcomeRejected = "rejected" // other 4xx (or 3xx): not retried, dead-lettered
	OutcomeDead     = "dead"     // MaxAttempts exhausted: dead-lettered
	OutcomeBlocked  = "blocked"  // target host not allowed or URL invalid: dead-lettered
)

// DeadLetter describes a postback given up on.
type DeadLetter struct {
	Postback string      `json:"postback"`
	VisitID  string      `json:"visit_id"`
	EntryID  string      `json:"entry_id,omitempty"`
	Outcome  string      `json:"outcome"`
	Attempts int         `json:"attempts"`
	Reason   string      `json:"reason"`
	URL      string      `json:"url,omitempty"`
	Event    track.Event `json:"event"`
}

// Poster delivers the postbacks of one tap, with retries. It is safe for
// concurrent use; create it with NewPoster. Worker (Redis), NATSWorker
// and the embedded Local drive it.
type Poster struct {
	cfg     Config
	client  *http.Client
	results *prometheus.CounterVec
	log     *slog.Logger
	sleep   func(ctx context.Context, d time.Duration) error
}

// NewPoster validates cfg and returns a Poster.
func NewPoster(cfg Config) (*Poster, error) {
	names := map[string]bool{}
	for _, pb := range cfg.Postbacks {
		if pb.Name == "" || names[pb.Name] {
			return nil, fmt.Errorf("postback: postback name %q empty or duplicate", pb.Name)
		}
		names[pb.Name] = true
		switch pb.Kind {
		case KindTencent:
		case KindWebhook:
			if pb.URL == "" {
				return nil, fmt.Errorf("postback: webhook postback %q needs a URL", pb.Name)
			}
		default:
			return nil, fmt.Errorf("postback: postback %q: kind %q, want tencent or webhook", pb.Name, pb.Kind)
		}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := cfg.Client
	if c == nil {
		c = &http.Client{
			Timeout:       cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	p := &Poster{
		cfg:    cfg,
		client: c,
		log:    cfg.Logger.With("component", "postback"),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hutong_track_postbacks_total",
			Help: "Postback attempts by postback name and outcome (ok, retry, rejected, dead, blocked).",
		}, []string{"postback", "outcome"}),
		sleep: sleepCtx,
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(p.results); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var clickIDOrder = []string{"click_id", "clickid", "gdt_vid", "qz_gdt", "bd_vid"}

func callbackOf(ev *track.Event) string {
	cb := ev.ClickIDs["callback"]
	if cb == "" {
		cb = ev.ClickIDs["cb"]
	}
	// Tencent's __CALLBACK__ arrives URL-encoded; once decoded by the query
	// parser it is a URL. Decode once more if it is still encoded.
	if cb != "" && !strings.Contains(cb, "://") {
		if d, err := url.QueryUnescape(cb); err == nil {
			cb = d
		}
	}
	return cb
}

func clickIDOf(ev *track.Event) string {
	for _, k := range clickIDOrder {
		if v := ev.ClickIDs[k]; v != "" {
			return v
		}
	}
	return ""
}

// matching returns the postbacks that apply to ev.
func (p *Poster) matching(ev *track.Event) []Postback {
	if len(ev.ClickIDs) == 0 {
		return nil
	}
	var out []Postback
	for _, pb := range p.cfg.Postbacks {
		if len(pb.Codes) > 0 && !slices.Contains(pb.Codes, ev.Code) {
			continue
		}
		if len(pb.Campaigns) > 0 && !slices.Contains(pb.Campaigns, ev.Campaign) {
			continue
		}
		switch pb.Kind {
		case KindTencent:
			if callbackOf(ev) == "" {
				continue
			}
		case KindWebhook:
			if clickIDOf(ev) == "" && callbackOf(ev) == "" {
				continue
			}
		}
		out = append(out, pb)
	}
	return out
}

// Wants reports whether any postback applies to ev.
func (p *Poster) Wants(ev *track.Event) bool { return len(p.matching(ev)) > 0 }

// WantsAny reports whether any of a batch's taps wants a postback.
func (p *Poster) WantsAny(events []track.LoggedEvent) bool {
	for i := range events {
		if p.Wants(&events[i].Event) {
			return true
		}
	}
	return false
}

// HandleBatch delivers the postbacks of a batch's taps (Handle for each
// that wants one), at most cap(sem) at once across every caller sharing
// sem, and returns when all are delivered or dead-lettered — the moment a
// consumer acknowledges the batch — or ctx.Err() when ctx ends first.
// dead may be called from several goroutines at once.
func (p *Poster) HandleBatch(ctx context.Context, events []track.LoggedEvent, sem chan struct{}, dead func(DeadLetter)) error {
	var wg sync.WaitGroup
	var failed atomic.Bool
	for i := range events {
		ev := &events[i].Event
		if !p.Wants(ev) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			failed.Store(true)
		}
		if failed.Load() {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if p.Handle(ctx, ev, dead) != nil {
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		if err := ctx.Err(); err != nil {
			return err
		}
		return context.Canceled
	}
	return nil
}

// Handle fires every matching postback for ev, retrying each as configured.
// It calls dead for each postback given up on. It returns ctx.Err() if ctx
// ends first (the tap should then be retried later: nothing is lost, the
// receiver may see a duplicate with the same Idempotency-Key).
func (p *Poster) Handle(ctx context.Context, ev *track.Event, dead func(DeadLetter)) error {
	for _, pb := range p.matching(ev) {
		if err := p.deliver(ctx, pb, ev, dead); err != nil {
			return err
		}
	}
	return nil
}

func (p *Poster) deliver(ctx context.Context, pb Postback, ev *track.Event, dead func(DeadLetter)) error {
	dl := func(outcome string, attempts int, reason, u string) {
		p.results.WithLabelValues(pb.Name, outcome).Inc()
		p.log.Warn("postback dead-lettered", "postback", pb.Name, "visit_id", ev.VisitID, "outcome", outcome, "attempts", attempts, "reason", reason)
		if dead != nil {
			dead(DeadLetter{Postback: pb.Name, VisitID: ev.VisitID, Outcome: outcome, Attempts: attempts, Reason: reason, URL: u, Event: *ev})
		}
	}
	req, target, err := p.build(pb, ev)
	if err != nil {
		dl(OutcomeBlocked, 0, err.Error(), target)
		return nil
	}
	for attempt := 1; ; attempt++ {
		status, err := p.send(ctx, req)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case err == nil && status >= 200 && status < 300:
			p.results.WithLabelValues(pb.Name, OutcomeOK).Inc()
			return nil
		case err == nil && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
			dl(OutcomeRejected, attempt, "HTTP "+strconv.Itoa(status), target)
			return nil
		}
		reason := ""
		if err != nil {
			reason = err.Error()
		} else {
			reason = "HTTP " + strconv.Itoa(status)
		}
		if attempt >= p.cfg.MaxAttempts {
			dl(OutcomeDead, attempt, reason, target)
			return nil
		}
		p.results.WithLabelValues(pb.Name, OutcomeRetry).Inc()
		if err := p.sleep(ctx, p.backoff(attempt)); err != nil {
			return err
		}
	}
}

// backoff is the delay after the attempt-th try: Base·2^(attempt-1),
// capped, with jitter in [d/2, d].
func (p *Poster) backoff(attempt int) time.Duration {
	d := p.cfg.BaseBackoff << min(attempt-1, 30)
	if d <= 0 || d > p.cfg.MaxBackoff {
		d = p.cfg.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// prepared is a request that can be sent several times.
type prepared struct {
	method  string
	url     string
	body    []byte
	headers http.Header
}

func (p *Poster) send(ctx context.Context, pr *prepared) (int, error) {
	var body io.Reader
	if pr.body != nil {
		body = bytes.NewReader(pr.body)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, pr.method, pr.url, body)
	if err != nil {
		return 0, err
	}
	req.Header = pr.headers.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// webhookBody is the JSON a webhook receives.
type webhookBody struct {
	Postback string       `json:"postback"`
	VisitID  string       `json:"visit_id"`
	ClickID  string       `json:"click_id,omitempty"`
	Callback string       `json:"callback,omitempty"`
	TS       int64        `json:"ts"`
	Event    *track.Event `json:"event"`
}

// Sign returns the X-Hutong-Signature value for body under secret:
// "sha256=" + hex(HMAC-SHA256(secret, body)). Receivers recompute it over
// the raw body and compare with hmac.Equal.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (p *Poster) build(pb Postback, ev *track.Event) (*prepared, string, error) {
	cb := callbackOf(ev)
	var target string
	if pb.URL == "" {
		target = cb
	} else {
		target = expand(pb.URL, ev, cb)
	}
	if err := p.allowed(pb, target); err != nil {
		return nil, target, err
	}
	pr := &prepared{method: pb.Method, url: target, headers: http.Header{}}
	pr.headers.Set("User-Agent", "hutong-postback/1")
	pr.headers.Set("Idempotency-Key", ev.VisitID+":"+pb.Name)
	if pb.Kind == KindWebhook {
		if pr.method == "" {
			pr.method = http.MethodPost
		}
		body, err := json.Marshal(webhookBody{Postback: pb.Name, VisitID: ev.VisitID, ClickID: clickIDOf(ev), Callback: cb, TS: ev.Time.UnixMilli(), Event: ev})
		if err != nil {
			return nil, target, err
		}
		pr.body = body
		pr.headers.Set("Content-Type", "application/json")
		if pb.Secret != "" {
			pr.headers.Set("X-Hutong-Signature", Sign(pb.Secret, body))
		}
	} else if pr.method == "" {
		pr.method = http.MethodGet
	}
	return pr, target, nil
}

func expand(tmpl string, ev *track.Event, cb string) string {
	return strings.NewReplacer(
		"{click_id}", url.QueryEscape(clickIDOf(ev)),
		"{callback}", url.QueryEscape(cb),
		"{visit_id}", url.QueryEscape(ev.VisitID),
		"{ts}", strconv.FormatInt(ev.Time.UnixMilli(), 10),
		"{code}", url.QueryEscape(ev.Code),
		"{campaign}", url.QueryEscape(ev.Campaign),
	).Replace(tmpl)
}

// allowed checks the final URL: http(s), and a host from AllowedHosts or
// the template's own literal host.
func (p *Poster) allowed(pb Postback, target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("postback URL %q is not an absolute http(s) URL", target)
	}
	host := strings.ToLower(u.Hostname())
	if pb.URL != "" && !strings.HasPrefix(pb.URL, "{") {
		if tu, err := url.Parse(pb.URL); err == nil && strings.ToLower(tu.Hostname()) == host && !strings.Contains(tu.Host, "{") {
			return nil
		}
	}
	for _, a := range p.cfg.AllowedHosts {
		a = strings.ToLower(a)
		if h, _, err := net.SplitHostPort(a); err == nil {
			a = h
		}
		if host == a || (strings.HasPrefix(a, ".") && strings.HasSuffix(host, a)) {
			return nil
		}
	}
	return fmt.Errorf("postback host %q is not on the allowlist", host)
}

// errNoPostbacks is returned by Run when nothing is configured.
var errNoPostbacks = errors.New("postback: no postbacks configured")
