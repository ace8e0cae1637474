package route

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/resolver"
)

// defaultsYAML is the built-in routing table, in the rules-file format.
// A rules file is applied on top of it.
//
//go:embed defaults.yaml
var defaultsYAML []byte

// defaultsName names the embedded defaults in error messages.
const defaultsName = "defaults.yaml (embedded)"

// hostOf returns the host of an http(s) URL, for messages.
func hostOf(u []byte) string {
	s := string(u)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// DefaultRules returns the embedded defaults, a complete rules file: a
// starting point for a deployment's own.
func DefaultRules() []byte { return append([]byte(nil), defaultsYAML...) }

// target names a URL template.
type target uint8

// Targets. The web ones build http(s) pages; tbopen and intent build app
// URLs around another URL.
const (
	tNone target = iota
	tItemH5
	tItemPC
	tBuyH5
	tShopH5
	tShopPC
	tLiveH5
	tLivePC
	tSearchH5
	tSearchPC
	tCoupon
	tTBOpen
	tIntent
	numTargets
)

var targetNames = [numTargets]string{
	tItemH5: "item_h5", tItemPC: "item_pc", tBuyH5: "buy_h5",
	tShopH5: "shop_h5", tShopPC: "shop_pc", tLiveH5: "live_h5", tLivePC: "live_pc",
	tSearchH5: "search_h5", tSearchPC: "search_pc", tCoupon: "coupon",
	tTBOpen: "tbopen", tIntent: "intent",
}

func (t target) web() bool { return t != tTBOpen && t != tIntent }

func lookupTarget(name string) target {
	for i, n := range targetNames {
		if n == name && i != 0 {
			return target(i)
		}
	}
	return tNone
}

// columnTargets are the targets a cell of each column may use.
var columnTargets = [numColumns][]target{
	{tItemH5, tItemPC},         // item
	{tBuyH5, tItemH5, tItemPC}, // buy_now
	{tShopH5, tShopPC},         // shop
	{tLiveH5, tLivePC},         // live
	{tSearchH5, tSearchPC},     // search
	{tCoupon},                  // coupon
	nil, nil, nil,              // short, password, unknown
}

// columnPages are the H5 and PC pages of each column's entity.
var columnPages = [numColumns][2]target{
	{tItemH5, tItemPC},
	{tItemH5, tItemPC},
	{tShopH5, tShopPC},
	{tLiveH5, tLivePC},
	{tSearchH5, tSearchPC},
	{tCoupon, tCoupon},
	{}, {}, {},
}

// Reasons set on guide and info decisions.
const (
	ReasonUnknown      = "not a Taobao or Tmall link hutong understands"
	ReasonShort        = "short link could not be expanded"
	ReasonPassword     = "share token: copy it and open Taobao"
	ReasonNoURL        = "no page for this entity (missing id)"
	ReasonNotAllowed   = "destination not on the allowlist"
	ReasonDesktopURL   = "desktop URL not on the allowlist"
	ReasonGuideDefault = "open in the browser or copy the link"
)

type cell struct {
	action Action
	target target
}

// Table is a compiled routing table: the embedded defaults with a rules
// file applied. It is immutable and safe for concurrent use; build one
// with New, Load or LoadFile (the zero Table is not usable), and swap
// tables with a Holder.
type Table struct {
	source         string
	cells          [numClasses][numColumns]cell
	tpl            [numPlatforms][numTargets]*template
	allow          *Allowlist
	preferWeb      bool
	noCheckout     bool
	stripSharer    bool
	strip          []string
	forward        []string
	intentBrowsers []string
	payName        string
	payValues      [2]string
}

// Option configures New, Load and LoadFile.
type Option func(*options)

type options struct {
	allow *Allowlist
	extra []string
}

// WithAllowlist replaces the allowlist of the defaults and of the rules
// file (templates are checked against it): with it, the rules file's
// allowlist and allowlist_add are ignored. A nil Allowlist is ignored. To
// add hosts (say from a command-line flag) and keep the rules file's list,
// use WithExtraHosts.
func WithAllowlist(a *Allowlist) Option {
	return func(o *options) {
		if a != nil {
			o.allow = a
		}
	}
}

// WithExtraHosts adds hosts to the allowlist, whichever list is in force
// (defaults, rules file or WithAllowlist). Invalid hosts make New, Load and
// LoadFile fail.
func WithExtraHosts(hosts ...string) Option {
	return func(o *options) { o.extra = append(o.extra, hosts...) }
}

// New returns the default table (the embedded defaults.yaml).
func New(opts ...Option) (*Table, error) {
	return build("", nil, opts)
}

// Load reads a rules file (YAML or JSON: by the extension of name, else by
// content) from r and applies it on top of the embedded defaults. name is
// used in error messages, which read "name:line: …". The file is validated
// fully: unknown keys, actions, targets, classes and columns, bad
// templates and templates whose host is not on the allowlist are errors
// (*RulesError, several joined with errors.Join).
func Load(r io.Reader, name string, opts ...Option) (*Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRulesSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return build(name, data, opts)
}

// LoadFile is Load on the file at path.
func LoadFile(path string, opts ...Option) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Load(f, path, opts...)
}

