package main

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/internal/server"
	"github.com/hutong-dev/hutong/shortlink"
)

// domainReload is how often every instance re-reads the domain records, so
// a change made through another instance (Redis) is served within it.
const domainReload = 10 * time.Second

// domainPools runs hutong's side of domain pools: the registry the server
// reads, its reloads, the check loop and the alerts. Its goroutines end
// when Close is called.
type domainPools struct {
	store   shortlink.DomainStore
	reg     *domains.Registry
	cfg     config.DomainChecks
	log     *slog.Logger
	checker *domains.Checker
	policy  domains.Policy
	alert   *domains.Notifier

	status  *prometheus.GaugeVec
	latency *prometheus.HistogramVec

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex // serialises refresh (Set after List)
}

// seedDomains is the default pool built from --base-url's host (where links
// without a domain were handed out) and --domains, in that order.
func seedDomains(cfg config.Serve, now time.Time) ([]domains.Domain, error) {
	var hosts []string
	if cfg.BaseURL != "" {
		if u, err := url.Parse(cfg.BaseURL); err == nil && u.Hostname() != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	hosts = append(hosts, cfg.Domains...)
	return domains.FromList(hosts, now)
}

// startDomainPools seeds the default pool on first run, loads the records
// and starts the reload and (with --domain-check-url) the check loops.
func startDomainPools(ctx context.Context, cfg config.Serve, store shortlink.DomainStore, reg prometheus.Registerer, log *slog.Logger) (*domainPools, error) {
	p := &domainPools{store: store, reg: &domains.Registry{}, cfg: cfg.Domain, log: log,
		policy: domains.Policy{RecoverAfter: cfg.Domain.RecoverAfter}}
	p.status = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hutong_domain_status",
		Help: "1 for the state each configured domain is in."}, []string{"host", "pool", "status"})
	p.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hutong_domain_check_duration_seconds",
		Help: "Latency of one request to a domain checker (--domain-check-url), by checker host.", Buckets: prometheus.DefBuckets}, []string{"checker"})
	reg.MustRegister(p.status, p.latency)

	seed, err := seedDomains(cfg, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	if seeded, err := store.SeedDomains(ctx, seed); err != nil {
		return nil, err
	} else if seeded {
		log.Info("seeded the default domain pool", "domains", len(seed))
	}
	if err := p.refresh(ctx); err != nil {
		return nil, err
	}
	if cfg.Domain.AlertURL != "" {
		// A few quick retries per round; between rounds the alert waits in
		// its record (domains.AlertBackoff), across restarts too.
		p.alert = &domains.Notifier{URL: cfg.Domain.AlertURL, Secret: []byte(cfg.Domain.AlertSecret), Retries: 2}
	}
	if len(cfg.Domain.CheckURLs) > 0 {
		every := cfg.Domain.Every
		if every <= 0 {
			every = 5 * time.Minute
		}
		p.cfg.Every = every
		p.checker = &domains.Checker{
			Templates:  cfg.Domain.CheckURLs,
			Classifier: domains.Classifier{Blocked: cfg.Domain.BlockedRe(), Soft: cfg.Domain.SoftRe()},
			Timeout:    min(10*time.Second, every), // a round never outlives its period by much
			Client: &http.Client{
				Transport:     timedTransport{next: http.DefaultTransport, h: p.latency},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
		}
	}
	lctx, cancel := context.WithCancel(context.Background())
	p.ctx, p.cancel = lctx, cancel
	p.retryAlerts() // what an earlier process left undelivered
	p.wg.Add(1)
	go p.reloadLoop(lctx)
	if p.checker != nil {
		p.wg.Add(1)
		go p.checkLoop(lctx)
	}
	return p, nil
}

// Close stops the loops. Alerts not yet delivered stay in their records
// and are retried by the next instance to start (or any running one).
func (p *domainPools) Close(context.Context) error {
	p.cancel()
	p.wg.Wait()
	return nil
}

// deps is what the server needs.
func (p *domainPools) deps() server.DomainDeps {
	return server.DomainDeps{Registry: p.reg, Store: p.store, Refresh: p.refresh, Changed: p.changed, MinHealthy: p.cfg.MinHealthy, RetireGrace: p.cfg.RetireGrace}
}

// refresh reloads the registry and the status gauges from the store.
func (p *domainPools) refresh(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	all, err := p.store.ListDomains(ctx)
	if err != nil {
		return err
	}
	p.reg.Set(all)
	p.status.Reset()
	for _, d := range all {
		p.status.WithLabelValues(d.Host, d.Pool, string(d.Status)).Set(1)
	}
	return nil
}

func (p *domainPools) reloadLoop(ctx context.Context) {
	defer p.wg.Done()
	t := time.NewTicker(domainReload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.refresh(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn("domain records not reloaded; serving the last ones", "err", err)
			}
			p.retryAlerts()
		}
	}
}

