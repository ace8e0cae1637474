package shortlink

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
)

// Making a link from what a person typed is one use case, here: the API
// (POST and PATCH /api/v1/links, the bulk import), the web UI's forms and,
// through the API, the CLI all call Service.Make, Service.Edit or
// Service.Import with an Input, so one set of rules (Validate's, plus the
// install's Rules: target the resolver understands, domain served here,
// desktop URL on the allowlist, UTM and click-ID names, the 淘口令) decides
// every link, and every refusal is an *Error whose Field names the field.

// Input is what a person asks of a link: the JSON body of POST /api/v1/links
// (and a row of a bulk import) and, with only the fields to change, of
// PATCH /api/v1/links/{code}; the web UI fills it from its forms. A nil
// field is not given: Make leaves the zero value, Edit keeps the stored
// one.
type Input struct {
	Target          *string            `json:"target"`
	Alias           *string            `json:"alias"`
	Domain          *string            `json:"domain"`
	ExpiresAt       OptTime            `json:"expires_at"`
	MaxClicks       *int64             `json:"max_clicks"`
	Disabled        *bool              `json:"disabled"`
	Route           *route.Overrides   `json:"route"`
	Tags            *[]string          `json:"tags"`
	Campaign        *string            `json:"campaign"`
	UTM             *map[string]string `json:"utm"`
	ForwardClickIDs *[]string          `json:"forward_click_ids"`
	Title           *string            `json:"title"`
	Description     *string            `json:"description"`
	Image           *string            `json:"image"`
	// QRLogo names a stored logo ("" clears it); Make and Edit refuse a
	// name the store does not have.
	QRLogo *string `json:"qr_logo"`
	// Tpwd asks for the link's 淘口令 (TpwdRequest).
	Tpwd TpwdRequest `json:"tpwd"`
}

// OptTime is a JSON time that remembers whether it was present: null
// (T nil) clears it in a PATCH.
type OptTime struct {
	Set bool
	T   *time.Time
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *OptTime) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.T = nil
		return nil
	}
	var t time.Time
	if err := json.Unmarshal(b, &t); err != nil {
		return FieldError(CodeInvalid, "expires_at", ReasonFormat, "want an RFC 3339 time such as 2026-12-31T23:59:59+08:00, or null")
	}
	o.T = &t
	return nil
}

// TpwdMode is what a request asks for its link's 淘口令.
type TpwdMode uint8

// The modes of a TpwdRequest.
const (
	TpwdNone     TpwdMode = iota // not asked (false, or absent): none
	TpwdMint                     // true: mint one, or fail
	TpwdOptional                 // "optional": mint one if the platform can
	TpwdPaste                    // the marketer's own token or share text
)

// TpwdRequest is the "tpwd" field of an Input: true, false, null,
// "optional" or a pasted token / share text. The zero value asks nothing
// (an edit keeps the link's token unless the target changes).
type TpwdRequest struct {
	Set    bool
	Mode   TpwdMode
	Pasted string
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *TpwdRequest) UnmarshalJSON(b []byte) error {
	t.Set = true
	switch string(b) {
	case "null", "false":
		t.Mode = TpwdNone
		return nil
	case "true":
		t.Mode = TpwdMint
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`tpwd: want true (mint a 淘口令 through the Taobao Open Platform), "optional" (mint one if the platform can), false, or your own 淘口令 / share text as a string`)
	}
	return t.ParseText(s)
}

// ParseText reads a string value (a JSON string, a CSV cell, a CLI flag):
// yes/no words, "optional", or a pasted token / share text of at most
// MaxTpwdLength bytes.
func (t *TpwdRequest) ParseText(s string) error {
	t.Set = true
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "0", "false", "no", "n":
		t.Mode = TpwdNone
	case "1", "true", "yes", "y":
		t.Mode = TpwdMint
	case "optional":
		t.Mode = TpwdOptional
	default:
		if len(s) > MaxTpwdLength {
			return invalidBecause("tpwd", ReasonTooLong, "the pasted text is longer than %d bytes: paste the ￥…￥ token or the share text only", MaxTpwdLength)
		}
		t.Mode, t.Pasted = TpwdPaste, s
	}
	return nil
}