func build(name string, data []byte, opts []Option) (*Table, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	var s spec
	const defName = defaultsName
	root, err := parseTree(defName, defaultsYAML)
	if err != nil {
		return nil, err
	}
	w := &walker{file: defName, s: &s}
	w.apply(root)
	if len(w.errs) > 0 {
		return nil, errors.Join(w.errs...)
	}
	if data != nil {
		root, err := parseTree(name, data)
		if err != nil {
			return nil, err
		}
		w = &walker{file: name, s: &s}
		w.apply(root)
		if len(w.errs) > 0 {
			return nil, errors.Join(w.errs...)
		}
	}
	t, errs := compile(&s, o)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	t.source = name
	if name == "" {
		t.source = defName
	}
	return t, nil
}

func compile(s *spec, o options) (*Table, []error) {
	var errs []error
	t := &Table{
		preferWeb:      s.preferWeb,
		noCheckout:     s.noCheckout,
		stripSharer:    s.stripSharer,
		strip:          s.stripParams,
		forward:        s.forwardParams,
		intentBrowsers: s.intentBrowsers,
		payName:        s.payName,
		payValues:      s.payValues,
	}
	hosts := s.allow
	if o.allow != nil {
		hosts = o.allow.hosts
	}
	a, err := NewAllowlist(append(append([]string(nil), hosts...), o.extra...)...)
	if err != nil {
		return nil, []error{fmt.Errorf("route: %w", err)}
	}
	t.allow = a
	if len(t.allow.hosts) == 0 {
		errs = append(errs, s.allowAt.errorf("allowlist is empty: hutong could redirect nowhere"))
	}
	sample := sampleValues()
	for p := 0; p < numPlatforms; p++ {
		for tg := target(1); tg < numTargets; tg++ {
			ts := s.templates[p][tg]
			if !ts.set {
				if p == platTaobao {
					errs = append(errs, &RulesError{File: defaultsName, Msg: "missing template " + targetNames[tg]})
				} else {
					t.tpl[p][tg] = t.tpl[platTaobao][tg]
				}
				continue
			}
			tpl, err := compileTemplate(targetNames[tg], ts.srcs, tg.web())
			if err != nil {
				errs = append(errs, ts.at.errorf("templates.%s.%s: %v", platformNames[p], targetNames[tg], err))
				continue
			}
			if tg.web() {
				for _, a := range tpl.alts {
					if a.raw {
						continue // {canonical}: checked on every expansion
					}
					one := template{alts: []alt{a}}
					u, _ := one.expand(nil, &sample)
					if err := t.allow.Check(string(u)); err != nil {
						if ts.at.file == defaultsName && s.allowAt.file != defaultsName && o.allow == nil && len(o.extra) == 0 {
							// The user's allowlist broke a default template: say so there.
							errs = append(errs, s.allowAt.errorf("allowlist: the default template %s.%s needs host %s (allow it, or override the template)", platformNames[p], targetNames[tg], hostOf(u)))
						} else {
							errs = append(errs, ts.at.errorf("templates.%s.%s: %q: %v", platformNames[p], targetNames[tg], a.src, err))
						}
						break
					}
				}
			}
			t.tpl[p][tg] = tpl
		}
	}
	for ci := range classes {
		for coli := range columns {
			c := s.cells[ci][coli]
			if !c.set {
				errs = append(errs, &RulesError{File: defaultsName, Msg: fmt.Sprintf("missing route %s.%s", classes[ci], columns[coli])})
				continue
			}
			t.cells[ci][coli] = cell{action: c.action, target: c.target}
		}
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Errorf("… and %d more errors", len(errs)-10))
	}
	return t, errs
}

