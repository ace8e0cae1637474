package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/postback"
	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/internal/server"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/resolver/remote"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
)

// runServe runs the service until ctx is cancelled (SIGINT/SIGTERM), then
// shuts down gracefully. SIGHUP reloads the rules file.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.ParseServe(args, os.LookupEnv, stderr)
	if err != nil {
		if errors.Is(err, config.ErrHelp) {
			return errHelp
		}
		return usageError{err.Error()}
	}
	// Catch SIGHUP before anything else: its default action ends the
	// process, and an operator (or a test) may send it as soon as the
	// "serving" line appears.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	m := NewMain(cfg, stderr)
	applyMemoryLimit(cfg, m.Logger)
	if err := m.Run(ctx); err != nil {
		m.Close(context.Background())
		return err
	}
	m.Logger.Info("hutong serving", "addr", m.Addr(), "ui", m.UIURL(), "store", m.storeName(), "rules", m.rulesName(), "version", version)
	m.printFirstRun(stdout)
	for {
		select {
		case <-hup:
			if err := m.Reload(); err != nil {
				m.Logger.Error("rules reload failed; keeping the rules in force", "file", cfg.Rules, "err", err)
			} else {
				m.Logger.Info("rules reloaded", "file", cfg.Rules)
			}
		case err := <-m.serveErr:
			m.Close(context.Background())
			return fmt.Errorf("server stopped: %w", err)
		case <-ctx.Done():
			m.Logger.Info("shutting down", "grace", cfg.ShutdownTimeout)
			sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			return m.Close(sctx)
		}
	}
}

// Main is the whole service, built from a config.Serve. Tests run it on
// 127.0.0.1:0 and talk to Addr over real TCP.
type Main struct {
	Config config.Serve
	Logger *slog.Logger

	ln       net.Listener
	debugLn  net.Listener // --debug-listen, nil when off
	srv      *server.Server
	serveErr chan error

	rules    *route.Holder
	rdb      redis.UniversalClient
	events   *track.RedisSink // the Redis event log, nil embedded
	natsLog  *track.NATSLog   // the JetStream event log (--events-url), nil otherwise
	store    shortlink.Store
	links    *shortlink.CachedStore
	service  *shortlink.Service
	recorder *track.Recorder
	stats    track.Querier
	closers  []func(context.Context) error

	// FirstKey is the admin key secret made at start for an empty store
	// with no --initial-api-key ("" otherwise); printed once by serve.
	FirstKey string
	localKey string // secret of the local CLI key (control file), embedded store only
}

// NewMain returns a Main for cfg logging to logOut.
func NewMain(cfg config.Serve, logOut io.Writer) *Main {
	return &Main{Config: cfg, Logger: newLogger(cfg, logOut), serveErr: make(chan error, 1)}
}

func newLogger(cfg config.Serve, out io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	o := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(out, o))
	}
	return slog.New(slog.NewJSONHandler(out, o))
}

