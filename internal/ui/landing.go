package ui

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/internal/tap"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// entityView is what hutong understood of a pasted target.
type entityView struct {
	Known     bool
	Platform  string
	Kind      string
	ID        string
	IDType    string
	SKU       string
	Canonical string
	Params    []string // kept parameters, "name=value"
	Title     string
	Tpwd      string
	URL       string
	Via       string
	Short     bool // an m.tb.cn link: expanded when tapped
	Password  bool // a bare 淘口令: decoded when tapped, if decoding is on
}

func newEntityView(e resolver.Entity) *entityView {
	v := &entityView{Known: e.Known(), Platform: string(e.Platform), Kind: string(e.Kind), ID: e.ID, IDType: string(e.IDType),
		SKU: e.SKU, Canonical: e.Canonical, Title: e.Title, Tpwd: e.Tpwd, URL: e.URL, Via: e.Via,
		Short: e.Kind == resolver.KindShort, Password: e.Kind == resolver.KindPassword}
	if e.Params != "" {
		for _, p := range strings.Split(e.Params, "&") {
			if k, val, ok := strings.Cut(p, "="); ok {
				if dk, err := url.QueryUnescape(k); err == nil {
					k = dk
				}
				if dv, err := url.QueryUnescape(val); err == nil {
					val = dv
				}
				v.Params = append(v.Params, k+"="+val)
			} else if p != "" {
				v.Params = append(v.Params, p)
			}
		}
	}
	return v
}

// persona is a representative client the landing preview routes for.
type persona struct {
	Key string // message key of its name
	UA  string
}

// personas are the three people the result page shows: a WeChat user on
// an iPhone, iPhone Safari, and a desktop browser.
var personas = []persona{
	{"land.wechat", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN"},
	{"land.safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"},
	{"land.desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
}

// actTpwdGuide is a landing's Action when a WeChat tap gets the page that
// leads with the link's 淘口令 (route.TpwdGuide) instead of the decision.
const actTpwdGuide = "tpwd_guide"

// landing is where one persona lands.
type landing struct {
	Who        string // message key
	Class      string
	Action     string
	Location   string
	AppURL     string
	PayChannel string
	Reason     string
}

// landings routes the link for every persona with the routing table in
// force, the same call a tap makes. An m.tb.cn target or a bare 淘口令 is
// looked up first by resolver.Deepen, the rule taps use, when the lookup is
// configured; expanded reports that it succeeded. On failure the stored
// entity is routed, as a tap would.
func (u *ui) landings(l *shortlink.Link) (out []landing, expanded bool) {
	e := l.Entity
	if resolver.CanDeepen(e, u.d.Expander, u.d.Decoder) {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		deep, _, err := resolver.Deepen(ctx, e, u.d.Expander, u.d.Decoder)
		cancel()
		if err == nil {
			e, expanded = deep, true
		}
	}
	t := u.d.Rules.Load()
	fwd := tap.Forward(l, nil) // the tap path's encoder; a preview has no click IDs
	for _, p := range personas {
		cl := u.d.Clients.Detect(p.UA)
		d := t.Decide(route.Request{Entity: e, Client: cl, Overrides: l.Route, Forward: fwd})
		act := string(d.Action)
		if route.TpwdGuide(&l.Route, l.Tpwd != nil, &cl, &d) {
			act = actTpwdGuide // as a tap: the page leading with the 淘口令
		}
		out = append(out, landing{Who: p.Key, Class: string(d.Class), Action: act, Location: d.Location,
			AppURL: d.AppURL, PayChannel: d.PayChannel, Reason: d.Reason})
	}
	return out, expanded
}
