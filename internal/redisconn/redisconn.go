// Package redisconn turns a Redis URL into a go-redis UniversalClient for a
// single node, Sentinel or Cluster, with explicit pool sizes and timeouts.
// It does no I/O until the client is used; the caller pings and closes it.
//
// URL forms (userinfo, path and query are optional):
//
//	redis://[user:pass@]host:port[/db]            single node (TLS: rediss://)
//	redis://host1:6379,host2:6379                 several addresses: Cluster (go-redis UniversalClient rule)
//	redis+sentinel://[user:pass@]h1:26379,h2:26379/mymaster[/db]
//	redis+sentinel://h1:26379?master=mymaster&db=2
//	redis+cluster://host1:7000,host2:7001[?addr=host3:7002]   (rediss+cluster:// for TLS)
//
// Query parameters: db, addr (repeatable, extra addresses), master,
// client_name, pool_size, min_idle_conns, max_retries (-1: none),
// dial_timeout, read_timeout, write_timeout, pool_timeout (Go durations),
// sentinel_username, sentinel_password, read_only, route_by_latency,
// route_randomly, skip_verify (TLS), cluster_reload (Cluster: how often the
// slot map is reloaded, default 2s). Unknown parameters are an error. URL
// parameters override Config, which overrides the defaults. Userinfo is the
// data node's credentials; Sentinel's own come from sentinel_username and
// sentinel_password.
package redisconn

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults used when neither Config nor the URL sets a value.
const (
	DefaultPoolSize     = 32
	DefaultMinIdleConns = 4
	DefaultMaxRetries   = 2
	DefaultDialTimeout  = 2 * time.Second
	DefaultReadTimeout  = 1 * time.Second
	DefaultWriteTimeout = 1 * time.Second
	DefaultPoolTimeout  = 2 * time.Second
	// DefaultClusterReload is how old a Cluster client's slot map may get
	// before the next command reloads it in the background. go-redis' own
	// default is 60s, which kept taps failing for up to a minute after a
	// master's replica was promoted (a refused connection is no MOVED).
	DefaultClusterReload = 2 * time.Second
)

// Config holds client settings that are not part of the URL. The zero value
// uses the defaults above.
type Config struct {
	// PoolSize is the connection pool size per node. Optional. Default: 32.
	// "pool timeout" errors mean it is too small.
	PoolSize int
	// MinIdleConns kept open per node. Optional. Default: 4.
	MinIdleConns int
	// MaxRetries per command; -1 disables retries. Optional. Default: 2.
	MaxRetries int
	// DialTimeout. Optional. Default: 2s.
	DialTimeout time.Duration
	// ReadTimeout and WriteTimeout per command. Optional. Default: 1s each.
	// A context deadline, when shorter, wins (ContextTimeoutEnabled is on).
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// PoolTimeout is how long a command waits for a free connection.
	// Optional. Default: 2s.
	PoolTimeout time.Duration
	// ClientName is sent with CLIENT SETNAME. Optional. Default: "hutong".
	ClientName string
	// ClusterReload is how often a Cluster client reloads its slot map (the
	// URL's cluster_reload wins). Optional. Default: 2s.
	ClusterReload time.Duration
	// TLSConfig is the base TLS configuration for rediss:// URLs (cloned;
	// ServerName is set from the first host when empty). Optional.
	TLSConfig *tls.Config
}