// Run opens the stores, builds the server and starts serving in the
// background. On error, call Close to release what was opened.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("--data %s: %w", cfg.Data, err)
	}

	// Routing rules: embedded defaults, or the file over them.
	ropts := []route.Option{route.WithExtraHosts(cfg.Allow...)}
	table, err := m.loadRules(ropts)
	if err != nil {
		return err
	}
	m.rules = route.NewHolder(table, ropts...)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// Stores: Redis when --redis is set, else the embedded bbolt files.
	var sink track.Sink
	var ready []server.Check
	if cfg.Redis != "" {
		rdb, err := redisconn.New(cfg.Redis, redisconn.Config{})
		if err != nil {
			return fmt.Errorf("--redis: %w", err)
		}
		m.rdb = rdb
		m.closers = append(m.closers, func(context.Context) error { return rdb.Close() })
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = rdb.Ping(pctx).Err()
		cancel()
		if err != nil {
			// Start anyway: warm caches and the spill file keep taps going;
			// /readyz reports the outage.
			m.Logger.Warn("redis not reachable at start", "err", err)
		}
		minReplicas := cfg.RedisMinReplicas
		if minReplicas < 0 {
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			minReplicas = redisconn.DefaultMinReplicas(rctx, rdb)
			cancel()
		}
		m.Logger.Info("capped links and click-event batches wait for replicas", "redis_min_replicas", minReplicas)
		m.store = redisstore.New(rdb, redisstore.Options{MinReplicas: minReplicas})
		shards := cfg.EventsShards
		if _, cluster := rdb.(*redis.ClusterClient); shards == 0 && cluster {
			shards = 8 // spread over the masters
		}
		rs := track.NewRedisSink(rdb, track.RedisConfig{Shards: shards, Retention: retention(cfg.EventsRetention), MaxLen: int64(cfg.EventsMaxLen), NoLog: cfg.EventsURL != "", MinReplicas: minReplicas, Encoding: eventsEncoding(cfg, false)})
		if err == nil {
			ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := rs.Init(ictx)
			cancel()
			if errors.Is(err, track.ErrLayout) {
				return err
			} else if err != nil {
				m.Logger.Warn("event store not checked at start; the first write will", "err", err)
			}
		}
		m.events = rs
		sink = rs
	} else {
		bs, err := boltstore.Open(filepath.Join(cfg.Data, "links.db"), boltstore.Options{})
		if err != nil {
			return fmt.Errorf("embedded store %s: %w", filepath.Join(cfg.Data, "links.db"), err)
		}
		m.store = bs
		es, err := track.OpenBoltSink(filepath.Join(cfg.Data, "events.db"), track.BoltConfig{Retention: retention(cfg.EventsRetention), NoLog: cfg.EventsURL != "", Encoding: eventsEncoding(cfg, true)})
		if err != nil {
			return fmt.Errorf("embedded event store %s: %w", filepath.Join(cfg.Data, "events.db"), err)
		}
		sink = es
		m.closers = append(m.closers, func(context.Context) error { return es.Close() })
	}
	m.closers = append(m.closers, func(context.Context) error { return m.store.Close() })
	storeReady := m.store.Ping
	if m.rdb != nil {
		// Redis: the keys hutong needs answer (every Cluster slot range,
		// the Sentinels' master), not only a PING (redisconn.Probe).
		probe, err := redisconn.NewProbe(cfg.Redis, m.rdb, redisconn.Config{})
		if err != nil {
			return fmt.Errorf("--redis: %w", err)
		}
		storeReady = probe.Check
	}
	ready = append(ready, server.Check{Name: "store", Func: storeReady})
	if cfg.EventsURL != "" {
		if sink, err = m.openNATSLog(ctx, cfg, sink, reg); err != nil {
			return fmt.Errorf("--events-url: %w", err)
		}
	}

	var bus shortlink.InvalidationBus // none on the embedded store
	if m.rdb != nil {
		bus = redisstore.NewPubSub(m.rdb, "", m.Logger)
	}
	m.links, err = shortlink.NewCachedStore(m.store, shortlink.CacheConfig{
		MaxEntries: cfg.LinkCacheSize, Bus: bus, Logger: m.Logger,
		StaleIfError: cfg.StaleIfError,
	})
	if err != nil {
		return err
	}
	m.closers = append(m.closers, func(context.Context) error { return m.links.Close() })
	registerCacheMetrics(reg, m.links)
	m.service = shortlink.NewService(m.links, shortlink.ServiceConfig{CursorKey: m.cursorKey(ctx)}) // cursorkey.go
	if cfg.InitialAPIKey != "" {
		created, err := m.service.EnsureInitialKey(ctx, cfg.InitialAPIKey)
		if err != nil {
			return fmt.Errorf("--initial-api-key: %w", err)
		}
		if created {
			m.Logger.Info("created the initial admin API key")
		}
	} else if err := m.firstRunKey(ctx); err != nil { // firstrun.go
		return err
	}

	tcfg := track.Config{SpillDir: cfg.Data, BatchSize: cfg.EventBatchSize, FlushInterval: cfg.EventFlushInterval, Registerer: reg, Logger: m.Logger}
	if cfg.Postbacks != "" {
		if err := m.startPostbacks(ctx, reg, &tcfg); err != nil {
			return err
		}
	}
	if cfg.EventsOn() {
		m.recorder, err = track.New(sink, tcfg)
		if err != nil {
			return fmt.Errorf("event recorder: %w", err)
		}
	} else {
		m.Logger.Info("click events are off (--events off): taps are not recorded; stats recorded before stay readable")
	}

	pg, err := pages.New()
	if err != nil {
		return err
	}
	var dec resolver.PasswordDecoder = remote.Disabled{}
	var minter shortlink.TpwdCreator
	if cfg.TOPAppKey != "" {
		// One Open Platform client (and circuit breaker) for decoding and
		// minting; minting is called only when a link is created.
		td := remote.NewTOPDecoder(topConfig(&cfg))
		dec, minter = td, remote.NewTpwdCreatorWith(td.Client())
	}
	keys := m.localKeys() // firstrun.go: the store's keys and the local CLI key
	deps := server.Deps{
		Rules:   m.rules,
		Clients: clientinfo.NewDetector(clientinfo.Config{CacheSize: cfg.UACacheSize}),
		Pages:   pg,
		Expander: remote.NewExpander(remote.ExpanderConfig{
			Timeout: cfg.ExpandTimeout,
			BaseURL: cfg.ExpandBaseURL,
		}),
		Decoder:       dec,
		Tpwd:          minter,
		Links:         m.links,
		Keys:          keys,
		Service:       m.service,
		IPPolicy:      ipPolicy(cfg),
		Metrics:       server.NewMetrics(reg),
		Gatherer:      reg,
		Ready:         ready,
		Logger:        m.Logger,
		ExpandTimeout: cfg.ExpandTimeout,
	}
	deps.Stats = sink
	if m.recorder != nil {
		deps.Events = m.recorder // not a nil *Recorder in the interface
	}
	m.stats = sink
	if m.rdb != nil {
		deps.LimiterStorage = redisconn.NewLimiterStorage(m.rdb, "hutong:ratelimit")
	}
	if cfg.QRLogo != "" {
		if deps.QRLogo, deps.QRLogoID, err = loadLogo(cfg.QRLogo); err != nil {
			return err
		}
	}
	if ds, ok := m.store.(shortlink.DomainStore); ok {
		pools, err := startDomainPools(ctx, cfg, ds, reg, m.Logger)
		if err != nil {
			return fmt.Errorf("domain pools (--domains, --base-url): %w", err)
		}
		m.closers = append(m.closers, pools.Close)
		deps.Domain = pools.deps()
	}
	m.srv, err = server.New(deps, server.Options{
		TrustedProxies: cfg.TrustedProxies,
		ReadTimeout:    cfg.ReadTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		IdleTimeout:    cfg.IdleTimeout,
		MaxInput:       cfg.MaxInput,
		BaseURL:        cfg.BaseURL,
		Domains:        cfg.Domains,
		WriteRateLimit: cfg.WriteRateLimit,
		RootRedirect:   rootRedirect(cfg.RootRedirect),
		NotFoundURL:    cfg.NotFoundURL,
	})
	if err != nil {
		return err
	}

	if cfg.DebugListen != "" {
		if err := m.startDebug(cfg.DebugListen); err != nil {
			return err
		}
	}
	m.ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", cfg.Listen, err)
	}
	go func() { m.serveErr <- m.srv.Serve(m.ln) }()
	return m.writeControl() // firstrun.go

}

