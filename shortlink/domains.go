package shortlink

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/hutong-dev/hutong/internal/domains"
)

// DomainStore keeps domain records (internal/domains), keyed by host. Both
// boltstore.Store and redisstore.Store implement it (contract:
// storetest.RunDomains), with the record rules below; safe for concurrent use. Errors
// come from this package's vocabulary: CodeNotFound, CodeConflict,
// CodeInvalid (from domains.Domain.Validate), CodeUnavailable.
type DomainStore interface {
	// ListDomains returns every record ordered by pool, priority, host.
	ListDomains(ctx context.Context) ([]domains.Domain, error)
	// CreateDomain stores d (validated first); CodeConflict when its host exists.
	CreateDomain(ctx context.Context, d domains.Domain) (domains.Domain, error)
	// UpdateDomain reads the record of host, lets fn change it and writes it
	// back atomically (fn may run more than once on Redis). The host cannot
	// change. CodeNotFound when absent; an error from fn is returned as is.
	UpdateDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error)
	// DeleteDomain removes the record; CodeNotFound when absent. The
	// record's pending alerts move, in the same step, to the host's
	// tombstone (RemovedDomains), so a removal never drops an alert.
	DeleteDomain(ctx context.Context, host string) error
	// RemovedDomains returns the tombstones of removed domains: records
	// kept only for their pending alerts (the removal's own alert among
	// them), ordered by host.
	RemovedDomains(ctx context.Context) ([]domains.Domain, error)
	// UpdateRemovedDomain is UpdateDomain on host's tombstone, which is
	// created (host only) when absent and dropped when fn leaves it with
	// no pending alert.
	UpdateRemovedDomain(ctx context.Context, host string, fn func(*domains.Domain) error) (domains.Domain, error)
	// LeadChecks takes the lease of the domain check loop for owner, or
	// renews it when owner holds it already, for ttl, and reports whether
	// owner holds it now: one instance checks, the others stand by and
	// take over once a lease is neither renewed nor released.
	LeadChecks(ctx context.Context, owner string, ttl time.Duration) (bool, error)
	// ReleaseChecks gives the lease up when owner holds it (at Close), so
	// another instance takes over at its next try.
	ReleaseChecks(ctx context.Context, owner string) error
	// AddDomainTaps adds counts (host → taps) to the minute of at. Kept
	// for DomainTapsKeep.
	AddDomainTaps(ctx context.Context, at time.Time, counts map[string]int64) error
	// DomainTaps sums the taps by host over the minutes from since to
	// until, both included.
	DomainTaps(ctx context.Context, since, until time.Time) (map[string]int64, error)
	// SeedDomains stores ds only if domain records were never seeded in
	// this store (first run of --domains/--base-url), and reports whether
	// it did. Later runs leave the records the API changed alone.
	SeedDomains(ctx context.Context, ds []domains.Domain) (bool, error)
}

// DomainTapsKeep is how long per-minute tap counts are kept.
const DomainTapsKeep = 2 * time.Hour

// MergeAlerts adds from's pending alerts to to's (those it lacks): how a
// removed record's alerts join its tombstone.
func MergeAlerts(to *domains.Domain, from domains.Domain) {
	for _, p := range from.PendingAlerts {
		n := len(to.PendingAlerts)
		to.QueueAlert(p.Alert)
		if len(to.PendingAlerts) > n {
			to.PendingAlerts[n] = p // keep its attempts and next try
		}
	}
}

// SortDomains orders ds by pool, priority, host: ListDomains' order.
func SortDomains(ds []domains.Domain) {
	sort.Slice(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Pool != b.Pool {
			return a.Pool < b.Pool
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.Host < b.Host
	})
}

// CheckDomain is d.Validate as a CodeInvalid error.
func CheckDomain(d *domains.Domain) error {
	if err := d.Validate(); err != nil {
		return Errorf(CodeInvalid, "%s", err.Error())
	}
	return nil
}

// DecodeDomain decodes a stored domain record (JSON); CodeInternal when
// it is corrupt.
func DecodeDomain(v []byte) (domains.Domain, error) {
	var d domains.Domain
	if err := json.Unmarshal(v, &d); err != nil {
		return d, wrap(CodeInternal, err, "corrupt domain record")
	}
	return d, nil
}

// ChangeDomain applies fn to the stored record v of host and returns the
// checked result and its encoding: one rule for both stores' UpdateDomain.
func ChangeDomain(v []byte, host string, fn func(*domains.Domain) error) (domains.Domain, []byte, error) {
	d, err := DecodeDomain(v)
	if err != nil {
		return d, nil, err
	}
	if err := fn(&d); err != nil {
		return d, nil, err
	}
	d.Host = host // fn cannot move a record to another host
	if err := CheckDomain(&d); err != nil {
		return d, nil, err
	}
	nv, err := json.Marshal(d)
	return d, nv, err
}
