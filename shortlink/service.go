package shortlink

import (
	"context"
	"time"
)

// ServiceConfig configures NewService. The zero value is ready to use.
type ServiceConfig struct {
	// CodeLength is the length of random codes. Optional. Default: DefaultCodeLength.
	CodeLength int
	// Now is the clock. Optional. Default: time.Now.
	Now func() time.Time
	// NewCode generates random codes of a given length. Optional.
	// Default: NewCode. Tests inject collisions with it.
	NewCode func(n int) string
}

// Service creates and edits links on a Store, Shlink-style: it validates
// input, picks codes, sets timestamps. It never resolves targets: callers
// run resolver.Parse and pass the Entity in the Link. Safe for concurrent use.
type Service struct {
	store   Store
	codeLen int
	now     func() time.Time
	newCode func(int) string
}

// NewService returns a Service on s.
func NewService(s Store, cfg ServiceConfig) *Service {
	if cfg.CodeLength <= 0 {
		cfg.CodeLength = DefaultCodeLength
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewCode == nil {
		cfg.NewCode = NewCode
	}
	return &Service{store: s, codeLen: cfg.CodeLength, now: cfg.Now, newCode: cfg.NewCode}
}

// Random-code attempts: collisionsPerLength at each length, then one
// character more, up to maxCodeAttempts in all.
const (
	collisionsPerLength = 3
	maxCodeAttempts     = 12
)

// Create stores a new link. l.Code is the custom alias; empty means a
// random code (retried with a new code on collision, one character longer
// after every few collisions). It sets CreatedAt and UpdatedAt and clears
// Clicks and Version. Errors: CodeInvalid (ValidateCreate), CodeConflict
// (alias taken), CodeUnavailable.
func (s *Service) Create(ctx context.Context, l Link) (Link, error) {
	now := s.now().UTC()
	l = l.Clone()
	l.CreatedAt, l.UpdatedAt, l.Clicks, l.Version = now, now, 0, 0
	if l.Code != "" {
		if err := l.ValidateCreate(now); err != nil {
			return Link{}, err
		}
		return s.store.Create(ctx, l)
	}
	n := s.codeLen
	for attempt := 1; attempt <= maxCodeAttempts; attempt++ {
		l.Code = s.newCode(n)
		if IsReserved(l.Code) {
			continue
		}
		if err := l.ValidateCreate(now); err != nil {
			return Link{}, err
		}
		out, err := s.store.Create(ctx, l)
		if ErrorCode(err) != CodeConflict {
			return out, err
		}
		if attempt%collisionsPerLength == 0 {
			n++
		}
	}
	return Link{}, Errorf(CodeUnavailable, "could not find a free short code; try again")
}

// Get returns a link from the store.
func (s *Service) Get(ctx context.Context, domain, code string) (Link, error) {
	return s.store.Get(ctx, domain, code)
}

// Update validates l and replaces the stored link (see LinkStore.Update
// for Version), setting UpdatedAt.
func (s *Service) Update(ctx context.Context, l Link) (Link, error) {
	l = l.Clone()
	if err := l.Validate(); err != nil {
		return Link{}, err
	}
	l.UpdatedAt = s.now().UTC()
	return s.store.Update(ctx, l)
}

// Delete removes a link.
func (s *Service) Delete(ctx context.Context, domain, code string) error {
	return s.store.Delete(ctx, domain, code)
}

// List lists links (see LinkStore.List).
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	return s.store.List(ctx, f)
}

// EnsureInitialKey creates an admin key named "initial" with secret when
// the store has never had a key (HUTONG_INITIAL_API_KEY). It reports
// whether it created one.
func (s *Service) EnsureInitialKey(ctx context.Context, secret string) (bool, error) {
	if secret == "" {
		return false, nil
	}
	has, err := s.store.HasKeys(ctx)
	if err != nil || has {
		return false, err
	}
	k, err := NewAPIKey(secret, "initial", []Scope{ScopeAdmin}, s.now())
	if err != nil {
		return false, err
	}
	if err := s.store.CreateKey(ctx, k); err != nil {
		if ErrorCode(err) == CodeConflict { // another instance won the race
			return false, nil
		}
		return false, err
	}
	return true, nil
}
