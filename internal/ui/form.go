package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// utmFields are the UTM parameters the form offers.
var utmFields = []string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}

// formFields are the text fields of the create/edit form.
var formFields = append([]string{"target", "alias", "domain", "expires", "max_clicks", "tags", "campaign",
	"sku", "quantity", "title", "description", "image"}, utmFields...)

// linkForm is the create/edit form: the values as typed, the errors next to
// their fields, and what hutong understood of the target.
type linkForm struct {
	V         map[string]string // field → value as submitted
	BuyNow    bool
	PreferWeb bool
	// WeChatTpwdGuide: WeChat/WeCom taps get the 淘口令 page, not the 302.
	WeChatTpwdGuide bool
	Tpwd            bool              // create: mint a 淘口令
	Errors          map[string]string // field → message ("" key: the whole form)
	Entity          *entityView
	Domains         []string
	Edit            bool
	Code            string // edit: the link's code
	Domain          string // edit: the link's domain
	Version         int64
	Disabled        bool
}

func (f *linkForm) Err(field string) string { return f.Errors[field] }

// Invalid reports whether field has an error (for aria-invalid).
func (f *linkForm) Invalid(field string) bool { return f.Errors[field] != "" }

const dateLayout = "2006-01-02T15:04" // <input type=datetime-local>

// readForm reads the submitted form. Strings are copied out of fasthttp's
// buffers.
func readForm(c *fiber.Ctx) *linkForm {
	f := &linkForm{V: map[string]string{}, Errors: map[string]string{}}
	for _, k := range formFields {
		f.V[k] = strings.TrimSpace(strings.Clone(c.FormValue(k)))
	}
	f.BuyNow = c.FormValue("buy_now") != ""
	f.PreferWeb = c.FormValue("prefer_web") != ""
	f.WeChatTpwdGuide = c.FormValue("wechat_tpwd_guide") != ""
	f.Tpwd = c.FormValue("tpwd") != ""
	return f
}

// formOf fills a form from a stored link (edit).
func formOf(l *shortlink.Link) *linkForm {
	f := &linkForm{V: map[string]string{}, Errors: map[string]string{}, Edit: true, Code: l.Code, Domain: l.Domain,
		Version: l.Version, Disabled: l.Disabled}
	f.V["target"], f.V["alias"], f.V["domain"] = l.Target, l.Code, l.Domain
	if l.ExpiresAt != nil {
		f.V["expires"] = l.ExpiresAt.In(track.ChinaTime).Format(dateLayout)
	}
	if l.MaxClicks > 0 {
		f.V["max_clicks"] = strconv.FormatInt(l.MaxClicks, 10)
	}
	f.V["tags"] = strings.Join(l.Tags, ", ")
	f.V["campaign"] = l.Campaign
	for _, k := range utmFields {
		f.V[k] = l.UTM[k]
	}
	f.BuyNow, f.PreferWeb, f.WeChatTpwdGuide = l.Route.BuyNow, l.Route.PreferWeb, l.Route.WeChatTpwdGuide
	f.V["sku"] = l.Route.SKU
	if l.Route.Quantity > 0 {
		f.V["quantity"] = strconv.Itoa(l.Route.Quantity)
	}
	f.V["title"], f.V["description"], f.V["image"] = l.Title, l.Description, l.Image
	return f
}

// input reads the form into the shortlink.Input the create form asks for
// (every shown field set, so an edit can clear it), and f.Entity for the
// preview. It only reads: numbers and dates that cannot be read, a SKU
// that is not digits and a quantity outside 1 to 999 come back as
// *shortlink.Error (CodeInvalid, the API's field name, a Reason); every
// other rule is shortlink's (Service.Make, Edit). The caller places the
// errors with f.fail.
func (f *linkForm) input(maxInput int) (shortlink.Input, []error) {
	var errs []error
	bad := func(field, reason string) {
		errs = append(errs, shortlink.FieldError(shortlink.CodeInvalid, field, reason, "cannot be read"))
	}
	str := func(k string) *string { v := f.V[k]; return &v }
	in := shortlink.Input{Target: str("target"), Campaign: str("campaign"),
		Description: str("description"), Image: str("image"), ExpiresAt: shortlink.OptTime{Set: true}}
	if v := f.V["title"]; v != "" {
		in.Title = &v // empty on create: the share text's title
	}
	if v := f.V["alias"]; v != "" {
		in.Alias = &v
	}
	if v := f.V["domain"]; v != "" {
		in.Domain = &v
	}
	if t := f.V["target"]; t != "" && len(t) <= maxInput {
		f.Entity = newEntityView(resolver.Parse(t))
	}
	if v := f.V["expires"]; v != "" {
		t, err := time.ParseInLocation(dateLayout, v, track.ChinaTime)
		if err != nil {
			t, err = time.Parse(time.RFC3339, v)
		}
		if err != nil {
			bad("expires_at", shortlink.ReasonFormat)
		} else {
			in.ExpiresAt.T = &t
		}
	}
	var maxClicks int64
	if v := f.V["max_clicks"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad("max_clicks", shortlink.ReasonFormat)
		}
		maxClicks = n
	}
	in.MaxClicks = &maxClicks
	tags := []string{}
	if v := f.V["tags"]; v != "" {
		for _, t := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '，' || r == '、' || r == '；' }) {
			if t = strings.TrimSpace(t); t != "" && !contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	in.Tags = &tags
	utm := map[string]string{}
	for _, k := range utmFields {
		if v := f.V[k]; v != "" {
			utm[k] = v
		}
	}
	in.UTM = &utm
	rt := route.Overrides{BuyNow: f.BuyNow, PreferWeb: f.PreferWeb, SKU: f.V["sku"], WeChatTpwdGuide: f.WeChatTpwdGuide}
	if v := f.V["sku"]; v != "" && !digits(v) {
		bad("route.sku", shortlink.ReasonFormat)
	}
	if v := f.V["quantity"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > shortlink.MaxQuantity {
			bad("route.quantity", shortlink.ReasonRange)
		}
		rt.Quantity = n
	}
	in.Route = &rt
	if f.Tpwd {
		in.Tpwd = shortlink.TpwdRequest{Set: true, Mode: shortlink.TpwdMint}
	}
	return in, errs
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
