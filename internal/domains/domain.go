// Package domains holds hutong's domain records and pools (resilience
// against WeChat blocking a shared host): the states a domain moves
// through, the hysteresis that turns checker verdicts into states, and the
// choice of a pool's best healthy host for short_url and qr_url at read time.
//
// Everything here is pure: no I/O, time is passed in. Values are not safe
// for concurrent mutation; callers copy or lock.
package domains

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Status is a domain's state. The values are part of the API contract.
type Status string

// The states of a domain.
const (
	Active    Status = "active"    // handed out in new short URLs
	Standby   Status = "standby"   // serves taps; promoted when no active one is left
	Suspect   Status = "suspect"   // one blocked verdict; still serves, not handed out
	Blocked   Status = "blocked"   // serves taps outside WeChat, never handed out
	Appealing Status = "appealing" // blocked, appeal filed; never handed out
	Retired   Status = "retired"   // 404 after the grace period
)

// Valid reports whether s is one of the six states.
func (s Status) Valid() bool {
	switch s {
	case Active, Standby, Suspect, Blocked, Appealing, Retired:
		return true
	}
	return false
}

// Role says where a domain's URLs go.
type Role string

// The roles of a domain.
const (
	Entry   Role = "entry"   // shared in chats (short_url)
	QR      Role = "qr"      // printed codes only, never shared (qr_url)
	Landing Role = "landing" // hutong's own pages
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Entry || r == QR || r == Landing }

// DefaultPool is the pool of a domain or link that names none.
const DefaultPool = "default"

// StrikeWindow is how long a block counts as a strike (WeChat escalates
// sanctions with strikes in the last six months).
const StrikeWindow = 183 * 24 * time.Hour

// Verdict is one checker's answer about one host.
type Verdict string

// Checker verdicts. Unknown never blocks.
const (
	OK         Verdict = "ok"
	Transcoded Verdict = "transcoded"
	Soft       Verdict = "soft"
	Hard       Verdict = "hard"
	Unknown    Verdict = "unknown"
)

// Domain is one host record.
type Domain struct {
	Host        string      `json:"host"`
	Pool        string      `json:"pool"`
	Role        Role        `json:"role"`
	Priority    int         `json:"priority"`
	ICP         string      `json:"icp,omitempty"`
	Status      Status      `json:"status"`
	Since       time.Time   `json:"since"`
	LastCheck   time.Time   `json:"last_check,omitzero"`
	LastVerdict Verdict     `json:"last_verdict,omitempty"`
	Strikes     []time.Time `json:"strikes,omitempty"` // times it became blocked
	// HardRun counts consecutive hard verdicts; CleanRun consecutive ok ones.
	HardRun  int `json:"hard_run,omitempty"`
	CleanRun int `json:"clean_run,omitempty"`
	// ServesUntil is when a retired domain stops serving taps (404): the
	// grace period a retire starts (Retire), so shares and codes still on
	// it keep working while the operator moves them. Zero: at once.
	ServesUntil time.Time `json:"serves_until,omitzero"`
	// History is the audit trail: who changed what and why, oldest first,
	// the last MaxHistory changes (Audit).
	History []Change `json:"history,omitempty"`
	// PendingAlerts are status-change alerts not yet delivered to
	// --domain-alert-url: kept with the record so that an alert survives a
	// failed delivery and a restart, and any instance retries it.
	PendingAlerts []PendingAlert `json:"pending_alerts,omitempty"`
}

// Change is one audit record of a domain.
type Change struct {
	At time.Time `json:"at"`
	// By is who made it: "api key <id>", "check", "seed".
	By string `json:"by"`
	// What lists the fields that changed, "status blocked → active;
	// priority 0 → 2", or "added".
	What   string `json:"what"`
	Reason string `json:"reason,omitempty"`
}

// MaxHistory is how many changes a record keeps.
const MaxHistory = 50

