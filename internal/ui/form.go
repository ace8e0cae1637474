package ui

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

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

// input validates what the UI can check itself (numbers, dates, the target
// being something hutong understands) and builds the LinkInput; msgs are
// the page's messages. The Backend checks the rest.
func (f *linkForm) input(msgs map[string]string, now time.Time, maxInput int) LinkInput {
	in := LinkInput{Target: f.V["target"], Alias: f.V["alias"], Domain: f.V["domain"], Campaign: f.V["campaign"],
		Title: f.V["title"], Description: f.V["description"], Image: f.V["image"]}
	switch {
	case in.Target == "":
		f.Errors["target"] = msgs["e.target.required"]
	case len(in.Target) > maxInput:
		f.Errors["target"] = msgs["e.target.long"]
	default:
		e := resolver.Parse(in.Target)
		f.Entity = newEntityView(e)
		if !e.Known() {
			f.Errors["target"] = msgs["e.target.unknown"]
		}
	}
	if v := f.V["expires"]; v != "" {
		t, err := time.ParseInLocation(dateLayout, v, track.ChinaTime)
		if err != nil {
			t, err = time.Parse(time.RFC3339, v)
		}
		switch {
		case err != nil:
			f.Errors["expires"] = msgs["e.expires.bad"]
		case !t.After(now):
			f.Errors["expires"] = msgs["e.expires.past"]
		default:
			in.ExpiresAt = &t
		}
	}
	if v := f.V["max_clicks"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			f.Errors["max_clicks"] = msgs["e.number"]
		}
		in.MaxClicks = n
	}
	if v := f.V["tags"]; v != "" {
		for _, t := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '，' || r == '、' || r == '；' }) {
			if t = strings.TrimSpace(t); t != "" && !contains(in.Tags, t) {
				in.Tags = append(in.Tags, t)
			}
		}
	}
	for _, k := range utmFields {
		if v := f.V[k]; v != "" {
			if in.UTM == nil {
				in.UTM = map[string]string{}
			}
			in.UTM[k] = v
		}
	}
	in.Route.BuyNow, in.Route.PreferWeb, in.Route.SKU = f.BuyNow, f.PreferWeb, f.V["sku"]
	in.Route.WeChatTpwdGuide = f.WeChatTpwdGuide
	in.Tpwd = f.Tpwd
	if v := f.V["sku"]; v != "" && !digits(v) {
		f.Errors["sku"] = msgs["e.sku"]
	}
	if v := f.V["quantity"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			f.Errors["quantity"] = msgs["e.quantity"]
		}
		in.Route.Quantity = n
	}
	if v := f.V["image"]; v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			f.Errors["image"] = msgs["e.image"]
		}
	}
	if v := f.V["domain"]; v != "" && !f.Edit && !contains(f.Domains, v) {
		if len(f.Domains) == 0 {
			f.Errors[""] = msgs["e.domain"] // the form has no domain field then
		} else {
			f.Errors["domain"] = msgs["e.domain"]
		}
	}
	return in
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// fieldOf names the form field an API error message is about, from the
// message's first word (the API's messages start with the field name).
func fieldOf(e *Error) string {
	m := strings.ToLower(e.Message)
	if e.Code == shortlink.CodeConflict && !strings.HasPrefix(m, "version") {
		return "alias"
	}
	for _, p := range []struct{ prefix, field string }{
		{"target", "target"}, {"alias", "alias"}, {"domain", "domain"}, {"expires_at", "expires"},
		{"max_clicks", "max_clicks"}, {"tag", "tags"}, {"at most 20 tags", "tags"}, {"campaign", "campaign"},
		{"utm", "utm_source"}, {"at most 10 utm", "utm_source"}, {"route quantity", "quantity"}, {"quantity", "quantity"},
		{"title", "title"}, {"description", "description"}, {"image", "image"}, {"route.desktop_url", ""},
		{"tpwd", "tpwd"},
	} {
		if strings.HasPrefix(m, p.prefix) {
			return p.field
		}
	}
	return ""
}

// backendError puts a Backend error next to its field; it reports false
// for errors that are not about the input (the store is down, …).
func (f *linkForm) backendError(err error) (status int, ok bool) {
	var e *Error
	if !errors.As(err, &e) || (e.Status >= 500 && !strings.HasPrefix(e.Code, "tpwd")) || e.Status == 0 {
		return fiber.StatusServiceUnavailable, false
	}
	f.Errors[fieldOf(e)] = e.Message
	return e.Status, true
}
