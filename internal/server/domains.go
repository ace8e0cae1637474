package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/hutong-dev/hutong/internal/domains"
	tapcore "github.com/hutong-dev/hutong/internal/tap"
	"github.com/hutong-dev/hutong/internal/ui"
	"github.com/hutong-dev/hutong/shortlink"
)

// DomainDeps are the domain-pool collaborators (Deps.Domain). The zero
// value turns pools off: every Host is served as before and short URLs
// come from --base-url or the request.
type DomainDeps struct {
	// Registry is the snapshot taps and read-time URLs use. Nil: pools off.
	Registry *domains.Registry
	// Store keeps the records (the link store). Nil: /api/v1/domains answers 503.
	Store shortlink.DomainStore
	// Refresh reloads Registry from Store after a change. Optional.
	Refresh func(ctx context.Context) error
	// Changed is told about every status change and every record added or
	// removed (log line, webhook, event). prev is "" for an added record;
	// d.Status is "" for a removed one. Optional.
	Changed func(d domains.Domain, prev domains.Status, reason string)
	// MinHealthy is --domain-min-healthy, shown per pool. Optional. Default 1.
	MinHealthy int
	// Taps returns the taps on each host in the last hour, every instance's
	// (domain-pool tap counts summed through the store). Optional: nil
	// leaves taps_last_hour out.
	Taps func(ctx context.Context) (map[string]int64, error)
	// RetireGrace is --domain-retire-grace: a domain retired through the
	// API serves taps this long before it answers 404. Optional. Default 0.
	RetireGrace time.Duration
}

// poolsOn reports whether domain records are configured.
func (s *Server) poolsOn() bool { return s.deps.Domain.Registry.On() }

// tapKeys returns the link-store domains a tap looks its code up under, in
// order, and false when pools are on and the request's Host is not a
// serving host (404); with pools on, host is the request's host
// (normalised; it may alias request memory), else "". buf backs the
// answer when pools are off.
func (s *Server) tapKeys(c *fiber.Ctx, buf *[1]string) (keys []string, host string, ok bool) {
	if !s.poolsOn() {
		buf[0] = s.domainOf(c)
		return buf[:], "", true
	}
	host = domains.NormalizeHost(tapHost(c))
	keys, ok = s.deps.Domain.Registry.TapKeys(host)
	return keys, host, ok
}

// tapHost is c.Hostname() (X-Forwarded-Host from a trusted proxy) without
// its cost when there is no X-Forwarded-Host: Fiber's trusted-proxy check
// formats the peer's IP. The answer may alias request memory: look it up,
// do not keep it.
func tapHost(c *fiber.Ctx) string {
	if len(c.Request().Header.Peek(fiber.HeaderXForwardedHost)) > 0 {
		return c.Hostname()
	}
	return utils.UnsafeString(c.Request().Host())
}

// servedDomain reports whether d may be named as a link's domain.
func (s *Server) servedDomain(d string) bool {
	if contains(s.opts.Domains, d) {
		return true
	}
	rec, ok := s.deps.Domain.Registry.Lookup(d)
	return ok && rec.Serves()
}

func (s *Server) domainRoutes(api fiber.Router) {
	read := s.auth(shortlink.ScopeRead)
	admin := []fiber.Handler{s.auth(shortlink.ScopeAdmin), s.writeLimiter()}
	api.Get("/domains", read, s.handleListDomains)
	api.Post("/domains", append(admin, s.handleCreateDomain)...)
	api.Patch("/domains/:host", append(admin, s.handlePatchDomain)...)
	api.Delete("/domains/:host", append(admin, s.handleDeleteDomain)...)
}

// domainJSON is a record as the API shows it.
type domainJSON struct {
	domains.Domain
	StrikeCount int `json:"strike_count"`
	// TapsLastHour counts human taps on the host in the last hour, on
	// every instance; absent when unknown.
	TapsLastHour *int64 `json:"taps_last_hour,omitempty"`
}

type poolJSON struct {
	Pool       string `json:"pool"`
	Healthy    int    `json:"healthy"`
	MinHealthy int    `json:"min_healthy"`
	BelowMin   bool   `json:"below_min"`
	ShortHost  string `json:"short_host,omitempty"`
	QRHost     string `json:"qr_host,omitempty"`
}

func (s *Server) domainStore() (shortlink.DomainStore, error) {
	if s.deps.Domain.Store == nil {
		return nil, errUnavailable("domain records need a link store")
	}
	return s.deps.Domain.Store, nil
}

