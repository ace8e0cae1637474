// Package config reads hutong's configuration from command-line flags and
// HUTONG_* environment variables. It is the one place that reads either: every
// other package receives plain structs from cmd/hutong.
//
// A flag given on the command line wins over its environment variable, which
// wins over the default. Every flag --some-name has the variable
// HUTONG_SOME_NAME.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Serve is the configuration of `hutong serve`.
type Serve struct {
	// Listen is the address to listen on. Default ":8080".
	Listen string
	// Data is the directory of the embedded store (links.db, events.db,
	// the event spill file). Default "./data". Used for the spill file even
	// on Redis.
	Data string
	// Redis switches the store and event stream to Redis when set:
	// redis://, rediss://, redis+sentinel://, redis+cluster:// (see README).
	Redis string
	// Rules is an optional routing rules file (YAML or JSON) over the
	// embedded defaults; reloaded on SIGHUP.
	Rules string
	// InitialAPIKey creates an admin API key with this value at start when
	// the store has no key yet.
	InitialAPIKey string
	// BaseURL is the public base of short links (e.g. https://hut.ong);
	// default: derived from each request's Host.
	BaseURL string
	// RootRedirect is where GET / sends a browser (302): a path on this
	// host such as /ui/ or an absolute http(s) URL. "auto" (the default):
	// the web UI for a browser signed into it, else a small page saying
	// what this host is, with a sign-in link. "off": the not-found answer.
	RootRedirect string
	// NotFoundURL is where a tap on an unknown code is sent (302): a path
	// on this host or an absolute http(s) URL, the operator's own value
	// only. Default "": hutong's own not-found page (404).
	NotFoundURL string
	// Domains seed the default domain pool on the first run (after
	// BaseURL's host); a link made with "domain" stays on that host.
	Domains []string
	// Domain are the domain-pool checks and alerts (domains.go).
	Domain DomainChecks
	// TrustedProxies are IPs or CIDRs whose X-Forwarded-For is believed.
	// Default none: the peer address is the client.
	TrustedProxies []string
	// Allow adds hosts to the redirect allowlist (Taobao/Tmall/Alipay family
	// by default).
	Allow []string

	// ExpandTimeout bounds server-side m.tb.cn expansion. Default 1.5s.
	ExpandTimeout time.Duration
	// ExpandBaseURL sends short-link expansion requests to this origin
	// instead of the short-link host (a forward proxy, or a test server);
	// the original host goes in the Host header.
	ExpandBaseURL string
	// TOPAppKey and TOPAppSecret enable 淘口令 decoding through the Taobao
	// Open Platform. Both empty: decoding is off and pages say so.
	TOPAppKey    string
	TOPAppSecret string
	TOPGateway   string
	// TOPSignMethod is md5 (default), hmac or hmac-sha256.
	TOPSignMethod string
	// TOPDecodeMethod picks the decoding method: tpwd.query
	// (taobao.wireless.share.tpwd.query, default) or link.parse
	// (taobao.tbk.dg.general.link.parse, for affiliate accounts; needs
	// TOPAdzoneID).
	TOPDecodeMethod string
	// TOPAdzoneID is the affiliate's adzone id (third part of mm_x_y_z).
	TOPAdzoneID string
	// TOPTimeout bounds one Open Platform call. Default 2s.
	TOPTimeout time.Duration

	// Postbacks is an optional JSON file of ad-system postbacks (see
	// README, "Postbacks"). Empty: no postbacks.
	Postbacks string
	// QRLogo is an optional PNG or JPEG drawn in the centre of QR codes
	// asked for with ?logo=1.
	QRLogo string
	// WriteRateLimit is the most write API requests per key per minute;
	// negative disables. Default 600.
	WriteRateLimit int

	// LinkCacheSize bounds the in-process link cache (entries, about 600 B
	// each). Default 50000.
	LinkCacheSize int
	// RedisMinReplicas is how many replicas must acknowledge a capped
	// link's click increment (WAIT); -1 follows what Redis reports at start
	// (every connected replica), 0 never waits.
	RedisMinReplicas int
	// StaleIfError is how long past the cache TTL a link is still served
	// while its refresh from the store fails (uncapped links only).
	// Default 10m; 0 turns it off; at most 24h.
	StaleIfError time.Duration
	// MemoryLimit is the Go soft memory limit: "auto" (default: sized from
	// the caches, see AutoMemoryLimit), "off", or a size such as 256MiB.
	// GOMEMLIMIT in the environment wins over it.
	MemoryLimit string
	// UACacheSize bounds the User-Agent classification cache. Default 10000.
	UACacheSize int
	// MaxInput is the longest /r?u= input accepted, in bytes. Default 4096.
	MaxInput int

	// IPPolicy says how client IPs are kept on click events: "truncate"
	// (default: /24 for IPv4, /48 for IPv6), "hash" (keyed HMAC, needs
	// IPHashKey) or "none".
	IPPolicy  string
	IPHashKey string
	// CursorSecret signs the list cursors the API hands out (next of GET
	// /api/v1/links), so a cursor from one instance is good on every
	// instance behind the same load balancer and a forged one is refused.
	// Default "": a random secret generated once and kept in the store
	// (Redis: the key hutong:{cursor}:secret, set if absent; embedded:
	// DATA/cursor.key), which every instance on that store reads.
	CursorSecret string
	// EventBatchSize is the most click events written to the store in one
	// batch (on Redis, one Lua script run). Default 512, at most 4096.
	EventBatchSize int
	// Events is "on" (default: every tap is a click event) or "off": taps
	// are not recorded (no events, counters or postbacks); stats and events
	// recorded before stay readable.
	Events string
	// EventsRetention is how long the event log keeps batch records
	// (Redis: XADD MINID ~; embedded: deleted on write). Default 72h;
	// 0 or negative keeps them forever (bounded by EventsMaxLen only).
	EventsRetention time.Duration
	// EventsCompression is how the event log stores each batch's event
	// lines: "gzip" (default; about a seventh of the bytes) or "none".
	EventsCompression string
	// EventsURL sends the event log to NATS JetStream
	// (nats://host:4222[,host2…], tls://…; query creds, nkey, tls_ca,
	// tls_cert, tls_key); counters stay in the store. Default "": the
	// store keeps the log.
	EventsURL string
	// EventsReplicas is the JetStream stream's replica count. Default 1.
	EventsReplicas int
	// EventsInstance names this instance in the subject
	// hutong.events.<instance>. Default: the host name.
	EventsInstance string
	// EventsNATSCreds, EventsNATSNKey, EventsNATSTLSCA, EventsNATSTLSCert,
	// EventsNATSTLSKey: the NATS connection's credentials and TLS files.
	EventsNATSCreds, EventsNATSNKey                      string
	EventsNATSTLSCA, EventsNATSTLSCert, EventsNATSTLSKey string
	// EventsShards spreads the Redis event log and counters over this many
	// hash-tagged shards (one script per shard per batch). Default 0:
	// 1 on a single node or Sentinel, 8 on a Cluster. Fixed for the data's
	// life: another value is refused at start.
	EventsShards int
	// EventsMaxLen, when positive, caps each Redis shard's stream at about
	// this many batch records, as a memory bound beside the retention.
	EventsMaxLen int
	// EventFlushInterval is the longest a click event waits in a partial
	// batch before it is written. Default 200ms.
	EventFlushInterval time.Duration

	ReadTimeout     time.Duration // Default 5s.
	WriteTimeout    time.Duration // Default 10s.
	IdleTimeout     time.Duration // Default 60s.
	ShutdownTimeout time.Duration // Default 15s.

	// DebugListen serves Go's net/http/pprof profiles on this address
	// (e.g. 127.0.0.1:6060). Default "": off. Never expose it publicly.
	DebugListen string

	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string
	// LogFormat is json or text. Default json.
	LogFormat string
}

