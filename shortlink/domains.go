package shortlink

import (
	"context"
	"encoding/json"
	"sort"

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
	// DeleteDomain removes the record; CodeNotFound when absent.
	DeleteDomain(ctx context.Context, host string) error
	// SeedDomains stores ds only if domain records were never seeded in
	// this store (first run of --domains/--base-url), and reports whether
	// it did. Later runs leave the records the API changed alone.
	SeedDomains(ctx context.Context, ds []domains.Domain) (bool, error)
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