// startDebug serves net/http/pprof on addr, apart from the public listener.
func (m *Main) startDebug(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--debug-listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	m.debugLn = ln
	go func() { _ = hs.Serve(ln) }()
	m.closers = append(m.closers, func(context.Context) error { return hs.Close() })
	m.Logger.Info("pprof profiles served", "addr", ln.Addr().String())
	return nil
}

// startPostbacks starts the postback worker: with --events-url a durable
// JetStream pull consumer on the event stream, on Redis a consumer group
// on the event streams (both at-least-once across restarts), embedded an
// in-process queue fed by the writer (taps not yet delivered at exit get
// none).
func (m *Main) startPostbacks(ctx context.Context, reg prometheus.Registerer, tcfg *track.Config) error {
	pcfg, err := loadPostbacks(m.Config.Postbacks)
	if err != nil {
		return err
	}
	pcfg.Registerer, pcfg.Logger = reg, m.Logger
	poster, err := postback.NewPoster(pcfg)
	if err != nil {
		return fmt.Errorf("--postbacks: %w", err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	switch {
	case m.natsLog != nil:
		w := postback.NewNATSWorker(m.natsLog, poster, postback.NATSWorkerConfig{})
		// The consumer exists before the first tap when NATS answers now
		// (a new consumer starts with the taps from then on); else Run
		// keeps trying.
		ictx, icancel := context.WithTimeout(ctx, 5*time.Second)
		if err := w.Init(ictx); err != nil {
			m.Logger.Warn("postback consumer not created at start; the worker keeps trying", "err", err)
		}
		icancel()
		done := make(chan struct{})
		go func() { defer close(done); _ = w.Run(wctx) }()
		// Closers run in reverse: this one (NAK the unfinished batches)
		// before the NATS connection closes.
		m.closers = append(m.closers, func(c context.Context) error {
			cancel()
			select {
			case <-done:
				return nil
			case <-c.Done():
				return c.Err()
			}
		})
		m.Logger.Info("postbacks from the JetStream consumer", "stream", m.natsLog.Stream(), "consumer", "hutong-postbacks")
		return nil
	case m.rdb != nil:
		m.closers = append(m.closers, func(context.Context) error { cancel(); return nil })
		w := postback.NewWorker(m.events, poster, postback.WorkerConfig{})
		go w.Run(wctx)
		return nil
	}
	m.closers = append(m.closers, func(context.Context) error { cancel(); return nil })
	lp := postback.NewLocal(poster, 10000, func(d postback.DeadLetter) {
		m.Logger.Warn("postback dead-lettered", "postback", d.Postback, "visit_id", d.VisitID, "reason", d.Reason)
	})
	tcfg.AfterWrite = lp.Enqueue
	go lp.Run(wctx, 4)
	return nil
}

// retention maps --events-retention to the sinks' Retention (0: forever).
func retention(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// DebugAddr is the address of the --debug-listen listener, "" when off.
func (m *Main) DebugAddr() string {
	if m.debugLn == nil {
		return ""
	}
	return m.debugLn.Addr().String()
}

// Addr is the address the server listens on (useful with --listen :0).
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// Reload re-reads the rules file; on any error the rules in force stay.
func (m *Main) Reload() error {
	if m.Config.Rules == "" {
		return errors.New("no --rules file to reload (running on the embedded defaults)")
	}
	return m.rules.Reload(m.Config.Rules)
}

// Close drains in-flight requests, flushes the event buffer and closes the
// stores, in that order, within ctx.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	if m.srv != nil {
		if err := m.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if m.recorder != nil {
		if err := m.recorder.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("event flush: %w", err))
		}
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	m.closers = nil
	return errors.Join(errs...)
}

func (m *Main) loadRules(opts []route.Option) (*route.Table, error) {
	if m.Config.Rules == "" {
		t, err := route.New(opts...)
		if err != nil {
			return nil, fmt.Errorf("--allow: %w", err)
		}
		return t, nil
	}
	t, err := route.LoadFile(m.Config.Rules, opts...)
	if err != nil {
		return nil, fmt.Errorf("--rules: %w", err)
	}
	return t, nil
}

func (m *Main) storeName() string {
	if m.Config.Redis != "" {
		return "redis"
	}
	return "embedded:" + m.Config.Data
}

func (m *Main) rulesName() string {
	if m.Config.Rules == "" {
		return "defaults"
	}
	return m.Config.Rules
}

// eventsEncoding maps --events-compression (checked by config) to a
// sink's Encoding. "auto" is gzip where the bytes are shared memory or a
// replicated log (Redis, JetStream) and Snappy in the embedded store,
// whose bytes are local disk and whose CPU is the tap's core.
func eventsEncoding(cfg config.Serve, embedded bool) track.Encoding {
	if cfg.EventsCompression == "auto" {
		if embedded {
			return track.EncodingSnappy
		}
		return track.EncodingGzip
	}
	enc, _ := track.ParseEncoding(cfg.EventsCompression)
	return enc
}

func ipPolicy(cfg config.Serve) track.IPPolicy {
	switch cfg.IPPolicy {
	case "hash":
		return track.IPPolicy{Mode: track.IPHash, Key: []byte(cfg.IPHashKey)}
	case "none":
		return track.IPPolicy{Mode: track.IPDrop}
	}
	return track.IPPolicy{Mode: track.IPTruncate}
}

// registerCacheMetrics exports the link cache's counters, read at scrape
// time (the cache keeps them as atomics; nothing is added to the tap path).
func registerCacheMetrics(reg prometheus.Registerer, c *shortlink.CachedStore) {
	counter := func(name, help string, f func(shortlink.CacheStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f(c.Stats())) })
	}
	reg.MustRegister(
		counter("hutong_link_cache_hits_total", "Link lookups answered from the in-process cache (including negative entries).", func(s shortlink.CacheStats) uint64 { return s.Hits }),
		counter("hutong_link_cache_misses_total", "Link lookups that missed the in-process cache.", func(s shortlink.CacheStats) uint64 { return s.Misses }),
		counter("hutong_link_store_loads_total", "Store reads made on cache misses (after singleflight).", func(s shortlink.CacheStats) uint64 { return s.Loads }),
		counter("hutong_link_store_reads_total", "Store round trips made for those loads (several misses are read in one when the store allows).", func(s shortlink.CacheStats) uint64 { return s.Reads }),
		counter("hutong_link_cache_stale_total", "Link lookups answered from a cache entry past its TTL because the store could not be read (--stale-if-error).", func(s shortlink.CacheStats) uint64 { return s.Stale }),
		counter("hutong_link_store_errors_total", "Store reads on cache misses that failed.", func(s shortlink.CacheStats) uint64 { return s.LoadErrors }),
		counter("hutong_link_invalidation_publish_errors_total", "Cache invalidations that could not be published to other instances.", func(s shortlink.CacheStats) uint64 { return s.PublishErrors }),
		counter("hutong_link_invalidations_received_total", "Cache invalidations received from other instances.", func(s shortlink.CacheStats) uint64 { return s.Received }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hutong_link_cache_entries", Help: "Entries in the in-process link cache (estimate)."},
			func() float64 { return float64(c.Len()) }),
	)
}

// applyMemoryLimit sets the Go soft memory limit from --memory-limit unless
// GOMEMLIMIT is set: RSS then follows the configured cache sizes instead of
// growing with GC headroom (see README, Memory).
func applyMemoryLimit(cfg config.Serve, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	n, err := cfg.MemoryLimitBytes()
	if err != nil || n == 0 {
		return
	}
	debug.SetMemoryLimit(n)
	log.Debug("soft memory limit", "bytes", n)
}

// topConfig is the Taobao Open Platform client configuration of serve.
func topConfig(cfg *config.Serve) remote.TOPConfig {
	method := remote.TOPTpwdQueryMethod
	if cfg.TOPDecodeMethod == "link.parse" {
		method = remote.TOPLinkParseMethod
	}
	return remote.TOPConfig{
		AppKey: cfg.TOPAppKey, AppSecret: cfg.TOPAppSecret, GatewayURL: cfg.TOPGateway,
		SignMethod: cfg.TOPSignMethod, DecodeMethod: method, AdzoneID: cfg.TOPAdzoneID, Timeout: cfg.TOPTimeout,
	}
}