// Env looks up an environment variable; os.LookupEnv in production.
type Env func(name string) (string, bool)

// ErrHelp is returned when -h or --help was asked for; usage was printed.
var ErrHelp = flag.ErrHelp

// ParseServe parses `hutong serve` flags from args, with HUTONG_* variables
// from env as defaults. Usage and errors are written to out.
func ParseServe(args []string, env Env, out io.Writer) (Serve, error) {
	var c Serve
	fs := flag.NewFlagSet("hutong serve", flag.ContinueOnError)
	fs.SetOutput(out)
	b := binder{fs: fs, env: env}
	b.str(&c.Listen, "listen", ":8080", "address to listen on")
	b.str(&c.Data, "data", "./data", "embedded store directory (links.db, events.db, spill file)")
	b.str(&c.Redis, "redis", "", "Redis URL: redis://, rediss://, redis+sentinel://, redis+cluster:// (switches the store to Redis); also $HUTONG_REDIS_URL")
	if _, set := b.lookup("redis"); !set && env != nil {
		if v, ok := env("HUTONG_REDIS_URL"); ok {
			c.Redis = v // DESIGN.md's name for the same setting
		}
	}
	b.str(&c.Rules, "rules", "", "routing rules file (YAML or JSON) over the embedded defaults; reloaded on SIGHUP")
	b.str(&c.InitialAPIKey, "initial-api-key", "", "create an admin API key with this value when the store has none")
	b.str(&c.BaseURL, "base-url", "", "public base URL of short links, e.g. https://hut.ong (default: from the request Host)")
	b.str(&c.RootRedirect, "root-redirect", "auto", "where GET / redirects (302): a path such as /ui/ or an http(s) URL; auto: the UI for signed-in browsers, else a page naming this host with a sign-in link; off: the not-found answer")
	b.str(&c.NotFoundURL, "not-found-url", "", "where a tap on an unknown code is sent (302): a path on this host or an http(s) URL (default: hutong's 404 page)")
	b.list(&c.Domains, "domains", "short domains of the default pool, comma-separated: seeded on first run, the first one active (then see /api/v1/domains)")
	b.domainFlags(&c.Domain)
	b.list(&c.TrustedProxies, "trusted-proxies", "IPs/CIDRs whose X-Forwarded-For is trusted, comma-separated")
	b.list(&c.Allow, "allow", "extra hosts allowed as redirect destinations, comma-separated")
	b.dur(&c.ExpandTimeout, "expand-timeout", 1500*time.Millisecond, "timeout of server-side short-link expansion")
	b.str(&c.ExpandBaseURL, "expand-base-url", "", "send short-link expansion requests to this origin (proxy or test server)")
	b.str(&c.TOPAppKey, "top-app-key", "", "Taobao Open Platform app key (enables 淘口令 decoding)")
	b.str(&c.TOPAppSecret, "top-app-secret", "", "Taobao Open Platform app secret")
	b.str(&c.TOPGateway, "top-gateway", "", "Taobao Open Platform gateway URL (default https://eco.taobao.com/router/rest)")
	b.str(&c.TOPSignMethod, "top-sign-method", "md5", "Taobao Open Platform sign method: md5, hmac or hmac-sha256")
	b.str(&c.TOPDecodeMethod, "top-decode-method", "tpwd.query", "淘口令 decoding method: tpwd.query (taobao.wireless.share.tpwd.query) or link.parse (taobao.tbk.dg.general.link.parse, affiliate accounts; needs --top-adzone-id)")
	b.str(&c.TOPAdzoneID, "top-adzone-id", "", "affiliate adzone id (third number of the mm_x_y_z pid), for --top-decode-method link.parse")
	b.dur(&c.TOPTimeout, "top-timeout", 2*time.Second, "timeout of one Taobao Open Platform call")
	b.str(&c.Postbacks, "postbacks", "", "JSON file of ad-system postbacks (see README)")
	b.str(&c.QRLogo, "qr-logo", "", "PNG/JPEG logo drawn in QR codes asked for with ?logo=1")
	b.int(&c.WriteRateLimit, "write-rate-limit", 600, "write API requests per key per minute (negative: no limit)")
	b.int(&c.LinkCacheSize, "link-cache-size", 50000, "in-process link cache entries (about 600 B each)")
	b.int(&c.RedisMinReplicas, "redis-min-replicas", -1, "replicas that must acknowledge a capped link's click and each click-event batch (WAIT; a batch not acknowledged spills and replays); -1: as many as Redis reports at start, 0: no wait")
	b.str(&c.MemoryLimit, "memory-limit", "auto", "Go soft memory limit: auto (sized from the caches), off, or a size such as 256MiB; GOMEMLIMIT wins")
	b.int(&c.UACacheSize, "ua-cache-size", 10000, "User-Agent classification cache entries")
	b.int(&c.MaxInput, "max-input", 4096, "longest /r?u= input accepted, bytes")
	b.str(&c.IPPolicy, "ip-policy", "truncate", "client IPs on click events: truncate, hash or none")
	b.str(&c.IPHashKey, "ip-hash-key", "", "secret key for --ip-policy=hash")
	b.str(&c.CursorSecret, "cursor-secret", "", "secret that signs API list cursors (default: generated once and kept in the store, shared by every instance on it)")
	b.str(&c.Events, "events", "on", "record click events (stream, counters, postbacks): on or off")
	b.int(&c.EventBatchSize, "event-batch-size", 512, "most click events per batch record (one stream entry, one script run per shard)")
	b.dur(&c.StaleIfError, "stale-if-error", 10*time.Minute, "how long a cached link (without a click cap) is still served while Redis cannot be read; 0: off, at most 24h")
	b.dur(&c.EventFlushInterval, "event-flush-interval", 200*time.Millisecond, "longest a click event waits in a partial batch")
	b.dur(&c.EventsRetention, "events-retention", 72*time.Hour, "how long the event log keeps click events (0: forever)")
	b.str(&c.EventsCompression, "events-compression", "auto", "how the event log stores each batch's event lines: gzip, snappy, none, or auto (gzip on Redis and JetStream, snappy in the embedded store)")
	b.str(&c.EventsURL, "events-url", "", "NATS JetStream for the event log: nats://host:4222[,host2…] or tls://… (counters stay in the store); also $HUTONG_EVENTS_URL")
	b.int(&c.EventsReplicas, "events-replicas", 1, "JetStream stream replicas (1, 3 or 5)")
	b.str(&c.EventsInstance, "events-instance", "", "this instance's subject token, hutong.events.<instance> (default: the host name)")
	b.str(&c.EventsNATSCreds, "events-nats-creds", "", "NATS .creds file (JWT and NKey seed)")
	b.str(&c.EventsNATSNKey, "events-nats-nkey", "", "NATS NKey seed file")
	b.str(&c.EventsNATSTLSCA, "events-nats-tls-ca", "", "PEM CAs for the NATS server certificate")
	b.str(&c.EventsNATSTLSCert, "events-nats-tls-cert", "", "NATS client certificate (mutual TLS)")
	b.str(&c.EventsNATSTLSKey, "events-nats-tls-key", "", "NATS client key (mutual TLS)")
	b.int(&c.EventsShards, "events-shards", 0, "Redis event shards (0: 1, or 8 on a Cluster); fixed once events are written")
	b.int(&c.EventsMaxLen, "events-max-len", 0, "cap on batch records per Redis shard, a memory bound (0: none)")
	b.dur(&c.ReadTimeout, "read-timeout", 5*time.Second, "HTTP read timeout")
	b.dur(&c.WriteTimeout, "write-timeout", 10*time.Second, "HTTP write timeout")
	b.dur(&c.IdleTimeout, "idle-timeout", 60*time.Second, "HTTP keep-alive idle timeout")
	b.dur(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "grace period for in-flight requests on SIGTERM")
	b.str(&c.DebugListen, "debug-listen", "", "serve pprof profiles (/debug/pprof/) on this address, e.g. 127.0.0.1:6060 (off by default; keep it private)")
	b.str(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	b.str(&c.LogFormat, "log-format", "json", "json or text")
	if b.err != nil {
		return c, b.err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("hutong serve: unexpected argument %q", fs.Arg(0))
	}
	return c, c.Validate()
}

// redirectTarget reports whether r is a redirect target an operator may
// configure: a local path ("/…", not "//…" or "/\\…", which browsers read
// as another host) or an absolute http(s) URL with a host; no spaces or
// control characters.
func redirectTarget(r string) bool {
	for i := 0; i < len(r); i++ {
		if r[i] <= ' ' || r[i] == 0x7f {
			return false
		}
	}
	u, err := url.Parse(r)
	if err != nil {
		return false
	}
	if u.Scheme == "" && u.Host == "" {
		return strings.HasPrefix(r, "/") && !strings.HasPrefix(r, "//") && !strings.HasPrefix(r, "/\\")
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// EventsOn reports whether taps are recorded (--events on).
func (c Serve) EventsOn() bool { return c.Events != "off" }

// Validate checks values that flag parsing cannot.
func (c Serve) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: want host:port such as :8080 (%v)", c.Listen, err))
	}
	if c.DebugListen != "" {
		if _, _, err := net.SplitHostPort(c.DebugListen); err != nil {
			errs = append(errs, fmt.Errorf("--debug-listen %q: want host:port such as 127.0.0.1:6060 (%v)", c.DebugListen, err))
		}
	}
	if c.Data == "" {
		errs = append(errs, errors.New("--data: must not be empty"))
	}
	errs = append(errs, c.Domain.validate()...)
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("--base-url %q: want an origin such as https://hut.ong", c.BaseURL))
		}
	}
	if r := c.RootRedirect; r != "" && r != "off" && r != "auto" && !redirectTarget(r) {
		errs = append(errs, fmt.Errorf("--root-redirect %q: want a path such as /ui/, an http(s) URL, auto or off", r))
	}
	if r := c.NotFoundURL; r != "" && !redirectTarget(r) {
		errs = append(errs, fmt.Errorf("--not-found-url %q: want a path on this host such as /404.html or an http(s) URL such as https://shop.example/", r))
	}
	if c.ExpandBaseURL != "" {
		u, err := url.Parse(c.ExpandBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--expand-base-url %q: want an absolute http(s) URL", c.ExpandBaseURL))
		}
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				errs = append(errs, fmt.Errorf("--trusted-proxies: %q is neither an IP nor a CIDR", p))
			}
		}
	}
	switch c.IPPolicy {
	case "truncate", "none":
	case "hash":
		if len(c.IPHashKey) < 16 {
			errs = append(errs, errors.New("--ip-policy=hash needs --ip-hash-key of at least 16 characters"))
		}
	default:
		errs = append(errs, fmt.Errorf("--ip-policy %q: want truncate, hash or none", c.IPPolicy))
	}
	if (c.TOPAppKey == "") != (c.TOPAppSecret == "") {
		errs = append(errs, errors.New("--top-app-key and --top-app-secret go together: set both or neither"))
	}
	switch c.TOPSignMethod {
	case "md5", "hmac", "hmac-sha256":
	default:
		errs = append(errs, fmt.Errorf("--top-sign-method %q: want md5, hmac or hmac-sha256", c.TOPSignMethod))
	}
	switch c.TOPDecodeMethod {
	case "tpwd.query":
	case "link.parse":
		if c.TOPAdzoneID == "" && c.TOPAppKey != "" {
			errs = append(errs, errors.New("--top-decode-method link.parse needs --top-adzone-id (the third number of your mm_x_y_z pid)"))
		}
	default:
		errs = append(errs, fmt.Errorf("--top-decode-method %q: want tpwd.query or link.parse", c.TOPDecodeMethod))
	}
	switch c.EventsCompression {
	case "auto", "gzip", "snappy", "none":
	default:
		errs = append(errs, fmt.Errorf("--events-compression %q: want auto, gzip, snappy or none", c.EventsCompression))
	}
	switch c.Events {
	case "on":
	case "off":
		if c.Postbacks != "" {
			errs = append(errs, errors.New("--postbacks needs click events: drop --events off, or --postbacks"))
		}
	default:
		errs = append(errs, fmt.Errorf("--events %q: want on or off", c.Events))
	}
	if c.EventsShards < 0 || c.EventsShards > 1024 {
		errs = append(errs, fmt.Errorf("--events-shards must be 0 to 1024, got %d", c.EventsShards))
	}
	if c.EventsMaxLen < 0 {
		errs = append(errs, fmt.Errorf("--events-max-len must be 0 or positive, got %d", c.EventsMaxLen))
	}
	if c.CursorSecret != "" && len(c.CursorSecret) < 16 {
		errs = append(errs, errors.New("--cursor-secret must be at least 16 characters (or unset: generated once and kept in the store)"))
	}
	if c.StaleIfError < 0 || c.StaleIfError > 24*time.Hour {
		errs = append(errs, fmt.Errorf("--stale-if-error must be between 0 (off) and 24h, got %v", c.StaleIfError))
	}
	if c.EventFlushInterval <= 0 || c.EventFlushInterval > time.Minute {
		errs = append(errs, fmt.Errorf("--event-flush-interval must be between 1ms and 1m, got %v", c.EventFlushInterval))
	}
	if c.EventBatchSize > 4096 {
		errs = append(errs, fmt.Errorf("--event-batch-size must be at most 4096, got %d", c.EventBatchSize))
	}
	for name, v := range map[string]int{"--link-cache-size": c.LinkCacheSize, "--ua-cache-size": c.UACacheSize, "--max-input": c.MaxInput, "--event-batch-size": c.EventBatchSize} {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", name, v))
		}
	}
	if _, err := c.MemoryLimitBytes(); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want json or text", c.LogFormat))
	}
	return errors.Join(errs...)
}