// New parses rawURL (see the package doc) and returns the client. The
// caller closes it.
//
// A Cluster (redis+cluster://, or several addresses without Sentinel) is a
// *redis.ClusterClient built from ClusterOptions, so that its slot map
// reloads every ClusterReload and at once when dialling a node fails (a
// killed master refuses connections; go-redis alone waits for a MOVED or the
// reload interval).
func New(rawURL string, cfg Config) (redis.UniversalClient, error) {
	opts, reload, err := parse(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	if opts.MasterName == "" && (opts.IsClusterMode || len(opts.Addrs) > 1) {
		return newCluster(opts.Cluster(), reload), nil
	}
	return redis.NewUniversalClient(opts), nil
}

// ClusterOptions parses a Cluster URL (see the package doc) into the
// options New uses, with ClusterStateReloadInterval set.
func ClusterOptions(rawURL string, cfg Config) (*redis.ClusterOptions, error) {
	opts, reload, err := parse(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	if opts.MasterName != "" || !(opts.IsClusterMode || len(opts.Addrs) > 1) {
		return nil, fmt.Errorf("redis URL: not a Cluster URL")
	}
	co := opts.Cluster()
	co.ClusterStateReloadInterval = reload
	return co, nil
}

func newCluster(co *redis.ClusterOptions, reload time.Duration) *redis.ClusterClient {
	co.ClusterStateReloadInterval = reload
	var cc atomic.Pointer[redis.ClusterClient]
	dialer := co.Dialer
	if dialer == nil {
		nd := &net.Dialer{Timeout: co.DialTimeout, KeepAlive: 5 * time.Minute}
		tlsConf := co.TLSConfig
		dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if tlsConf != nil {
				return (&tls.Dialer{NetDialer: nd, Config: tlsConf}).DialContext(ctx, network, addr)
			}
			return nd.DialContext(ctx, network, addr)
		}
	}
	co.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer(ctx, network, addr)
		if err != nil {
			if c := cc.Load(); c != nil {
				// Lazy and coalesced by go-redis: one reload at a time.
				c.ReloadState(ctx)
			}
		}
		return conn, err
	}
	c := redis.NewClusterClient(co)
	cc.Store(c)
	return c
}

// Options parses rawURL into UniversalOptions with cfg and the defaults
// applied. It always sets ContextTimeoutEnabled, and IsClusterMode for
// redis+cluster:// URLs. Errors name the part of the URL to fix; they never
// contain the password. UniversalOptions has no slot-map reload interval:
// New and ClusterOptions apply cluster_reload.
func Options(rawURL string, cfg Config) (*redis.UniversalOptions, error) {
	o, _, err := parse(rawURL, cfg)
	return o, err
}

// parse returns the options and the Cluster slot-map reload interval.
func parse(rawURL string, cfg Config) (*redis.UniversalOptions, time.Duration, error) {
	reload := or(cfg.ClusterReload, DefaultClusterReload)
	o, err := options(rawURL, cfg, &reload)
	if err != nil {
		return nil, 0, err
	}
	return o, reload, nil
}