// Source names where the table came from: the rules file's name, or
// "defaults.yaml (embedded)".
func (t *Table) Source() string { return t.source }

// Allowlist returns the table's allowlist, for example to validate a
// link's DesktopURL when it is saved.
func (t *Table) Allowlist() *Allowlist { return t.allow }

// Route returns the action and target name of one cell of the table.
// ok is false for an unknown class or column.
func (t *Table) Route(c Class, col Column) (a Action, targetName string, ok bool) {
	ci, coli := classIndex(c), columnIndex(col)
	if ci < 0 || coli < 0 {
		return "", "", false
	}
	x := t.cells[ci][coli]
	return x.action, targetNames[x.target], true
}

// span is a [start, end) range of the decision buffer.
type span struct{ start, end int }

func (s span) of(str string) string { return str[s.start:s.end] }

// Decide routes one tap. It never fails: when no safe destination can be
// built (unknown entity, missing id, a URL off the allowlist) the decision
// is a guide or info page with a Reason. Every Location it returns has
// passed the allowlist; custom schemes appear only in AppURL/IntentURL.
//
// A warm call allocates once (all URLs of the decision share one string).
func (t *Table) Decide(r Request) Decision {
	cls := ClassOf(r.Client)
	ci := classIndex(cls)
	col := ColumnOf(r.Entity, r.Overrides)
	coli := columnIndex(col)
	c := t.cells[ci][coli]
	pay := PayChannelOf(r.Client)
	d := Decision{Action: c.action, Class: cls, PayChannel: pay}

	switch col {
	case ColPassword:
		d.Copy = r.Entity.Tpwd
		if d.Copy == "" {
			d.Copy = r.Entity.ID
		}
	case ColShort, ColUnknown:
		d.Copy = r.Entity.URL
	}

	if r.Overrides.DesktopURL != "" && (cls == ClassDesktop || cls == ClassWeChatPC) {
		if err := t.allow.Check(r.Overrides.DesktopURL); err != nil {
			d.Action, d.Reason = ActionInfo, ReasonDesktopURL
			return d
		}
		d.Action, d.Target, d.Location = ActionRedirect, "desktop_url", r.Overrides.DesktopURL
		return d
	}

	tg := c.target
	if col == ColBuyNow && tg == tBuyH5 && (t.noCheckout || r.Overrides.NoCheckout) {
		tg = tItemH5
	}
	if d.Action == ActionInterstitial && (t.preferWeb || r.Overrides.PreferWeb) {
		d.Action = ActionRedirect
	}

	plat := platTaobao
	if r.Entity.Platform == resolver.PlatformTmall {
		plat = platTmall
	}
	var vs values
	t.fill(&vs, &r, col, pay)
	if col == ColBuyNow {
		d.SKU = vs.v[varSKU]
		d.Quantity = max(r.Overrides.Quantity, 1)
	}

	var stack [2048]byte
	buf := stack[:0]
	var h5, pc, loc, app, intent span
	pages := columnPages[coli]
	ok := false
	if pages[0] != tNone {
		buf, h5, ok = t.page(buf, plat, pages[0], &vs, &r, false, pay)
		if !ok {
			h5 = span{}
		}
		if pages[1] == pages[0] {
			pc = h5
		} else if buf, pc, ok = t.page(buf, plat, pages[1], &vs, &r, false, pay); !ok {
			pc = span{}
		}
	}
	switch tg {
	case tNone:
	case pages[0]:
		loc = h5
	case pages[1]:
		loc = pc
	default:
		if buf, loc, ok = t.page(buf, plat, tg, &vs, &r, tg == tBuyH5, pay); !ok {
			loc = span{}
		}
	}
	if tg != tNone && loc.end == loc.start {
		switch d.Action {
		case ActionRedirect, ActionInterstitial:
			d.Action, d.Reason = ActionInfo, ReasonNoURL
		}
		tg = tNone
	}
	if d.Action == ActionInterstitial {
		buf, app, ok = t.appURL(buf, plat, tTBOpen, loc)
		if !ok {
			app = span{}
		}
		if cls == ClassAndroid && intentBrowser(t.intentBrowsers, r.Client.Browser) {
			if buf, intent, ok = t.appURL(buf, plat, tIntent, loc); !ok {
				intent = span{}
			}
		}
	}

	all := string(buf)
	d.H5, d.PC, d.Location = h5.of(all), pc.of(all), loc.of(all)
	d.AppURL, d.IntentURL = app.of(all), intent.of(all)
	if tg != tNone {
		d.Target = targetNames[tg]
	}
	if d.Location != "" && t.allow.Check(d.Location) != nil {
		return Decision{Action: ActionInfo, Class: cls, PayChannel: pay, Reason: ReasonNotAllowed, Copy: d.Copy, SKU: d.SKU, Quantity: d.Quantity}
	}
	if d.H5 != "" && d.H5 != d.Location && t.allow.Check(d.H5) != nil {
		d.H5 = ""
	}
	if d.PC != "" && d.PC != d.Location && t.allow.Check(d.PC) != nil {
		d.PC = ""
	}
	if d.Action == ActionInterstitial && d.AppURL == "" && d.IntentURL == "" {
		d.Action = ActionRedirect
	}
	if d.Reason == "" {
		switch d.Action {
		case ActionGuide, ActionInfo:
			switch col {
			case ColShort:
				d.Reason = ReasonShort
			case ColPassword:
				d.Reason = ReasonPassword
			case ColUnknown:
				d.Reason = ReasonUnknown
			default:
				d.Reason = ReasonGuideDefault
			}
		}
	}
	return d
}

