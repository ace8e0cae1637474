package main

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
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
	leads   prometheus.Gauge

	// owner names this instance in the check lease; leader is whether it
	// holds it (only the leader runs check rounds).
	owner  string
	leader atomic.Bool

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
	p.leads = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hutong_domain_check_leader",
		Help: "1 while this instance holds the domain check lease (runs the checks), else 0."})
	reg.MustRegister(p.status, p.latency, p.leads)
	p.owner = leaseOwner()

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
		if p.cfg.Lease <= 0 {
			p.cfg.Lease = 30 * time.Second
		}
		p.lead(lctx) // before the first round
		p.wg.Add(2)
		go p.leaseLoop(lctx)
		go p.checkLoop(lctx)
	}
	return p, nil
}

// leaseOwner names this instance in the check lease: host, pid and a
// random part (two instances in one process, in tests, differ too).
func leaseOwner() string {
	h, _ := os.Hostname()
	var b [6]byte
	_, _ = crand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", h, os.Getpid(), b)
}

// lead takes or renews the check lease and says so when that changes.
func (p *domainPools) lead(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	held, err := p.store.LeadChecks(ctx, p.owner, p.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil && p.ctx.Err() == nil {
			p.log.Warn("domain check lease not renewed; not checking until it is", "err", err)
		}
		held = false // the lease may run out meanwhile: never two checkers
	}
	if was := p.leader.Swap(held); was != held {
		p.log.Info("domain checks", "leader", held, "owner", p.owner)
	}
	if held {
		p.leads.Set(1)
	} else {
		p.leads.Set(0)
	}
}

// leaseLoop renews the check lease every third of its length, so the
// leader keeps it and, when the leader stops, another instance takes over
// within a lease.
func (p *domainPools) leaseLoop(ctx context.Context) {
	defer p.wg.Done()
	t := time.NewTicker(p.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.lead(ctx)
		}
	}
}

// Close stops the loops, stores the taps counted since the last flush and
// gives the check lease up (another instance takes over at its next
// try). Alerts not yet delivered stay in their records (or tombstones) and
// are retried by the next instance to start (or any running one).
func (p *domainPools) Close(context.Context) error {
	p.cancel()
	p.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.flushTaps(ctx)
	if p.checker != nil {
		if err := p.store.ReleaseChecks(ctx, p.owner); err != nil {
			p.log.Warn("domain check lease not released; another instance takes over when it runs out", "err", err)
		}
	}
	return nil
}

// flushTaps adds the taps counted on this instance since the last flush
// to the store's current minute; on failure they are kept for the next.
func (p *domainPools) flushTaps(ctx context.Context) {
	m := p.reg.TakeTaps()
	if len(m) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := p.store.AddDomainTaps(ctx, time.Now(), m); err != nil {
		p.reg.UntakeTaps(m)
		p.log.Warn("taps by domain not stored; kept for the next try", "err", err)
	}
}

// tapsLastHour is every instance's taps by host in the last hour (this
// one's unstored counts flushed first).
func (p *domainPools) tapsLastHour(ctx context.Context) (map[string]int64, error) {
	p.flushTaps(ctx)
	now := time.Now()
	return p.store.DomainTaps(ctx, now.Add(-time.Hour+time.Minute), now)
}

// deps is what the server needs.
func (p *domainPools) deps() server.DomainDeps {
	return server.DomainDeps{Registry: p.reg, Store: p.store, Refresh: p.refresh, Changed: p.changed, Taps: p.tapsLastHour,
		MinHealthy: p.cfg.MinHealthy, RetireGrace: p.cfg.RetireGrace}
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
			p.flushTaps(ctx)
			p.retryAlerts()
		}
	}
}

// checkLoop asks the checkers about every domain in use every period,
// jittered ±20%, and folds the verdicts into the records (Policy), while
// this instance holds the check lease (leaseLoop). It runs apart from
// taps: none ever waits for it.
func (p *domainPools) checkLoop(ctx context.Context) {
	defer p.wg.Done()
	for {
		wait := time.Duration(float64(p.cfg.Every) * (0.8 + 0.4*rand.Float64()))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if p.leader.Load() {
			p.checkRound(ctx)
		}
	}
}

func (p *domainPools) checkRound(ctx context.Context) {
	// One instance leads the checks (the lease); should two ever run a
	// round in one period (a lease taken over mid-round), a domain the
	// other checked in the last half period is left to it, so the
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
	// Kept with the record first (a removed domain's in its tombstone):
	// delivered at least once even if this process stops before the
	// receiver answers.
	update := p.store.UpdateDomain
	if d.Status == "" {
		a.Status = "removed"
		update = p.store.UpdateRemovedDomain
	}
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	_, err := update(ctx, d.Host, func(d *domains.Domain) error {
		d.QueueAlert(a)
		return nil
	})
	cancel()
	if err != nil {
		p.log.Warn("domain alert not kept with its record; sending it once", "host", a.Host, "err", err)
		p.goSend(a, nil)
		return
	}
	p.deliver(d.Host, update)
}

// updater is shortlink.DomainStore's UpdateDomain or UpdateRemovedDomain.
type updater func(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error)

// retryAlerts delivers the pending alerts that are due, on every domain
// (those of other instances too: claiming one moves its next try on, so
// two instances do not send it at once).
func (p *domainPools) retryAlerts() {
	if p.alert == nil {
		return
	}
	now := time.Now()
	due := func(ds []domains.Domain, update updater) {
		for _, d := range ds {
			for _, pa := range d.PendingAlerts {
				if !now.Before(pa.NextTry) || now.Sub(pa.At) > domains.AlertGiveUp {
					p.deliver(d.Host, update)
					break
				}
			}
		}
	}
	due(p.reg.All(), p.store.UpdateDomain)
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	tombs, err := p.store.RemovedDomains(ctx)
	cancel()
	if err != nil {
		if p.ctx.Err() == nil {
			p.log.Warn("removed domains' pending alerts not read", "err", err)
		}
		return
	}
	due(tombs, p.store.UpdateRemovedDomain)
}

// deliver claims host's due alerts in its record (or tombstone: update)
// and sends them in the background; a delivered alert is cleared from the
// record, a failed one waits for its next try (retryAlerts).
func (p *domainPools) deliver(host string, update updater) {
	var due, expired []domains.PendingAlert
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	_, err := update(ctx, host, func(d *domains.Domain) error {
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
			if _, err := update(ctx, host, func(d *domains.Domain) error {
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