// Audit appends to d's history what differs from before (status, pool,
// role, priority, ICP), made by by for reason at now, and reports whether
// anything did. A change that moves nothing (a check that only recorded
// its verdict) leaves no record.
func (d *Domain) Audit(before Domain, by, reason string, now time.Time) bool {
	var what []string
	diff := func(name, a, b string) {
		if a != b {
			what = append(what, name+" "+orNone(a)+" → "+orNone(b))
		}
	}
	diff("status", string(before.Status), string(d.Status))
	diff("pool", before.Pool, d.Pool)
	diff("role", string(before.Role), string(d.Role))
	diff("priority", strconv.Itoa(before.Priority), strconv.Itoa(d.Priority))
	diff("icp", before.ICP, d.ICP)
	if len(what) == 0 {
		return false
	}
	d.record(Change{At: now, By: by, What: strings.Join(what, "; "), Reason: reason})
	return true
}

// Added starts d's history: it was added by by for reason at now.
func (d *Domain) Added(by, reason string, now time.Time) {
	d.record(Change{At: now, By: by, What: "added", Reason: reason})
}

func (d *Domain) record(c Change) {
	d.History = append(d.History, c)
	if n := len(d.History) - MaxHistory; n > 0 {
		d.History = append(d.History[:0:0], d.History[n:]...)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// ErrInvalid is the error vocabulary's "bad input" for this package.
var ErrInvalid = errors.New("invalid domain")

// NormalizeHost lower-cases h and strips a trailing dot and a :port (only
// digits after the last colon count as a port).
func NormalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if i := strings.LastIndexByte(h, ':'); i >= 0 && i+1 < len(h) && strings.Trim(h[i+1:], "0123456789") == "" {
		h = h[:i]
	}
	return strings.TrimRight(h, ".")
}

// hasControlOrSpace reports a space or an ASCII control character (a line
// break inside a host survived NormalizeHost's trimming).
func hasControlOrSpace(h string) bool {
	for i := 0; i < len(h); i++ {
		if h[i] <= ' ' || h[i] == 0x7f {
			return true
		}
	}
	return false
}

// Validate fills defaults (pool, role, status) and checks the record.
func (d *Domain) Validate() error {
	d.Host = NormalizeHost(d.Host)
	if d.Host == "" || len(d.Host) > 253 || strings.ContainsAny(d.Host, "/?#@:[]\\") || hasControlOrSpace(d.Host) ||
		strings.HasPrefix(d.Host, ".") || strings.Contains(d.Host, "..") {
		return fmt.Errorf("%w: host %q: want a bare host name like s1.example.cn", ErrInvalid, d.Host)
	}
	if d.Pool == "" {
		d.Pool = DefaultPool
	}
	if d.Role == "" {
		d.Role = Entry
	}
	if !d.Role.Valid() {
		return fmt.Errorf("%w: role %q: want entry, qr or landing", ErrInvalid, d.Role)
	}
	if d.Status == "" {
		d.Status = Active
	}
	if !d.Status.Valid() {
		return fmt.Errorf("%w: status %q: want active, standby, suspect, blocked, appealing or retired", ErrInvalid, d.Status)
	}
	return nil
}

// StrikeCount is the number of blocks in the StrikeWindow before now.
func (d *Domain) StrikeCount(now time.Time) int {
	n := 0
	for _, t := range d.Strikes {
		if now.Sub(t) < StrikeWindow {
			n++
		}
	}
	return n
}

// Serves reports whether a tap on the host is resolved now: every state
// but retired, and retired within its grace period (ServesUntil).
func (d *Domain) Serves() bool { return d.ServesAt(time.Now()) }

// ServesAt is Serves at now.
func (d *Domain) ServesAt(now time.Time) bool {
	return d.Status != Retired || now.Before(d.ServesUntil)
}

// Retire moves d to retired at now, serving taps for grace more (0: 404 at
// once). It reports whether the status changed; retiring a retired domain
// again keeps its grace period.
func (d *Domain) Retire(now time.Time, grace time.Duration) bool {
	if !d.SetStatus(Retired, now) {
		return false
	}
	d.ServesUntil = time.Time{}
	if grace > 0 {
		d.ServesUntil = now.Add(grace)
	}
	return true
}

// Healthy reports whether the host may be handed out in new URLs.
func (d *Domain) Healthy() bool { return d.Status == Active || d.Status == Standby }

// SetStatus moves d to s at now, counting a strike on entering blocked.
// It reports whether the status changed.
func (d *Domain) SetStatus(s Status, now time.Time) bool {
	if d.Status == s {
		return false
	}
	if s == Blocked {
		d.Strikes = append(d.Strikes, now)
	}
	d.Status = s
	d.Since = now
	d.HardRun, d.CleanRun = 0, 0
	d.ServesUntil = time.Time{} // Retire sets it; any other state serves anyway
	return true
}

// Policy is the hysteresis of checks.
type Policy struct {
	// BlockAfter hard verdicts in a row (or from as many checkers in one
	// round) make blocked. Optional. Default: 2.
	BlockAfter int
	// RecoverAfter clean checks in a row move suspect (always) and, when
	// positive, blocked back to standby. Optional. Default: 0 (blocked stays
	// blocked until an operator acts; suspect recovers after 2).
	RecoverAfter int
}

// Apply folds one round of verdicts (one per checker) for d into its state
// and reports the previous status when it changed. Unknown verdicts are
// ignored entirely: they never block and never count as clean. Soft and
// transcoded are recorded but change nothing (throttled, not dead).
func (p Policy) Apply(d *Domain, round []Verdict, now time.Time) (prev Status, changed bool) {
	blockAfter := p.BlockAfter
	if blockAfter <= 0 {
		blockAfter = 2
	}
	hard, ok, known := 0, 0, 0
	for _, v := range round {
		switch v {
		case Hard:
			hard++
		case OK:
			ok++
		}
		if v != Unknown && v != "" {
			known++
			d.LastVerdict = v
		}
	}
	d.LastCheck = now
	if known == 0 || d.Status == Retired || d.Status == Appealing {
		return d.Status, false
	}
	prev = d.Status
	switch {
	case hard > 0:
		d.CleanRun = 0
		d.HardRun += hard
		d.LastVerdict = Hard
		if d.Status == Blocked {
			return prev, false
		}
		run := d.HardRun
		if run >= blockAfter {
			d.SetStatus(Blocked, now)
			return prev, true
		}
		if d.Status != Suspect {
			d.SetStatus(Suspect, now)
			d.HardRun = run
			return prev, true
		}
	case ok > 0 && ok == known:
		d.HardRun = 0
		d.CleanRun++
		switch {
		case d.Status == Suspect && d.CleanRun >= max(2, p.RecoverAfter):
			d.SetStatus(Standby, now)
			return prev, true
		case d.Status == Blocked && p.RecoverAfter > 0 && d.CleanRun >= p.RecoverAfter:
			d.SetStatus(Standby, now)
			return prev, true
		}
	}
	return prev, false
}

// Pick returns the best host of pool for role: the active one with the
// lowest priority (then host name), else the best standby. ok is false when
// the pool has no healthy domain of that role.
func Pick(all []Domain, pool string, role Role) (Domain, bool) {
	if pool == "" {
		pool = DefaultPool
	}
	var best *Domain
	rank := func(d *Domain) int {
		if d.Status == Active {
			return 0
		}
		return 1
	}
	for i := range all {
		d := &all[i]
		if d.Pool != pool || d.Role != role || !d.Healthy() {
			continue
		}
		if best == nil || rank(d) < rank(best) ||
			rank(d) == rank(best) && (d.Priority < best.Priority || d.Priority == best.Priority && d.Host < best.Host) {
			best = d
		}
	}
	if best == nil {
		return Domain{}, false
	}
	return *best, true
}

// HealthyCount counts the pool's healthy entry domains (for --domain-min-healthy).
func HealthyCount(all []Domain, pool string) int {
	n := 0
	for i := range all {
		if all[i].Pool == pool && all[i].Role == Entry && all[i].Healthy() {
			n++
		}
	}
	return n
}

// FromList builds the default pool from today's --domains list: the first
// host active, the rest standby in order (priority = position).
func FromList(hosts []string, now time.Time) ([]Domain, error) {
	var out []Domain
	seen := map[string]bool{}
	for i, h := range hosts {
		d := Domain{Host: h, Priority: i, Status: Standby, Since: now}
		if len(out) == 0 {
			d.Status = Active
		}
		d.Added("seed", "--base-url/--domains on first run", now)
		if err := d.Validate(); err != nil {
			return nil, err
		}
		if seen[d.Host] {
			continue
		}
		seen[d.Host] = true
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out, nil
}