// fill sets the placeholder values of one request.
func (t *Table) fill(vs *values, r *Request, col Column, pay string) {
	e := &r.Entity
	if tokenOK(e.ID) {
		vs.set(varEntityID, e.ID)
	}
	switch e.IDType {
	case resolver.IDShop:
		if tokenOK(e.ID) {
			vs.set(varShopID, e.ID)
		}
	case resolver.IDSeller:
		if tokenOK(e.ID) {
			vs.set(varSellerID, e.ID)
		}
	case resolver.IDShopDomain:
		d := e.ID
		if i := strings.IndexByte(d, '.'); i >= 0 {
			// "nike.tmall.com" → "nike"; any other dotted value is refused.
			switch strings.ToLower(d[i+1:]) {
			case "taobao.com", "tmall.com", "m.taobao.com", "m.tmall.com", "tmall.hk":
				d = d[:i]
			default:
				d = ""
			}
		}
		if domainOK(d) {
			vs.set(varDomain, d)
		}
	}
	if tokenOK(e.SellerID) {
		vs.set(varSellerID, e.SellerID)
	}
	if col == ColLive && tokenOK(e.ID) {
		vs.set(varLiveID, e.ID)
	}
	vs.set(varQ, e.Query)
	if tokenOK(e.ActivityID) {
		vs.set(varActivityID, e.ActivityID)
	}
	if c := e.Canonical; len(c) > 8 && (strings.HasPrefix(c, "https://") || strings.HasPrefix(c, "http://")) {
		vs.set(varCanonical, c)
	}
	sku := r.Overrides.SKU
	if sku == "" || !tokenOK(sku) {
		sku = e.SKU
	}
	if tokenOK(sku) {
		vs.set(varSKU, sku)
	}
	if col == ColBuyNow {
		q := r.Overrides.Quantity
		if q < 1 {
			q = 1
		}
		vs.set(varQty, strconv.Itoa(q))
	} else if r.Overrides.Quantity > 0 {
		vs.set(varQty, strconv.Itoa(r.Overrides.Quantity))
	}
	vs.set(varPayChannel, pay)
}