// Rules are the install's checks on an Input that shortlink cannot know
// by itself: which domains are served, the routing table's allowlist, the
// ad click-ID names, how a short link or 淘口令 is looked up, how a 淘口令
// is minted. Every field is optional; the zero value checks only what
// shortlink knows (Link.Validate, and a target the resolver understands).
type Rules struct {
	// MaxTarget caps a target as typed, in bytes. Optional. Default: MaxTargetLength.
	MaxTarget int
	// ServedDomain reports whether a link may be made on domain d (never
	// called with ""). Optional. Default: none is, only the default domain.
	ServedDomain func(d string) bool
	// Domains are the configured extra domains, named in the message of
	// a domain that is not served. Optional.
	Domains []string
	// CheckDesktopURL checks route.desktop_url against the allowlist of
	// the routing table in force. Optional. Default: any URL.
	CheckDesktopURL func(u string) error
	// IsClickID reports whether a name in forward_click_ids is an ad click
	// ID (track.IsClickIDParam). Optional. Default: any name.
	IsClickID func(name string) bool
	// Deepen looks up what a short link or a bare 淘口令 points to, so the
	// stored entity needs no lookup on tap. Make and Edit call it (bulk
	// imports do not: a slow network would stall thousands of rows); on
	// an error the entity is stored as parsed and taps look it up.
	// Optional. It bounds its own time.
	Deepen func(ctx context.Context, e resolver.Entity) (resolver.Entity, error)
	// Tpwd mints a 淘口令 for "tpwd": true. Optional: without it (or when
	// it is not Enabled) such a request fails with CodeTpwdNotConfigured.
	Tpwd TpwdCreator
	// Now, when set, replaces the service's clock (expiry checks,
	// timestamps). Optional.
	Now func() time.Time
	// Log receives the reason an optional 淘口令 was not minted. Optional.
	// Default: slog.Default().
	Log *slog.Logger
}

