package shortlink

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// LinkStore keeps links. Implementations are safe for concurrent use and
// return errors from this package's vocabulary (ErrorCode): CodeNotFound,
// CodeConflict, CodeInvalid, CodeUnavailable for I/O failures and timeouts.
//
// Links are identified by (Domain, Code); Domain "" is the default domain.
type LinkStore interface {
	// Create inserts l if no link has its (Domain, Code), atomically, and
	// returns it as stored (Version 1). A taken code is CodeConflict.
	// Create does not validate or set timestamps: Service does.
	Create(ctx context.Context, l Link) (Link, error)
	// CreateMany is Create for a batch, in fewer round trips (one bbolt
	// transaction; pipelined on Redis). It returns two slices as long as
	// links: for each i, either errs[i] is nil and out[i] is the stored
	// link (Version 1), or errs[i] says why links[i] was not created and
	// out[i] is the zero Link. Items are independent: a taken code fails
	// only its own item (CodeConflict), and of two items with the same
	// (Domain, Code) the earlier one wins. A store failure fails the items
	// it affected (CodeUnavailable). Like Create, no validation, no codes
	// or timestamps are filled in: Service.CreateMany does that.
	CreateMany(ctx context.Context, links []Link) (out []Link, errs []error)
	// Get returns the link, or CodeNotFound. A capped link (MaxClicks > 0)
	// comes with its current Clicks; an uncapped one may come with 0, as
	// Clicks only means something under a cap (the Redis store skips the
	// counter's read then: a cold tap costs one command). It does not
	// check expiry or status (see Link.Check).
	Get(ctx context.Context, domain, code string) (Link, error)
	// Update replaces the stored link with l (same Domain and Code) and
	// returns it with Version incremented. CreatedAt and Clicks are kept
	// from the stored link (clicks are only ever changed by Hit). When
	// l.Version is non-zero it must equal the stored Version, or Update
	// fails with CodeConflict and changes nothing. CodeNotFound when absent.
	Update(ctx context.Context, l Link) (Link, error)
	// Delete removes the link and its counter; CodeNotFound when absent.
	Delete(ctx context.Context, domain, code string) error
	// List returns links matching f in a stable order (by Domain, then Code,
	// bytewise), at most f.Limit of them, and a cursor for the next page.
	List(ctx context.Context, f Filter) (Page, error)
	// Hit atomically counts one human tap at now: it returns HitOK and the
	// link with Clicks incremented when the link is active, or another
	// HitResult (nothing counted) when it is disabled, expired, or has
	// reached MaxClicks. Concurrent Hits never count past MaxClicks.
	// CodeNotFound when absent.
	Hit(ctx context.Context, domain, code string, now time.Time) (Link, HitResult, error)
}

// KeyStore keeps API keys, stored hashed (see HashSecret). Safe for
// concurrent use.
type KeyStore interface {
	// CreateKey stores k; CodeConflict when its ID or Hash exists.
	CreateKey(ctx context.Context, k APIKey) error
	// GetKeyByHash returns the key whose Hash is hash, revoked or not
	// (check APIKey.Active), or CodeNotFound.
	GetKeyByHash(ctx context.Context, hash string) (APIKey, error)
	// ListKeys returns all keys, revoked ones included, ordered by ID.
	ListKeys(ctx context.Context) ([]APIKey, error)
	// RevokeKey marks the key with this ID revoked at now; CodeNotFound
	// when absent. Revoking twice keeps the first time.
	RevokeKey(ctx context.Context, id string, now time.Time) error
	// HasKeys reports whether any key was ever created (revoked ones count,
	// so a revoked initial key is not silently re-created at start).
	HasKeys(ctx context.Context) (bool, error)
}

// Store is everything the service needs from persistence. boltstore.Store
// (embedded, the default) and redisstore.Store implement it and pass the
// same contract suite (shortlink/storetest). The helpers below Store
// (StoreKey, EncodeCursor, DecodeCursor, Filter.PageLimit, HitStatus,
// DecodeLink, and the domain record rules in domains.go) are the rules
// both implementations share, exported for them.
type Store interface {
	LinkStore
	KeyStore
	// Ping reports whether the store is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the store. It is safe to call once.
	Close() error
}

// LinkRef names one link: its domain ("" for the default) and code.
type LinkRef struct{ Domain, Code string }

// MultiGetter is a store that reads several links in one round trip
// (redisstore.Store). CachedStore coalesces concurrent cache misses into one
// GetMany when its store has it. links[i] and errs[i] answer refs[i], as
// Get would (CodeNotFound for a missing link); both have len(refs).
type MultiGetter interface {
	GetMany(ctx context.Context, refs []LinkRef, links []Link, errs []error)
}

// HitResult is the outcome of Store.Hit.
type HitResult int

// Hit results. Only HitOK counted the tap.
const (
	HitOK HitResult = iota
	HitExhausted
	HitExpired
	HitDisabled
)

// String returns "ok", "exhausted", "expired" or "disabled".
func (r HitResult) String() string {
	switch r {
	case HitOK:
		return "ok"
	case HitExhausted:
		return "exhausted"
	case HitExpired:
		return "expired"
	case HitDisabled:
		return "disabled"
	}
	return "unknown"
}

// Err returns nil for HitOK and the matching CodeGone error otherwise.
func (r HitResult) Err() error {
	switch r {
	case HitOK:
		return nil
	case HitExhausted:
		return errExhausted
	case HitExpired:
		return errExpired
	}
	return errDisabled
}

