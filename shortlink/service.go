package shortlink

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
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
	// CursorKey signs the list cursors List hands out (HMAC-SHA256), so a
	// cursor that is not one of them is refused (CodeInvalid) instead of
	// being read as a position. Instances behind one load balancer need
	// the same key. Optional. Default: a fixed built-in key: cursors are
	// integrity-checked, not secret (they only name a position in a list
	// the caller may read whole).
	CursorKey []byte
}

// Service creates and edits links on a Store, Shlink-style: it validates
// input, picks codes, sets timestamps. Make, Edit, MakeMany and Import
// (input.go) are the one use case every caller goes through: they parse
// and, through Rules.Deepen, deepen the target, and apply the install's
// Rules (WithRules); Create and Update store a Link already built. Safe
// for concurrent use.
type Service struct {
	store   Store
	codeLen int
	now     func() time.Time
	newCode func(int) string
	curKey  []byte
	// rules check link input (Make, Edit, Import); see WithRules.
	rules Rules
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
	if len(cfg.CursorKey) == 0 {
		cfg.CursorKey = []byte("hutong list cursor v1")
	}
	svc := &Service{store: s, codeLen: cfg.CodeLength, now: cfg.Now, newCode: cfg.NewCode, curKey: cfg.CursorKey}
	return svc.WithRules(Rules{})
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

// CreateMany creates a batch of links, each as Create would, with one
// store CreateMany per round (see LinkStore.CreateMany) instead of one
// Create per link. It returns two slices as long as links: for each i,
// either errs[i] is nil and out[i] is the created link, or errs[i] is the
// error Create would have returned for links[i] and out[i] is the zero
// Link. Items are independent: an invalid item (CodeInvalid) or a taken
// alias (CodeConflict) fails alone; of two items with the same alias (and
// Domain) the earlier wins and the later is a conflict. Random codes never
// take an alias of the same batch; a random code that collides is retried
// with a new code, for just that item, in the next round (one character
// longer after every few collisions, as Create). All items get the same
// CreatedAt. A store failure fails the affected items (CodeUnavailable).
func (s *Service) CreateMany(ctx context.Context, links []Link) ([]Link, []error) {
	now := s.now().UTC()
	out := make([]Link, len(links))
	errs := make([]error, len(links))
	prep := make([]Link, len(links))
	type rnd struct{ attempts, n int }
	random := map[int]*rnd{}
	aliases := map[key]struct{}{}
	for i := range links {
		if links[i].Code != "" {
			aliases[key{links[i].Domain, links[i].Code}] = struct{}{}
		}
	}
	// nextCode gives item i a fresh random code; false when out of attempts.
	nextCode := func(i int) bool {
		r := random[i]
		for r.attempts < maxCodeAttempts {
			r.attempts++
			c := s.newCode(r.n)
			if _, taken := aliases[key{prep[i].Domain, c}]; taken || IsReserved(c) {
				continue
			}
			if err := ValidateCode(c); err != nil { // an injected generator's
				errs[i] = err
				return false
			}
			prep[i].Code = c
			return true
		}
		errs[i] = Errorf(CodeUnavailable, "could not find a free short code; try again")
		return false
	}
	pending := make([]int, 0, len(links))
	for i := range links {
		l := links[i].Clone()
		l.CreatedAt, l.UpdatedAt, l.Clicks, l.Version = now, now, 0, 0
		prep[i] = l
		if l.Code == "" {
			random[i] = &rnd{n: s.codeLen}
			if !nextCode(i) {
				continue
			}
		}
		if err := prep[i].ValidateCreate(now); err != nil {
			errs[i] = err
			continue
		}
		pending = append(pending, i)
	}
	batch := make([]Link, 0, len(pending))
	for len(pending) > 0 {
		batch = batch[:0]
		for _, i := range pending {
			batch = append(batch, prep[i])
		}
		res, rerrs := s.store.CreateMany(ctx, batch)
		retry := pending[:0] // reuses pending's array: written behind the read
		for j, i := range pending {
			r, isRandom := random[i]
			switch {
			case rerrs[j] == nil:
				out[i] = res[j]
			case isRandom && ErrorCode(rerrs[j]) == CodeConflict:
				if r.attempts%collisionsPerLength == 0 {
					r.n++
				}
				if nextCode(i) {
					retry = append(retry, i)
				}
			default:
				errs[i] = rerrs[j]
			}
		}
		pending = retry
	}
	return out, errs
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

// List lists links (see LinkStore.List). Page.Next is signed with the
// service's cursor key and f.Cursor must be such a cursor ("" for the first
// page): anything else is CodeInvalid.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	c, err := s.openCursor(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	f.Cursor = c
	p, err := s.store.List(ctx, f)
	if err == nil && p.Next != "" {
		p.Next = s.sealCursor(p.Next)
	}
	return p, err
}

// cursorMACLen is how many bytes of the HMAC-SHA256 a cursor carries.
const cursorMACLen = 12

// sealCursor appends a MAC to a store cursor: base64url(mac) "." cursor.
func (s *Service) sealCursor(c string) string {
	m := hmac.New(sha256.New, s.curKey)
	m.Write([]byte(c))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:cursorMACLen]) + "." + c
}

// openCursor checks a sealed cursor and returns the store's cursor.
func (s *Service) openCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	mac, inner, ok := strings.Cut(c, ".")
	if ok && len(c) <= 4096 {
		got, err := base64.RawURLEncoding.DecodeString(mac)
		m := hmac.New(sha256.New, s.curKey)
		m.Write([]byte(inner))
		if err == nil && hmac.Equal(got, m.Sum(nil)[:cursorMACLen]) {
			return inner, nil
		}
	}
	return "", invalidField("cursor", "not a cursor this service handed out: use the \"next\" of the previous page, or none for the first page")
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