// page appends one web page with the parameter policy applied.
func (t *Table) page(buf []byte, plat int, tg target, vs *values, r *Request, checkout bool, pay string) ([]byte, span, bool) {
	start := len(buf)
	buf, ok := t.tpl[plat][tg].expand(buf, vs)
	if !ok {
		return buf[:start], span{}, false
	}
	buf = t.appendParams(buf, start, r, checkout, pay)
	return buf, span{start, len(buf)}, true
}

// appURL appends the tbopen or intent URL around the URL at u.
func (t *Table) appURL(buf []byte, plat int, tg target, u span) ([]byte, span, bool) {
	if u.end == u.start {
		return buf, span{}, false
	}
	var vs values
	// The inner URL is read from buf while expand appends to buf: if append
	// moves buf, vs.url still points at the old, unchanged array.
	vs.url = buf[u.start:u.end]
	vs.present |= 1 << varURL
	start := len(buf)
	buf, ok := t.tpl[plat][tg].expand(buf, &vs)
	if !ok {
		return buf[:start], span{}, false
	}
	return buf, span{start, len(buf)}, true
}

// sharerParams are stripped when strip_sharer is set (ROUTING.md,
// Parameters: sharer). bxsign is a sharer parameter unless it starts with
// "tbk" (then it is an affiliate one).
var sharerParams = []string{"tk", "sp_tk", "un", "share_crt_v", "shareUniqueId", "suid", "ut_sk", "wxsign", "bxsign"}

// alwaysStripped never reach a destination.
var alwaysStripped = clientinfo.StripParams()

func (t *Table) stripped(key, value string) bool {
	if contains(alwaysStripped, key) || contains(t.strip, key) {
		return true
	}
	if t.stripSharer && contains(sharerParams, key) {
		return !(key == "bxsign" && strings.HasPrefix(value, "tbk"))
	}
	return false
}

// ForwardsClickID reports whether the rules file's forward_params passes
// the tap parameter name (an ad click ID, a utm_* parameter) on to every
// destination. Default: false for every name. A caller that builds
// Request.Forward itself can use it instead of setting Request.Query.
func (t *Table) ForwardsClickID(name string) bool { return t.forwarded(name) }

func (t *Table) forwarded(key string) bool {
	for _, f := range t.forward {
		if strings.HasSuffix(f, "*") {
			if strings.HasPrefix(key, f[:len(f)-1]) {
				return true
			}
		} else if key == f {
			return true
		}
	}
	return false
}

// appendParams applies the parameter policy to the URL at buf[start:]: the
// pay-channel parameter (checkout only), Entity.Params, Request.Forward and
// the forwarded parameters of Request.Query, in that order, skipping
// stripped keys, identity keys of Entity.Params (the template carries the
// identity) and keys the URL already has, before any fragment.
func (t *Table) appendParams(buf []byte, start int, r *Request, checkout bool, pay string) []byte {
	var fragStack [128]byte
	var frag []byte
	if i := bytes.IndexByte(buf[start:], '#'); i >= 0 {
		frag = append(fragStack[:0], buf[start+i:]...)
		buf = buf[:start+i]
	}
	if checkout && t.payName != "" {
		v := ""
		switch pay {
		case PayWeChat:
			v = t.payValues[0]
		case PayAlipay:
			v = t.payValues[1]
		}
		if v != "" && !hasKey(buf[start:], t.payName) {
			buf = appendSep(buf, start)
			buf = append(buf, t.payName...)
			buf = append(buf, '=')
			buf = appendEscaped(buf, v)
		}
	}
	buf = t.appendQuery(buf, start, r.Entity.Params, srcEntity)
	buf = t.appendQuery(buf, start, r.Forward, srcForward)
	if len(t.forward) > 0 {
		buf = t.appendQuery(buf, start, r.Query, srcQuery)
	}
	return append(buf, frag...)
}