// WithRules returns a Service on the same store that checks input with r.
// s is not changed.
func (s *Service) WithRules(r Rules) *Service {
	c := *s
	if r.MaxTarget <= 0 {
		r.MaxTarget = MaxTargetLength
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.Now != nil {
		c.now = r.Now
	}
	c.rules = r
	return &c
}

// Made is a link Make stored, and what its maker should be told.
type Made struct {
	Link
	// TpwdError says why "tpwd": "optional" made the link without one.
	TpwdError string
}

// Make validates in and stores a new link (see Create for codes and
// timestamps): in.Target is required; in.Alias, when set, is the code.
// Errors: CodeInvalid with the Field at fault, CodeConflict (Field
// "alias": taken), a tpwd kind (Field "tpwd"), CodeUnavailable.
func (s *Service) Make(ctx context.Context, in Input) (Made, error) {
	l, err := s.prepare(&in, true)
	if err != nil {
		return Made{}, err
	}
	if err := s.checkQRLogo(ctx, &l, nil); err != nil {
		return Made{}, err
	}
	warn, err := s.attachTpwd(ctx, &l, &in, false)
	if err != nil {
		return Made{}, err
	}
	out, err := s.Create(ctx, l)
	if err != nil {
		return Made{}, aliasConflict(err)
	}
	return Made{Link: out, TpwdError: warn}, nil
}

// Edit applies in to l (a link read from the store: its Version guards
// against a concurrent edit) and stores it. Alias and Domain cannot
// change. A new target drops a 淘口令 the input does not replace. Errors
// as Make; CodeConflict (no Field) when l changed meanwhile.
func (s *Service) Edit(ctx context.Context, l Link, in Input) (Link, error) {
	if in.Alias != nil || in.Domain != nil {
		return Link{}, Errorf(CodeInvalid, "alias and domain cannot change: create a new link instead")
	}
	l = l.Clone()
	oldTarget, oldLogo := l.Target, l.QRLogo
	if err := s.apply(&l, &in, true); err != nil {
		return Link{}, err
	}
	if l.QRLogo != oldLogo {
		if err := s.checkQRLogo(ctx, &l, nil); err != nil {
			return Link{}, err
		}
	}
	if _, err := s.attachTpwd(ctx, &l, &in, l.Target != oldTarget); err != nil {
		return Link{}, err
	}
	return s.Update(ctx, l)
}

// MakeMany makes the rows of a bulk import in one batch (CreateMany: one
// transaction, or pipelined round trips on Redis), without looking up
// short links or 淘口令 (taps do). It returns per-row results in row
// order: links[i] when errs[i] is nil; a row that failed to parse
// (Row.Err) fails with that error.
func (s *Service) MakeMany(ctx context.Context, rows []Row) ([]Link, []error) {
	links := make([]Link, len(rows))
	errs := make([]error, len(rows))
	batch := make([]Link, 0, len(rows))
	idx := make([]int, 0, len(rows))
	logos := map[string]error{}
	for i := range rows {
		r := &rows[i]
		if r.Err != nil {
			errs[i] = r.Err
			continue
		}
		in := r.Input
		l, err := s.prepare(&in, false)
		if err == nil {
			err = s.checkQRLogo(ctx, &l, logos)
		}
		if err == nil {
			_, err = s.attachTpwd(ctx, &l, &in, false)
		}
		if err != nil {
			errs[i] = err
			continue
		}
		batch = append(batch, l)
		idx = append(idx, i)
	}
	out, berrs := s.CreateMany(ctx, batch)
	for j, i := range idx {
		if berrs[j] != nil {
			errs[i] = aliasConflict(berrs[j])
		} else {
			links[i] = out[j]
		}
	}
	return links, errs
}

// Import is MakeMany for a whole file's rows (ParseCSV, ParseJSONL): a
// file without rows is CodeInvalid and one of more than MaxBulkRows
// CodeTooLarge, before any row is made.
func (s *Service) Import(ctx context.Context, rows []Row) ([]Link, []error, error) {
	if len(rows) == 0 {
		return nil, nil, Errorf(CodeInvalid, "no rows: the file is empty")
	}
	if len(rows) > MaxBulkRows {
		return nil, nil, Errorf(CodeTooLarge, "%d rows: at most %d per import; split the file", len(rows), MaxBulkRows)
	}
	links, errs := s.MakeMany(ctx, rows)
	return links, errs, nil
}

// aliasConflict names the alias as the field of a create's conflict.
func aliasConflict(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Code == CodeConflict && e.Field == "" {
		c := *e
		c.Field = "alias"
		return &c
	}
	return err
}

// prepare builds a new link from in: the target is required.
func (s *Service) prepare(in *Input, lookup bool) (Link, error) {
	if in.Target == nil {
		return Link{}, invalidBecause("target", ReasonRequired, "is required: a Taobao/Tmall link, an m.tb.cn short link or a 淘口令 share text")
	}
	var l Link
	if in.Alias != nil {
		l.Code = strings.TrimSpace(*in.Alias)
	}
	err := s.apply(&l, in, lookup)
	return l, err
}

// apply copies in's fields onto l, resolving a new target, and checks
// what Link.Validate cannot: the target must be something the resolver
// understands, a domain must be served here, a desktop URL must be on the
// allowlist, UTM and click-ID names must be what they claim. The rest is
// checked when the link is stored (Create, CreateMany, Update).
//
// With lookup set, a short link or 淘口令 target is looked up now
// (Rules.Deepen).
func (s *Service) apply(l *Link, in *Input, lookup bool) error {
	r := &s.rules
	if in.Target != nil {
		t := strings.TrimSpace(*in.Target)
		if t == "" {
			return invalidBecause("target", ReasonRequired, "paste a Taobao/Tmall link, an m.tb.cn short link or a 淘口令 share text")
		}
		if max := r.MaxTarget; max > 0 && len(t) > max {
			return invalidBecause("target", ReasonTooLong, "longer than the limit of %d bytes", max)
		}
		if err := ValidateTarget(t); err != nil {
			return err
		}
		e := resolver.Parse(t)
		if !e.Known() {
			return invalidBecause("target", ReasonUnknown, "not a Taobao/Tmall link or share text hutong understands (item, shop, live room, short link or 淘口令)")
		}
		// Store what a short link or a 淘口令 points to when it can be
		// looked up now, so taps need no lookup and their decisions can be
		// cached; if not, the short link is stored and taps look it up.
		// Deepen bounds its own time; the request's deadline is not
		// passed on (a lookup's answer is kept with the link).
		if lookup && r.Deepen != nil {
			if deep, err := r.Deepen(context.Background(), e); err == nil {
				e = deep
			}
		}
		target, err := CleanTarget(t, e)
		if err != nil {
			return err
		}
		l.Target, l.Entity = target, e
		if l.Title == "" && e.Title != "" {
			l.Title = e.Title
		}
	}
	if in.Domain != nil {
		d := strings.ToLower(strings.TrimSpace(*in.Domain))
		if d != "" && (r.ServedDomain == nil || !r.ServedDomain(d)) {
			return invalidBecause("domain", ReasonNotServed, "%q: not served by this install (configured: %s)", d, strings.Join(r.Domains, ", "))
		}
		l.Domain = d
	}
	if in.ExpiresAt.Set {
		// A new or changed expiry must be in the future (create and edit
		// alike); an unchanged one may have passed.
		if t := in.ExpiresAt.T; t != nil && (l.ExpiresAt == nil || !l.ExpiresAt.Equal(*t)) {
			if err := ValidateExpiresAt(t, s.now()); err != nil {
				return err
			}
		}
		l.ExpiresAt = in.ExpiresAt.T
	}
	if in.MaxClicks != nil {
		l.MaxClicks = *in.MaxClicks
	}
	if in.Disabled != nil {
		l.Disabled = *in.Disabled
	}
	if in.Route != nil {
		if u := in.Route.DesktopURL; u != "" && r.CheckDesktopURL != nil {
			if err := r.CheckDesktopURL(u); err != nil {
				return invalidField("route.desktop_url", "%s", err.Error())
			}
		}
		l.Route = *in.Route
	}
	if in.Tags != nil {
		l.Tags = *in.Tags
	}
	if in.Campaign != nil {
		l.Campaign = *in.Campaign
	}
	if in.UTM != nil {
		for k := range *in.UTM {
			if !strings.HasPrefix(k, "utm_") {
				return invalidField("utm", "%q is not a utm_ parameter (utm_source, utm_medium, utm_campaign, …)", k)
			}
		}
		l.UTM = *in.UTM
	}
	if in.ForwardClickIDs != nil {
		for _, k := range *in.ForwardClickIDs {
			if r.IsClickID != nil && !r.IsClickID(k) {
				return invalidField("forward_click_ids", "%q is not an ad click ID (%s)", k, clickIDNames())
			}
		}
		l.ForwardClickIDs = *in.ForwardClickIDs
	}
	if in.Title != nil {
		l.Title = *in.Title
	}
	if in.Description != nil {
		l.Description = *in.Description
	}
	if in.Image != nil {
		l.Image = *in.Image
	}
	if in.QRLogo != nil {
		l.QRLogo = strings.ToLower(strings.TrimSpace(*in.QRLogo))
	}
	return nil
}

// clickIDNames spells resolver.ClickIDParams for a message: "gdt_vid, …,
// utm_*" (a prefix entry gets its star).
func clickIDNames() string {
	names := make([]string, len(resolver.ClickIDParams))
	for i, p := range resolver.ClickIDParams {
		if strings.HasSuffix(p, "_") {
			p += "*"
		}
		names[i] = p
	}
	return strings.Join(names, ", ")
}