// checkLoop asks the checkers about every domain in use every period,
// jittered ±20%, and folds the verdicts into the records (Policy). It
// runs apart from taps: none ever waits for it.
func (p *domainPools) checkLoop(ctx context.Context) {
	defer p.wg.Done()
	for {
		wait := time.Duration(float64(p.cfg.Every) * (0.8 + 0.4*rand.Float64()))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		p.checkRound(ctx)
	}
}

func (p *domainPools) checkRound(ctx context.Context) {
	// Instances sharing a Redis store each run this loop: a domain another
	// instance checked in the last half period is left to it, so the
	// hysteresis counts one round per period, not one per instance.
	fresh := func(d *domains.Domain, now time.Time) bool { return now.Sub(d.LastCheck) < p.cfg.Every/2 }
	var hosts []string
	start := time.Now()
	for _, d := range p.reg.All() {
		if d.Status != domains.Retired && !fresh(&d, start) {
			hosts = append(hosts, d.Host)
		}
	}
	if len(hosts) == 0 {
		return
	}
	verdicts := p.checker.Round(ctx, hosts)
	if ctx.Err() != nil {
		return
	}
	type change struct {
		d      domains.Domain
		prev   domains.Status
		reason string
	}
	var changes []change
	for _, h := range hosts {
		round := verdicts[h]
		var prev domains.Status
		var moved bool
		now := time.Now().UTC()
		uctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		reason := "verdicts " + verdictList(round)
		d, err := p.store.UpdateDomain(uctx, h, func(d *domains.Domain) error {
			prev, moved = d.Status, false
			if d.LastCheck.After(start) { // another instance's round landed meanwhile
				return nil
			}
			before := *d
			if prev, moved = p.policy.Apply(d, round, now); moved {
				d.Audit(before, "check", reason, now)
			}
			return nil
		})
		cancel()
		if err != nil {
			if shortlink.ErrorCode(err) != shortlink.CodeNotFound { // removed meanwhile: nothing to do
				p.log.Warn("domain check result not stored", "host", h, "err", err)
			}
			continue
		}
		if moved {
			changes = append(changes, change{d, prev, "check: " + reason})
		}
	}
	if len(changes) == 0 {
		return
	}
	if err := p.refresh(ctx); err != nil {
		p.log.Warn("domain records not reloaded after a check", "err", err)
	}
	for _, c := range changes {
		p.changed(c.d, c.prev, c.reason)
	}
}

func verdictList(vs []domains.Verdict) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ","
		}
		s += string(v)
	}
	return s
}