// Sources of parameters, for appendQuery.
const (
	srcEntity  = iota // Entity.Params: identity keys are left to the template
	srcForward        // Request.Forward: all pass
	srcQuery          // Request.Query: only forward_params
)

// identityParams name the entity; the template carries them (as id,
// itemId, skuId, …), so they are not copied from Entity.Params.
var identityParams = []string{"id", "itemId", "skuId", "shop_id", "user_id", "liveId", "quantity"}

func (t *Table) appendQuery(buf []byte, start int, q string, src int) []byte {
	for q != "" {
		var pair string
		if i := strings.IndexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			pair, q = q, ""
		}
		key, value := pair, ""
		if i := strings.IndexByte(pair, '='); i >= 0 {
			key, value = pair[:i], pair[i+1:]
		}
		if key == "" || (src == srcQuery && !t.forwarded(key)) || (src == srcEntity && contains(identityParams, key)) ||
			t.stripped(key, value) || hasKey(buf[start:], key) {
			continue
		}
		if !pairOK(pair) {
			continue
		}
		buf = appendSep(buf, start)
		buf = appendPair(buf, pair)
	}
	return buf
}

// appendSep appends '?' or '&' as the URL at buf[start:] needs.
func appendSep(buf []byte, start int) []byte {
	u := buf[start:]
	q := bytes.IndexByte(u, '?')
	switch {
	case q < 0:
		return append(buf, '?')
	case q == len(u)-1 || u[len(u)-1] == '&':
		return buf
	}
	return append(buf, '&')
}

// hasKey reports whether the query of url has key.
func hasKey(url []byte, key string) bool {
	q := bytes.IndexByte(url, '?')
	if q < 0 {
		return false
	}
	rest := url[q+1:]
	for len(rest) > 0 {
		var pair []byte
		if i := bytes.IndexByte(rest, '&'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			pair, rest = rest, nil
		}
		k := pair
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			k = pair[:i]
		}
		if string(k) == key {
			return true
		}
	}
	return false
}

// pairOK rejects a parameter holding a percent-encoded control character
// (%0d%0a, %00, …): such a pair is dropped, not passed on.
func pairOK(p string) bool {
	for i := 0; i+2 < len(p); i++ {
		if p[i] == '%' && isHex(p[i+1]) && isHex(p[i+2]) {
			if v := unhex(p[i+1])<<4 | unhex(p[i+2]); v < 0x20 || v == 0x7f {
				return false
			}
		}
	}
	return true
}

// querySafe are the bytes a parameter keeps verbatim; others are
// percent-encoded (a stray '%' becomes %25).
func querySafe(c byte) bool {
	if unreserved(c) {
		return true
	}
	switch c {
	case '!', '$', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/', '?':
		return true
	}
	return false
}

// appendPair appends one key=value verbatim when it is well formed, and
// percent-encodes what is not.
func appendPair(buf []byte, p string) []byte {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case querySafe(c):
			buf = append(buf, c)
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			buf = append(buf, c)
		default:
			buf = append(buf, '%', hexUpper[c>>4], hexUpper[c&15])
		}
	}
	return buf
}

// tokenOK accepts ids: 1–64 bytes of letters, digits, '-' and '_'.
func tokenOK(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// domainOK accepts one DNS label (a shop domain such as "nike" of
// nike.tmall.com).
func domainOK(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
