package domains

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Checker asks third-party 微信域名检测 services about hosts. Each template
// (--domain-check-url) holds {host} and/or {url}, substituted query-escaped.
// Safe for concurrent use; it runs no goroutine of its own (the serve loop
// calls Round every --domain-check-every, jittered, off the tap path).
type Checker struct {
	Templates  []string
	Classifier Classifier
	Client     *http.Client  // Optional. Default: no redirects followed.
	Timeout    time.Duration // per request; Optional. Default: 10 s.
	Parallel   int           // concurrent requests; Optional. Default: 4.
	// Now is the clock for Retry-After pauses. Optional. Default time.Now.
	Now func() time.Time

	mu    sync.Mutex
	pause map[string]time.Time // template → not before (a 429/503 with Retry-After)
}

// maxPause caps how long a checker's Retry-After is honoured.
const maxPause = time.Hour

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// paused reports whether tpl asked to be left alone until later.
func (c *Checker) paused(tpl string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Before(c.pause[tpl])
}

// backOff honours a rate-limit answer's Retry-After (seconds or an HTTP
// date) for tpl, up to maxPause.
func (c *Checker) backOff(tpl string, resp *http.Response) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return
	}
	ra := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if ra == "" {
		return
	}
	now := c.now()
	var until time.Time
	if n, err := strconv.Atoi(ra); err == nil && n >= 0 {
		until = now.Add(time.Duration(n) * time.Second)
	} else if t, err := http.ParseTime(ra); err == nil {
		until = t
	} else {
		return
	}
	if until.Sub(now) > maxPause {
		until = now.Add(maxPause)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pause == nil {
		c.pause = map[string]time.Time{}
	}
	if until.After(c.pause[tpl]) {
		c.pause[tpl] = until
	}
}

// Round checks every host with every template and returns, per host, one
// verdict per template (in template order). A timeout, transport error,
// rate-limit answer or unparseable body is Unknown; a template whose last
// 429 or 503 carried Retry-After is not asked again until then (Unknown).
func (c *Checker) Round(ctx context.Context, hosts []string) map[string][]Verdict {
	client := c.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	par := c.Parallel
	if par <= 0 {
		par = 4
	}
	out := make(map[string][]Verdict, len(hosts))
	for _, h := range hosts {
		out[h] = make([]Verdict, len(c.Templates))
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, h := range hosts {
		for i, tpl := range c.Templates {
			wg.Add(1)
			sem <- struct{}{}
			go func(h string, i int, tpl string) {
				defer func() { <-sem; wg.Done() }()
				out[h][i] = c.one(ctx, client, timeout, tpl, h) // distinct slots: no lock needed
			}(h, i, tpl)
		}
	}
	wg.Wait()
	return out
}

func (c *Checker) one(ctx context.Context, client *http.Client, timeout time.Duration, tpl, host string) Verdict {
	if c.paused(tpl) {
		return Unknown
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := strings.NewReplacer("{host}", url.QueryEscape(host), "{url}", url.QueryEscape("https://"+host+"/")).Replace(tpl)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Unknown
	}
	resp, err := client.Do(req)
	if err != nil {
		return Unknown
	}
	defer resp.Body.Close()
	c.backOff(tpl, resp)
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Unknown
	}
	return c.Classifier.Classify(resp.StatusCode, body)
}