// changed logs a change and, unless it is only the first strike's
// suspect (or its recovery), sends the alert in the background.
func (p *domainPools) changed(d domains.Domain, prev domains.Status, reason string) {
	all := p.reg.All()
	healthy := domains.HealthyCount(all, d.Pool)
	minH := p.cfg.MinHealthy
	if minH <= 0 {
		minH = 1
	}
	if prev == d.Status { // priority, pool, role or ICP: a record, not an alert
		p.log.Info("domain changed", "host", d.Host, "pool", d.Pool, "role", d.Role, "priority", d.Priority, "status", d.Status, "reason", reason)
		return
	}
	p.log.Warn("domain status changed", "host", d.Host, "pool", d.Pool, "role", d.Role, "status", d.Status,
		"previous", prev, "reason", reason, "healthy", healthy, "below_min", healthy < minH)
	if p.alert == nil || d.Status == domains.Suspect || prev == domains.Suspect && d.Status == domains.Standby {
		return
	}
	a := domains.Alert{Host: d.Host, Pool: d.Pool, Role: d.Role, Status: d.Status, Previous: prev,
		At: time.Now().UTC(), Reason: reason, Healthy: healthy, BelowMin: healthy < minH}
	if d.Status == "" { // removed: no record to keep the alert in, one round only
		a.Status = "removed"
		p.goSend(a, nil)
		return
	}
	// Kept with the record first: delivered at least once even if this
	// process stops before the receiver answers.
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	_, err := p.store.UpdateDomain(ctx, d.Host, func(d *domains.Domain) error {
		d.QueueAlert(a)
		return nil
	})
	cancel()
	if err != nil {
		p.log.Warn("domain alert not kept with its record; sending it once", "host", a.Host, "err", err)
		p.goSend(a, nil)
		return
	}
	p.deliver(d.Host)
}

// retryAlerts delivers the pending alerts that are due, on every domain
// (those of other instances too: claiming one moves its next try on, so
// two instances do not send it at once).
func (p *domainPools) retryAlerts() {
	if p.alert == nil {
		return
	}
	now := time.Now()
	for _, d := range p.reg.All() {
		for _, pa := range d.PendingAlerts {
			if !now.Before(pa.NextTry) || now.Sub(pa.At) > domains.AlertGiveUp {
				p.deliver(d.Host)
				break
			}
		}
	}
}

// deliver claims host's due alerts in its record and sends them in the
// background; a delivered alert is cleared from the record, a failed one
// waits for its next try (retryAlerts).
func (p *domainPools) deliver(host string) {
	var due, expired []domains.PendingAlert
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	_, err := p.store.UpdateDomain(ctx, host, func(d *domains.Domain) error {
		due, expired = d.ClaimAlerts(time.Now(), p.cfg.AlertRetry)
		return nil
	})
	cancel()
	if err != nil {
		if p.ctx.Err() == nil && shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			p.log.Warn("pending domain alerts not claimed", "host", host, "err", err)
		}
		return
	}
	for _, pa := range expired {
		p.log.Error("domain alert dropped: not delivered in 24 h", "host", pa.Host, "status", pa.Status, "at", pa.At, "attempts", pa.Attempts)
	}
	for _, pa := range due {
		p.goSend(pa.Alert, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := p.store.UpdateDomain(ctx, host, func(d *domains.Domain) error {
				d.ClearAlert(pa.Key())
				return nil
			}); err != nil && shortlink.ErrorCode(err) != shortlink.CodeNotFound {
				p.log.Warn("delivered domain alert not cleared; it may be sent again", "host", host, "err", err)
			}
		})
	}
}

// goSend sends a in the background (the Notifier's quick retries) and
// calls done after a delivery.
func (p *domainPools) goSend(a domains.Alert, done func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
		defer cancel()
		if err := p.alert.Send(ctx, a); err != nil {
			if p.ctx.Err() == nil {
				p.log.Error("domain alert not delivered yet", "host", a.Host, "status", a.Status, "err", err)
			}
			return
		}
		if done != nil {
			done()
		}
	}()
}

// timedTransport observes the latency of each checker request.
type timedTransport struct {
	next http.RoundTripper
	h    *prometheus.HistogramVec
}

func (t timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	t.h.WithLabelValues(r.URL.Host).Observe(time.Since(start).Seconds())
	return resp, err
}
