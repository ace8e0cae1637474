package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DomainChecks are the domain-pool flags of `hutong serve` (README:
// "Domain pools"). The zero value runs no check and sends no alert.
type DomainChecks struct {
	// CheckURLs are URL templates ({host}, {url}) of 微信域名检测 services,
	// one per --domain-check-url (repeatable). Empty: no checks.
	CheckURLs []string
	// Blocked and Soft are regular expressions that, found in a checker's
	// answer, mean hard block and soft block.
	Blocked, Soft string
	// Every is the check period (jittered ±20%). Default 5m.
	Every time.Duration
	// AlertURL receives a signed webhook on every status change; AlertSecret
	// is the HMAC key (required with AlertURL).
	AlertURL, AlertSecret string
	// MinHealthy is the fewest healthy entry domains a pool should have;
	// below it, the alert and the API say so. Default 1.
	MinHealthy int
	// RecoverAfter clean checks move a blocked domain back to standby
	// (0: never by itself, an operator unblocks it).
	RecoverAfter int
	// AlertRetry is the first wait between delivery rounds of an alert
	// the receiver did not take (doubling, at most 10m; retried for 24h,
	// across restarts). Default 30s.
	AlertRetry time.Duration
	// RetireGrace is how long a retired domain still serves taps before
	// it answers 404. Default 72h; 0: at once.
	RetireGrace time.Duration
	// Lease is how long the check loop's leadership lasts unless renewed
	// (renewed every third of it; no flag). Default 30s.
	Lease time.Duration
}

// BlockedRe and SoftRe compile Blocked and Soft (nil when empty).
func (d DomainChecks) BlockedRe() *regexp.Regexp { return compileOrNil(d.Blocked) }

// SoftRe compiles Soft (nil when empty).
func (d DomainChecks) SoftRe() *regexp.Regexp { return compileOrNil(d.Soft) }

func compileOrNil(s string) *regexp.Regexp {
	if s == "" {
		return nil
	}
	return regexp.MustCompile(s) // validate checked it
}

func (b *binder) domainFlags(d *DomainChecks) {
	b.multi(&d.CheckURLs, "domain-check-url", "URL template of a 微信域名检测 checker with {host} or {url}; repeat for several checkers")
	b.str(&d.Blocked, "domain-check-blocked", "", "regular expression that, found in a checker's answer, means hard block (已停止访问)")
	b.str(&d.Soft, "domain-check-soft", "", "regular expression that, found in a checker's answer, means soft block (复制到浏览器打开)")
	b.dur(&d.Every, "domain-check-every", 5*time.Minute, "period of domain checks (jittered ±20%)")
	b.str(&d.AlertURL, "domain-alert-url", "", "URL that gets a signed JSON webhook on every domain status change")
	b.str(&d.AlertSecret, "domain-alert-secret", "", "HMAC-SHA256 key of the X-Hutong-Signature header (required with --domain-alert-url)")
	b.dur(&d.AlertRetry, "domain-alert-retry", 30*time.Second, "first wait before an alert the receiver did not take is sent again (doubling to 10m; kept with the domain record for 24h, across restarts)")
	b.int(&d.MinHealthy, "domain-min-healthy", 1, "fewest healthy entry domains a pool should have; alerts say when it has fewer")
	b.dur(&d.RetireGrace, "domain-retire-grace", 72*time.Hour, "how long a retired domain still serves taps before it answers 404 (0: at once)")
	b.int(&d.RecoverAfter, "domain-recover-after", 0, "clean checks in a row that move a blocked domain back to standby (0: only an operator unblocks)")
}

// multi registers a repeatable flag; its variable holds values separated
// by white space.
func (b *binder) multi(p *[]string, name, u string) {
	if v, ok := b.lookup(name); ok {
		*p = strings.Fields(v)
	}
	fromEnv := len(*p) > 0
	b.fs.Func(name, b.usage(name, u), func(s string) error {
		if fromEnv { // the command line replaces the environment's list
			*p, fromEnv = nil, false
		}
		*p = append(*p, s)
		return nil
	})
}

func (d DomainChecks) validate() []error {
	var errs []error
	for _, t := range d.CheckURLs {
		u, err := url.Parse(strings.NewReplacer("{host}", "x", "{url}", "x").Replace(t))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.Contains(t, "{host}") && !strings.Contains(t, "{url}") {
			errs = append(errs, fmt.Errorf("--domain-check-url %q: want an http(s) URL holding {host} or {url}, e.g. https://checker.example/api?domain={host}", t))
		}
	}
	if len(d.CheckURLs) > 0 && d.Blocked == "" {
		errs = append(errs, fmt.Errorf("--domain-check-url needs --domain-check-blocked: the text in the checker's answer that means blocked"))
	}
	for name, re := range map[string]string{"--domain-check-blocked": d.Blocked, "--domain-check-soft": d.Soft} {
		if _, err := regexp.Compile(re); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: not a regular expression: %v", name, re, err))
		}
	}
	if d.Every < 0 || d.Every > 0 && d.Every < time.Second {
		errs = append(errs, fmt.Errorf("--domain-check-every %s: want 1s or more", d.Every))
	}
	if d.AlertURL != "" {
		if u, err := url.Parse(d.AlertURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--domain-alert-url %q: want an absolute http(s) URL", d.AlertURL))
		}
		if d.AlertSecret == "" {
			errs = append(errs, fmt.Errorf("--domain-alert-url needs --domain-alert-secret: webhooks are signed"))
		}
	}
	if d.MinHealthy < 0 || d.RecoverAfter < 0 {
		errs = append(errs, fmt.Errorf("--domain-min-healthy and --domain-recover-after: want 0 or more"))
	}
	return errs
}