func options(rawURL string, cfg Config, reload *time.Duration) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("redis URL: missing scheme (redis://, rediss://, redis+sentinel://, redis+cluster://)")
	}
	var useTLS, sentinel, cluster bool
	switch strings.ToLower(scheme) {
	case "redis":
	case "rediss":
		useTLS = true
	case "redis+sentinel":
		sentinel = true
	case "rediss+sentinel":
		sentinel, useTLS = true, true
	case "redis+cluster":
		cluster = true
	case "rediss+cluster":
		cluster, useTLS = true, true
	default:
		return nil, fmt.Errorf("redis URL: unknown scheme %q", scheme)
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	var userinfo string
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, authority = authority[:i], authority[i+1:]
	}
	o := &redis.UniversalOptions{
		ContextTimeoutEnabled: true,
		PoolSize:              or(cfg.PoolSize, DefaultPoolSize),
		MinIdleConns:          or(cfg.MinIdleConns, DefaultMinIdleConns),
		MaxRetries:            or(cfg.MaxRetries, DefaultMaxRetries),
		DialTimeout:           or(cfg.DialTimeout, DefaultDialTimeout),
		ReadTimeout:           or(cfg.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:          or(cfg.WriteTimeout, DefaultWriteTimeout),
		PoolTimeout:           or(cfg.PoolTimeout, DefaultPoolTimeout),
		ClientName:            or(cfg.ClientName, "hutong"),
		IsClusterMode:         cluster,
	}
	if userinfo != "" {
		user, pass, hasPass := strings.Cut(userinfo, ":")
		var err error
		if o.Username, err = url.PathUnescape(user); err != nil {
			return nil, fmt.Errorf("redis URL: bad user name encoding")
		}
		if !hasPass && sentinel {
			// redis+sentinel://pass@host: a lone value is the password.
			o.Username, o.Password = "", o.Username
		}
		if hasPass {
			if o.Password, err = url.PathUnescape(pass); err != nil {
				return nil, fmt.Errorf("redis URL: bad password encoding")
			}
		}
	}
	defaultPort := "6379"
	if sentinel {
		defaultPort = "26379"
	}
	for _, h := range strings.Split(authority, ",") {
		if h == "" {
			continue
		}
		a, err := hostPort(h, defaultPort)
		if err != nil {
			return nil, err
		}
		o.Addrs = append(o.Addrs, a)
	}
	// Path: /db, or for Sentinel /master[/db].
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		segs = nil
	}
	if sentinel && len(segs) > 0 {
		o.MasterName, segs = segs[0], segs[1:]
	}
	switch {
	case len(segs) == 1:
		db, err := strconv.Atoi(segs[0])
		if err != nil || db < 0 {
			return nil, fmt.Errorf("redis URL: database %q is not a number", segs[0])
		}
		o.DB = db
	case len(segs) > 1:
		return nil, fmt.Errorf("redis URL: unexpected path /%s", path)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("redis URL: bad query: %v", err)
	}
	var skipVerify bool
	for name, vals := range q {
		v := vals[len(vals)-1]
		var err error
		switch name {
		case "addr":
			for _, a := range vals {
				for _, h := range strings.Split(a, ",") {
					hp, err := hostPort(h, defaultPort)
					if err != nil {
						return nil, err
					}
					o.Addrs = append(o.Addrs, hp)
				}
			}
		case "db":
			o.DB, err = strconv.Atoi(v)
		case "master":
			o.MasterName = v
		case "client_name":
			o.ClientName = v
		case "pool_size":
			o.PoolSize, err = strconv.Atoi(v)
		case "min_idle_conns":
			o.MinIdleConns, err = strconv.Atoi(v)
		case "max_retries":
			o.MaxRetries, err = strconv.Atoi(v)
		case "dial_timeout":
			o.DialTimeout, err = time.ParseDuration(v)
		case "read_timeout":
			o.ReadTimeout, err = time.ParseDuration(v)
		case "write_timeout":
			o.WriteTimeout, err = time.ParseDuration(v)
		case "pool_timeout":
			o.PoolTimeout, err = time.ParseDuration(v)
		case "sentinel_username":
			o.SentinelUsername = v
		case "sentinel_password":
			o.SentinelPassword = v
		case "read_only":
			o.ReadOnly, err = strconv.ParseBool(v)
		case "route_by_latency":
			o.RouteByLatency, err = strconv.ParseBool(v)
		case "route_randomly":
			o.RouteRandomly, err = strconv.ParseBool(v)
		case "skip_verify":
			skipVerify, err = strconv.ParseBool(v)
		case "cluster_reload":
			*reload, err = time.ParseDuration(v)
			if err == nil && *reload <= 0 {
				err = fmt.Errorf("must be positive")
			}
		default:
			return nil, fmt.Errorf("redis URL: unknown parameter %q", name)
		}
		if err != nil {
			return nil, fmt.Errorf("redis URL: parameter %s=%q: %v", name, v, err)
		}
	}
	if len(o.Addrs) == 0 {
		return nil, fmt.Errorf("redis URL: no host")
	}
	if sentinel && o.MasterName == "" {
		return nil, fmt.Errorf("redis URL: Sentinel needs a master name (redis+sentinel://host:26379/mymaster or ?master=)")
	}
	if !sentinel && o.MasterName != "" {
		return nil, fmt.Errorf("redis URL: master is only for redis+sentinel://")
	}
	if cluster && o.DB != 0 {
		return nil, fmt.Errorf("redis URL: Redis Cluster has only database 0")
	}
	if o.PoolSize <= 0 || o.MinIdleConns < 0 {
		return nil, fmt.Errorf("redis URL: pool_size must be positive and min_idle_conns not negative")
	}
	if useTLS {
		t := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.TLSConfig != nil {
			t = cfg.TLSConfig.Clone()
		}
		if t.ServerName == "" {
			t.ServerName, _, _ = net.SplitHostPort(o.Addrs[0])
		}
		if skipVerify {
			t.InsecureSkipVerify = true
		}
		o.TLSConfig = t
	}
	return o, nil
}

func hostPort(h, defaultPort string) (string, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", fmt.Errorf("redis URL: empty host")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port (or a bare IPv6 literal in brackets).
		host, port = strings.Trim(h, "[]"), defaultPort
	}
	if host == "" {
		host = "localhost"
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("redis URL: bad port in %q", h)
	}
	return net.JoinHostPort(host, port), nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