// HitStatus decides a Hit from the stored state: the rule every Store's
// Hit applies (HitOK means the tap may be counted).
func HitStatus(l *Link, now time.Time) HitResult {
	switch l.StatusAt(now) {
	case StatusDisabled:
		return HitDisabled
	case StatusExpired:
		return HitExpired
	case StatusExhausted:
		return HitExhausted
	}
	return HitOK
}

// Filter selects links for List. The zero value lists everything, 50 per page.
type Filter struct {
	// Domain, when set, keeps links of that domain only. "" means any
	// domain (links of the default domain cannot be selected alone).
	Domain string
	// Tag and Campaign, when set, must match exactly.
	Tag      string
	Campaign string
	// Q is a case-insensitive substring of Code, Target or Title.
	Q string
	// Cursor is Page.Next of the previous page; "" starts at the beginning.
	Cursor string
	// Limit is the page size. Optional. Default 50, at most 1000.
	Limit int
}

// Page limits.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// PageLimit is the page size f asks for: Limit, or DefaultPageSize when
// it is not positive, at most MaxPageSize.
func (f *Filter) PageLimit() int {
	switch {
	case f.Limit <= 0:
		return DefaultPageSize
	case f.Limit > MaxPageSize:
		return MaxPageSize
	}
	return f.Limit
}

// Match reports whether l satisfies the filter's conditions (not the cursor).
func (f *Filter) Match(l *Link) bool {
	if f.Domain != "" && l.Domain != f.Domain {
		return false
	}
	if f.Campaign != "" && l.Campaign != f.Campaign {
		return false
	}
	if f.Tag != "" && !containsString(l.Tags, f.Tag) {
		return false
	}
	if f.Q != "" {
		q := strings.ToLower(f.Q)
		if !strings.Contains(strings.ToLower(l.Code), q) &&
			!strings.Contains(strings.ToLower(l.Target), q) &&
			!strings.Contains(strings.ToLower(l.Title), q) {
			return false
		}
	}
	return true
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Page is one page of List.
type Page struct {
	Links []Link `json:"links"`
	// Next is the cursor of the next page, "" on the last page.
	Next string `json:"next,omitempty"`
}

// StoreKey is the bytewise-ordered identity both stores index by:
// domain, NUL, code. List returns links in StoreKey order.
func StoreKey(domain, code string) string { return domain + "\x00" + code }

// SplitStoreKey is the inverse of StoreKey.
func SplitStoreKey(k string) (domain, code string) {
	domain, code, _ = strings.Cut(k, "\x00")
	return domain, code
}

// EncodeCursor returns the Page.Next for a page whose last link has
// storeKey (see StoreKey). Cursors are opaque to callers: base64url of
// the key.
func EncodeCursor(storeKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(storeKey))
}

// DecodeCursor returns the store key of Filter.Cursor c ("" for ""), or
// CodeInvalid for a cursor EncodeCursor did not make.
func DecodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.Contains(string(b), "\x00") {
		return "", Errorf(CodeInvalid, "invalid cursor")
	}
	return string(b), nil
}

// DecodeLink decodes a stored link record (the JSON of a Link) into l,
// for the stores. It accepts what encoding/json accepts.
func DecodeLink(data []byte, l *Link) error { return decodeLink(data, l) }

// Scope is what an API key may do. Admin implies write, write implies read.
type Scope string

// Scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

func (s Scope) rank() int {
	switch s {
	case ScopeRead:
		return 1
	case ScopeWrite:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// APIKey is a stored API key. The secret itself is never stored: Hash is
// its SHA-256 (HashSecret) and Last4 its last four characters for display.
type APIKey struct {
	// ID is the public identifier used to list and revoke the key: the
	// first 12 hex digits of Hash.
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Hash      string     `json:"hash"`
	Last4     string     `json:"last4"`
	Scopes    []Scope    `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// HashSecret returns the lower-case hex SHA-256 of an API key secret, the
// form keys are stored and looked up by.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewAPIKey builds the record for secret (generate one with NewSecret, or
// take the operator's initial key). It returns CodeInvalid for a secret
// shorter than 16 characters, an empty name or an unknown scope.
func NewAPIKey(secret, name string, scopes []Scope, now time.Time) (APIKey, error) {
	if len(secret) < 16 {
		return APIKey{}, Errorf(CodeInvalid, "an API key must be at least 16 characters long")
	}
	if name == "" {
		return APIKey{}, invalidField("name", "an API key needs a name")
	}
	if err := checkText("name", name, textRule{max: MaxKeyNameLength}); err != nil {
		return APIKey{}, err
	}
	if len(scopes) == 0 {
		return APIKey{}, Errorf(CodeInvalid, "an API key needs at least one scope")
	}
	for _, s := range scopes {
		if s.rank() == 0 {
			return APIKey{}, Errorf(CodeInvalid, "unknown scope %q (read, write, admin)", s)
		}
	}
	h := HashSecret(secret)
	return APIKey{
		ID:        h[:12],
		Name:      name,
		Hash:      h,
		Last4:     secret[len(secret)-4:],
		Scopes:    append([]Scope(nil), scopes...),
		CreatedAt: now.UTC(),
	}, nil
}

// NewSecret returns a fresh random API key secret: "htk_" and 32 characters
// from Alphabet (≈187 bits).
func NewSecret() string { return "htk_" + NewCode(32) }

// Active reports whether the key is not revoked.
func (k *APIKey) Active() bool { return k.RevokedAt == nil }

// Allows reports whether the key is active and one of its scopes covers s.
func (k *APIKey) Allows(s Scope) bool {
	if !k.Active() {
		return false
	}
	for _, have := range k.Scopes {
		if have.rank() >= s.rank() && s.rank() > 0 {
			return true
		}
	}
	return false
}