func (s *Server) handleListDomains(c *fiber.Ctx) error {
	st, err := s.domainStore()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	all, err := st.ListDomains(ctx)
	if err != nil {
		return err
	}
	return c.JSON(s.domainsBody(all, s.domainTaps(ctx)))
}

// domainTaps is DomainDeps.Taps, nil when it is not set or fails (logged:
// the records are still worth showing).
func (s *Server) domainTaps(ctx context.Context) map[string]int64 {
	if s.deps.Domain.Taps == nil {
		return nil
	}
	m, err := s.deps.Domain.Taps(ctx)
	if err != nil {
		s.log.Warn("taps by domain not read", "err", err)
		return nil
	}
	return m
}

func (s *Server) domainsBody(all []domains.Domain, taps map[string]int64) fiber.Map {
	now := s.now()
	out := make([]domainJSON, len(all))
	var pools []poolJSON
	seen := map[string]bool{}
	min := s.deps.Domain.MinHealthy
	if min <= 0 {
		min = 1
	}
	for i, d := range all {
		out[i] = domainJSON{Domain: d, StrikeCount: d.StrikeCount(now)}
		if taps != nil {
			n := taps[d.Host]
			out[i].TapsLastHour = &n
		}
		if seen[d.Pool] {
			continue
		}
		seen[d.Pool] = true
		p := poolJSON{Pool: d.Pool, Healthy: domains.HealthyCount(all, d.Pool), MinHealthy: min}
		p.BelowMin = p.Healthy < min
		if e, ok := domains.Pick(all, d.Pool, domains.Entry); ok {
			p.ShortHost = e.Host
		}
		if q, ok := domains.Pick(all, d.Pool, domains.QR); ok {
			p.QRHost = q.Host
		}
		pools = append(pools, p)
	}
	return fiber.Map{"domains": out, "pools": pools}
}

// domainRequest is the body of POST /domains and PATCH /domains/{host}.
type domainRequest struct {
	Host     *string         `json:"host"`
	Pool     *string         `json:"pool"`
	Role     *domains.Role   `json:"role"`
	Priority *int            `json:"priority"`
	ICP      *string         `json:"icp"`
	Status   *domains.Status `json:"status"`
	Reason   string          `json:"reason"`
	// Grace overrides --domain-retire-grace for a retire ("0s": 404 at once).
	Grace *string `json:"grace"`
	grace time.Duration
}

// maxRetireGrace bounds a retire's grace period.
const maxRetireGrace = 90 * 24 * time.Hour

func decodeDomainRequest(c *fiber.Ctx) (domainRequest, error) {
	var r domainRequest
	if err := decodeStrict(c.Body(), &r); err != nil {
		return r, err
	}
	if r.Status != nil && !r.Status.Valid() {
		return r, errField("status", shortlink.ReasonChoice, fmt.Sprintf("status %q: want active, standby, suspect, blocked, appealing or retired", *r.Status))
	}
	if r.Role != nil && !r.Role.Valid() {
		return r, errField("role", shortlink.ReasonChoice, fmt.Sprintf("role %q: want entry, qr or landing", *r.Role))
	}
	if r.Grace != nil {
		g, err := time.ParseDuration(*r.Grace)
		if err != nil || g < 0 || g > maxRetireGrace {
			return r, errField("grace", shortlink.ReasonFormat, fmt.Sprintf("grace %q: want a duration from 0s to 2160h, such as 72h", *r.Grace))
		}
		if r.Status == nil || *r.Status != domains.Retired {
			return r, errField("grace", "", `grace goes with {"status": "retired"} only`)
		}
		r.grace = g
	}
	return r, nil
}

// who names the API key behind a change (for the log and the webhook).
func who(c *fiber.Ctx, reason string) string {
	r := keyName(c)
	if reason = strings.TrimSpace(reason); reason != "" {
		r += ": " + reason
	}
	return r
}

// keyName is "api key <id>", the audit record's By.
func keyName(c *fiber.Ctx) string {
	id, _ := c.Locals(localAPIKey{}).(string)
	return "api key " + id
}

func (s *Server) domainChanged(ctx context.Context, d domains.Domain, prev domains.Status, reason string) {
	if s.deps.Domain.Refresh != nil {
		if err := s.deps.Domain.Refresh(ctx); err != nil {
			s.log.Warn("domain records not reloaded after a change", "err", err)
		}
	}
	if s.deps.Domain.Changed != nil {
		s.deps.Domain.Changed(d, prev, reason)
	}
}