// EnvName is the environment variable of a flag: "trusted-proxies" →
// "HUTONG_TRUSTED_PROXIES".
func EnvName(flagName string) string {
	return "HUTONG_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// binder registers flags whose defaults come from the environment.
type binder struct {
	fs  *flag.FlagSet
	env Env
	err error
}

func (b *binder) lookup(name string) (string, bool) {
	if b.env == nil {
		return "", false
	}
	return b.env(EnvName(name))
}

func (b *binder) usage(name, u string) string { return u + " [$" + EnvName(name) + "]" }

func (b *binder) str(p *string, name, def, u string) {
	if v, ok := b.lookup(name); ok {
		def = v
	}
	b.fs.StringVar(p, name, def, b.usage(name, u))
}

func (b *binder) int(p *int, name string, def int, u string) {
	if v, ok := b.lookup(name); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			b.fail(fmt.Errorf("%s=%q: not an integer", EnvName(name), v))
		} else {
			def = n
		}
	}
	b.fs.IntVar(p, name, def, b.usage(name, u))
}

func (b *binder) dur(p *time.Duration, name string, def time.Duration, u string) {
	if v, ok := b.lookup(name); ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			b.fail(fmt.Errorf("%s=%q: not a duration such as 1.5s or 200ms", EnvName(name), v))
		} else {
			def = d
		}
	}
	b.fs.DurationVar(p, name, def, b.usage(name, u))
}

