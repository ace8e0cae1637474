package server

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the HTTP-level Prometheus metrics. Build with NewMetrics and
// pass in Deps; nil disables them.
type Metrics struct {
	// children and actionsBy cache Prometheus children so a request does one
	// lock-free map read instead of hashing its labels; bounded by routes ×
	// methods × statuses and actions × pay channels.
	children  cowMap[childKey, child]
	actionsBy cowMap[[2]string, prometheus.Counter]

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	actions  *prometheus.CounterVec
	expand   *prometheus.CounterVec
	unknown  *prometheus.CounterVec
}

// NewMetrics registers hutong's HTTP metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hutong_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hutong_http_request_duration_seconds",
			Help:    "Time from request read to response ready, by route pattern (taps: GET /:code and /r).",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hutong_tap_actions_total",
			Help: "Taps by routing action (redirect, interstitial, guide, json, preview, info) and pay channel.",
		}, []string{"action", "pay_channel"}),
		expand: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hutong_short_link_expansions_total",
			Help: "Server-side m.tb.cn expansions by outcome (ok, error).",
		}, []string{"outcome"}),
	}
	m.unknown = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hutong_client_unknown_total",
		Help: "Taps from in-app web-views hutong does not recognise (routed as the OS's browser), by family: the web-view's OS (android, ios, harmonyos).",
	}, []string{"family"})
	reg.MustRegister(m.requests, m.latency, m.actions, m.expand, m.unknown)
	return m
}

// unknownClient counts a tap from an unrecognised in-app shell. The label
// is the client's OS, a constant of a fixed set, so the series stay bounded.
func (m *Metrics) unknownClient(c clientinfo.Client) {
	if m == nil || !c.UnknownShell {
		return
	}
	m.unknown.WithLabelValues(string(c.OS)).Inc()
}

// cowMap is a copy-on-write map for a small, bounded key set: reads are one
// atomic load and a map lookup, no lock; a miss copies the map under a lock.
// The zero value is ready to use.
type cowMap[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex
}

// get returns the value of k, creating it with mk on first use.
func (c *cowMap[K, V]) get(k K, mk func() V) V {
	if p := c.m.Load(); p != nil {
		if v, ok := (*p)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[K]V
	if p := c.m.Load(); p != nil {
		old = *p
		if v, ok := old[k]; ok {
			return v
		}
	}
	v := mk()
	next := make(map[K]V, len(old)+1)
	for kk, vv := range old {
		next[kk] = vv
	}
	next[k] = v
	c.m.Store(&next)
	return v
}

type childKey struct {
	route, method string
	status        int
}

type child struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// child returns the metrics of one (route, method, status). route must be a
// router pattern and method a constant (both outlive the request).
func (m *Metrics) child(route, method string, status int) child {
	return m.children.get(childKey{route, method, status}, func() child {
		return child{m.requests.WithLabelValues(route, method, statusLabel(status)), m.latency.WithLabelValues(route)}
	})
}

// methodLabel maps the request method to a constant: c.Method() aliases
// fasthttp's request buffer, which is reused after the handler returns, so
// it must never become a label (labels outlive the request).
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodOptions:
		return fiber.MethodOptions
	}
	return "OTHER"
}

// statusLabel avoids an allocation for the statuses hutong answers with.
func statusLabel(code int) string {
	switch code {
	case 200:
		return "200"
	case 201:
		return "201"
	case 204:
		return "204"
	case 302:
		return "302"
	case 304:
		return "304"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 409:
		return "409"
	case 410:
		return "410"
	case 413:
		return "413"
	case 422:
		return "422"
	case 429:
		return "429"
	case 500:
		return "500"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}

// middleware observes every request after the handler ran.
func (m *Metrics) middleware(c *fiber.Ctx) error {
	start := requestStart(c)
	err := c.Next()
	m.observe(c, c.Route().Path, start, err)
	return err
}

// requestStart is when the request started: fasthttp read the clock then,
// so it is reused rather than read again.
func requestStart(c *fiber.Ctx) time.Time {
	if t := c.Context().Time(); !t.IsZero() {
		return t
	}
	return time.Now()
}

// observe counts one answered request of route (a router pattern) that
// started at start and whose handler returned err.
func (m *Metrics) observe(c *fiber.Ctx, route string, start time.Time, err error) {
	status := c.Response().StatusCode()
	if err != nil {
		status = errorStatus(err)
	}
	ch := m.child(route, methodLabel(c.Method()), status)
	ch.requests.Inc()
	ch.latency.Observe(time.Since(start).Seconds())
}

// action counts a tap's routing action; action and pay are constants.
func (m *Metrics) action(action, pay string) {
	if m != nil {
		m.actionsBy.get([2]string{action, pay}, func() prometheus.Counter {
			return m.actions.WithLabelValues(action, pay)
		}).Inc()
	}
}

func (m *Metrics) expansion(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.expand.WithLabelValues("ok").Inc()
	} else {
		m.expand.WithLabelValues("error").Inc()
	}
}