func (s *Server) handleCreateDomain(c *fiber.Ctx) error {
	st, err := s.domainStore()
	if err != nil {
		return err
	}
	r, err := decodeDomainRequest(c)
	if err != nil {
		return err
	}
	if r.Host == nil || strings.TrimSpace(*r.Host) == "" {
		return errField("host", shortlink.ReasonRequired, `missing host: send {"host": "s4.example.cn"} (pool, role, priority, icp and status are optional)`)
	}
	// A new domain is a spare unless told otherwise: it serves taps at
	// once and is handed out when no active one is left.
	d := domains.Domain{Host: *r.Host, Status: domains.Standby, Since: s.now().UTC()}
	r.applyFields(&d)
	if r.Status != nil {
		d.Status = *r.Status
	}
	d.Added(keyName(c), strings.TrimSpace(r.Reason), d.Since)
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	d, err = st.CreateDomain(ctx, d)
	if err != nil {
		return err
	}
	s.domainChanged(ctx, d, "", who(c, r.Reason)+": added")
	c.Set(fiber.HeaderLocation, "/api/v1/domains/"+d.Host)
	return c.Status(fiber.StatusCreated).JSON(domainJSON{Domain: d, StrikeCount: d.StrikeCount(s.now())})
}

// applyFields sets the request's pool, role, priority and ICP on d, those
// it has (status is set by the caller: a new domain's directly, a change
// through SetStatus).
func (r *domainRequest) applyFields(d *domains.Domain) {
	if r.Pool != nil {
		d.Pool = *r.Pool
	}
	if r.Role != nil {
		d.Role = *r.Role
	}
	if r.Priority != nil {
		d.Priority = *r.Priority
	}
	if r.ICP != nil {
		d.ICP = *r.ICP
	}
}

func (s *Server) handlePatchDomain(c *fiber.Ctx) error {
	st, err := s.domainStore()
	if err != nil {
		return err
	}
	r, err := decodeDomainRequest(c)
	if err != nil {
		return err
	}
	host := domains.NormalizeHost(strings.Clone(c.Params("host")))
	if r.Host != nil && domains.NormalizeHost(*r.Host) != host {
		return errField("host", "", "host cannot be changed: add the new host and retire this one")
	}
	now := s.now().UTC()
	var prev domains.Status
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	d, err := st.UpdateDomain(ctx, host, func(d *domains.Domain) error {
		prev = d.Status
		before := *d
		r.applyFields(d)
		switch {
		case r.Status != nil && *r.Status == domains.Retired:
			grace := s.deps.Domain.RetireGrace
			if r.Grace != nil {
				grace = r.grace
			}
			d.Retire(now, grace)
		case r.Status != nil:
			d.SetStatus(*r.Status, now)
		}
		d.Audit(before, keyName(c), strings.TrimSpace(r.Reason), now)
		return nil
	})
	if err != nil {
		return err
	}
	s.domainChanged(ctx, d, prev, who(c, r.Reason))
	return c.JSON(domainJSON{Domain: d, StrikeCount: d.StrikeCount(now)})
}

func (s *Server) handleDeleteDomain(c *fiber.Ctx) error {
	st, err := s.domainStore()
	if err != nil {
		return err
	}
	host := domains.NormalizeHost(strings.Clone(c.Params("host")))
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	old, _ := s.deps.Domain.Registry.Lookup(host)
	if err := st.DeleteDomain(ctx, host); err != nil {
		return err
	}
	old.Host = host
	prev := old.Status
	old.Status = ""
	s.domainChanged(ctx, old, prev, who(c, "")+": removed")
	return c.SendStatus(fiber.StatusNoContent)
}

// uiDomainList feeds the web UI's Domains page (nil without a domain store).
func (s *Server) uiDomainList() ui.DomainList {
	if s.deps.Domain.Store == nil {
		return nil
	}
	st := s.deps.Domain.Store
	return func(ctx context.Context) ([]domains.Domain, map[string]int64, error) {
		all, err := st.ListDomains(ctx)
		if err != nil {
			return nil, nil, err
		}
		return all, s.domainTaps(ctx), nil
	}
}

// pools is the tap core's view of the domain pools: nil without a
// registry (an interface holding a nil pointer would not be nil).
func pools(r *domains.Registry) tapcore.Pools {
	if r == nil {
		return nil
	}
	return r
}