func (b *binder) list(p *[]string, name, u string) {
	if v, ok := b.lookup(name); ok {
		*p = splitList(v)
	}
	b.fs.Func(name, b.usage(name, u), func(s string) error {
		*p = splitList(s)
		return nil
	})
}

func (b *binder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// AutoMemoryLimit is the soft memory limit "auto" picks: 24 MiB for the
// runtime, buffers and the event queue, about 600 B per link-cache entry,
// 1 KiB per User-Agent cache entry and 16 MiB for the decision and page
// caches, and never less than 64 MiB. With the defaults (50,000 links,
// 10,000 UAs) that is about 78 MiB, which kept RSS under 100 MiB with 1M
// links in Redis (BENCHMARKS.md). The limit is soft: past it the GC works
// harder, it does not fail allocations.
func (c Serve) AutoMemoryLimit() int64 {
	n := int64(24<<20) + int64(c.LinkCacheSize)*600 + int64(c.UACacheSize)*1024 + 16<<20
	return max(n, 64<<20)
}

// MemoryLimitBytes is the soft memory limit to apply, 0 for none.
func (c Serve) MemoryLimitBytes() (int64, error) {
	v := strings.TrimSpace(c.MemoryLimit)
	switch strings.ToLower(v) {
	case "", "auto":
		return c.AutoMemoryLimit(), nil
	case "off", "0":
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(v, u.suffix); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
			if err != nil || n <= 0 {
				break
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("--memory-limit %q: want auto, off, or a size such as 256MiB", c.MemoryLimit)
}
