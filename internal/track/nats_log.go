package track

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// NATS message headers of a batch record (besides Nats-Msg-Id). The
// payload is the batch's event lines (AppendEventLines), gzip-compressed
// unless NATSConfig.Encoding is EncodingNone.
const (
	HeaderVersion = "v"    // "2"
	HeaderWriter  = "w"    // the batch's Writer
	HeaderSeq     = "seq"  // the batch's Seq, decimal
	HeaderCount   = "n"    // events in this message's payload
	HeaderPart    = "part" // "k/K" (k from 0) when a batch did not fit one message; absent otherwise
	HeaderEnc     = "enc"  // "gzip" or "snappy" when the payload is the lines so compressed (Encoding); absent otherwise
)

// NATSConfig configures a NATSLog. Fields marked Optional have defaults.
type NATSConfig struct {
	// Stream is the JetStream stream name. Optional. Default: "HUTONG_EVENTS".
	Stream string
	// SubjectPrefix is the subject prefix; the stream holds
	// SubjectPrefix + ".>" and this process publishes on
	// SubjectPrefix + "." + Instance. Optional. Default: "hutong.events".
	SubjectPrefix string
	// Instance names this hutong instance in the subject (one subject
	// token: dots, spaces and wildcards become "_"). Optional. Default:
	// "default"; cmd/hutong passes the host name.
	Instance string
	// MaxAge is the stream's retention. Optional. Default: 72h. Negative:
	// no age limit.
	MaxAge time.Duration
	// Replicas is the stream's replica count (1, 3 or 5 on a cluster).
	// Optional. Default: 1.
	Replicas int
	// Duplicates is the stream's Nats-Msg-Id window: a batch published
	// twice within it is stored once. Optional. Default: 10m. hutong does
	// not rely on it alone: after a failed publish (and at start) it asks
	// the stream for the last message on its subject and skips or resumes
	// a batch already stored, whatever its age (see AppendBatch).
	Duplicates time.Duration
	// MaxBytes caps the stream's size on disk (oldest messages go first).
	// Optional. Default: no cap (retention by MaxAge only).
	MaxBytes int64
	// Encoding is how a message's event lines are stored. Optional.
	// Default: EncodingGzip.
	Encoding Encoding
	// Registerer receives hutong_track_nats_publish_total. Optional.
	Registerer prometheus.Registerer
	// Logger. Optional. Default: slog.Default().
	Logger *slog.Logger
}

func (c *NATSConfig) defaults() {
	if c.Stream == "" {
		c.Stream = "HUTONG_EVENTS"
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = "hutong.events"
	}
	c.Instance = SubjectToken(c.Instance)
	if c.MaxAge == 0 {
		c.MaxAge = 72 * time.Hour
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Duplicates <= 0 {
		c.Duplicates = 10 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// SubjectToken makes s one NATS subject token: ".", "*", ">" and white
// space become "_"; "" becomes "default".
func SubjectToken(s string) string {
	if s == "" {
		return "default"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\r', '\n':
			return '_'
		}
		return r
	}, s)
}

// StreamConfig is the JetStream stream hutong creates for cfg (defaults
// applied).
func (c NATSConfig) StreamConfig() jetstream.StreamConfig {
	c.defaults()
	sc := jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "hutong click events: one message per batch (v2 records, see internal/track/README.md)",
		Subjects:    []string{c.SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      max(c.MaxAge, 0),
		Replicas:    c.Replicas,
		Duplicates:  c.Duplicates,
		MaxBytes:    -1,
		MaxMsgs:     -1,
		Discard:     jetstream.DiscardOld,
	}
	if c.MaxBytes > 0 {
		sc.MaxBytes = c.MaxBytes
	}
	return sc
}

// NATSLog is an EventLog on a JetStream stream: each batch is one message
// (or, past the server's max payload, a few "part" messages) on subject
// SubjectPrefix.Instance, with Nats-Msg-Id "writer:seq" and the v2 record
// header as NATS headers. It is safe for concurrent use (appends are
// serialized); create it with OpenNATSLog. It does not own the connection.
type NATSLog struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	cfg     NATSConfig
	subject string
	log     *slog.Logger
	publish *prometheus.CounterVec // result: stored, duplicate, skipped, error

	mu sync.Mutex
	// uncertain: a publish failed (or this is the first one): the stream
	// may hold the batch (or some of its parts) already. The next append
	// asks for the last message on the subject first.
	uncertain bool
	z         []byte // a message's payload as published (Encoding), under mu
}

var _ EventLog = (*NATSLog)(nil)

// ErrNATSSetup wraps every error OpenNATSLog returns about the server's
// setup (no JetStream, permissions, a stream configured otherwise).
var ErrNATSSetup = errors.New("track: NATS JetStream setup")

// OpenNATSLog creates the stream (or checks the existing one) and returns
// the log. An existing stream must have file storage, cfg.Replicas and a
// subject covering SubjectPrefix.>; its MaxAge and Duplicates are updated
// to cfg's when they differ (logged). Errors say what is wrong and wrap
// ErrNATSSetup; nothing is written before the stream is right.
func OpenNATSLog(ctx context.Context, nc *nats.Conn, cfg NATSConfig) (*NATSLog, error) {
	cfg.defaults()
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	l := &NATSLog{nc: nc, js: js, cfg: cfg, subject: cfg.SubjectPrefix + "." + cfg.Instance,
		log: cfg.Logger.With("component", "track", "log", "nats"), uncertain: true}
	if nc.IsConnected() {
		if l.stream, err = EnsureStream(ctx, js, cfg); err != nil {
			return nil, natsSetupError(nc, err)
		}
	} else {
		// Not reachable now (a connection made with RetryOnFailedConnect):
		// start anyway, like on Redis; batches spill until the stream has
		// been checked on a write.
		l.log.Warn("NATS not reachable at start; click events spill to disk until it is", "stream", cfg.Stream)
	}
	l.publish = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hutong_track_nats_publish_total",
		Help: "JetStream publishes of batch messages by result: stored, duplicate (the stream had the Nats-Msg-Id), skipped (already in the stream, found after a failure), error (the batch is spilled and replayed)."},
		[]string{"result"})
	for _, r := range []string{"stored", "duplicate", "skipped", "error"} {
		l.publish.WithLabelValues(r)
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(l.publish); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// OpenNATSReader opens cfg's existing stream for reading only (hutong
// events): it never creates or changes the stream, and its Events pages
// through it. AppendBatch must not be called on it.
func OpenNATSReader(ctx context.Context, nc *nats.Conn, cfg NATSConfig) (*NATSLog, error) {
	cfg.defaults()
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	st, err := js.Stream(ctx, cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("track: no JetStream stream %q on this NATS: is hutong serve --events-url writing here (and with this stream name)?", cfg.Stream)
	}
	if err != nil {
		return nil, natsSetupError(nc, err)
	}
	return &NATSLog{nc: nc, js: js, stream: st, cfg: cfg, log: cfg.Logger.With("component", "track", "log", "nats")}, nil
}

// EnsureStream creates cfg's stream or checks (and, for MaxAge and
// Duplicates, updates) the existing one. See OpenNATSLog.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg NATSConfig) (jetstream.Stream, error) {
	cfg.defaults()
	want := cfg.StreamConfig()
	st, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, want)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another instance won the race
			st, err = js.Stream(ctx, want.Name)
		} else if err != nil {
			return nil, fmt.Errorf("create stream %s (subjects %s, file storage, replicas %d): %w", want.Name, want.Subjects[0], want.Replicas, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", want.Name, err)
	}
	have := st.CachedInfo().Config
	var bad []string
	if have.Storage != jetstream.FileStorage {
		bad = append(bad, "storage is "+have.Storage.String()+", want file")
	}
	if have.Replicas != want.Replicas && !(have.Replicas == 0 && want.Replicas == 1) {
		bad = append(bad, fmt.Sprintf("replicas %d, want %d (--events-replicas)", have.Replicas, want.Replicas))
	}
	if !slices.Contains(have.Subjects, want.Subjects[0]) && !slices.Contains(have.Subjects, ">") {
		bad = append(bad, fmt.Sprintf("subjects %v do not include %s", have.Subjects, want.Subjects[0]))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("stream %s exists with another configuration: %s; change it (nats stream edit %s) or delete it, or point hutong at another stream",
			want.Name, strings.Join(bad, "; "), want.Name)
	}
	if have.MaxAge != want.MaxAge || have.Duplicates != want.Duplicates || (cfg.MaxBytes > 0 && have.MaxBytes != want.MaxBytes) {
		upd := have
		upd.MaxAge, upd.Duplicates = want.MaxAge, want.Duplicates
		if cfg.MaxBytes > 0 {
			upd.MaxBytes = want.MaxBytes
		}
		cfg.Logger.Info("updating JetStream stream limits", "stream", want.Name,
			"max_age", want.MaxAge.String(), "was_max_age", have.MaxAge.String(),
			"duplicates", want.Duplicates.String(), "was_duplicates", have.Duplicates.String())
		if st, err = js.UpdateStream(ctx, upd); err != nil {
			return nil, fmt.Errorf("update stream %s (max_age %s, duplicates %s): %w", want.Name, want.MaxAge, want.Duplicates, err)
		}
	}
	return st, nil
}

// natsSetupError turns a stream-setup failure into a message an operator
// can act on.
func natsSetupError(nc *nats.Conn, err error) error {
	switch {
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, nats.ErrJetStreamNotEnabled), errors.Is(err, nats.ErrNoResponders):
		return fmt.Errorf("%w: JetStream is not enabled on the NATS server at %s (start nats-server with -js, or enable JetStream in its config): %v", ErrNATSSetup, nc.ConnectedUrlRedacted(), err)
	case errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount), errors.Is(err, nats.ErrJetStreamNotEnabledForAccount):
		return fmt.Errorf("%w: JetStream is not enabled for this account on %s (give the account a jetstream block): %v", ErrNATSSetup, nc.ConnectedUrlRedacted(), err)
	}
	if le := nc.LastError(); le != nil && errors.Is(le, nats.ErrPermissionViolation) || strings.Contains(strings.ToLower(err.Error()), "permission") {
		return fmt.Errorf("%w: permission denied on %s: the NATS user needs publish on $JS.API.> and hutong.events.>, and subscribe on _INBOX.> (%v; server said: %v)", ErrNATSSetup, nc.ConnectedUrlRedacted(), err, nc.LastError())
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
		return fmt.Errorf("%w: no answer from JetStream on %s in time (is JetStream enabled, and does the user may publish on $JS.API.>?): %v", ErrNATSSetup, nc.ConnectedUrlRedacted(), err)
	}
	return fmt.Errorf("%w: %v", ErrNATSSetup, err)
}

// Subject is the subject this log publishes on.
func (l *NATSLog) Subject() string { return l.subject }

// Stream is the stream's name.
func (l *NATSLog) Stream() string { return l.cfg.Stream }

// The accessors below are for the log's consumers outside this package
// (internal/postback's NATSWorker creates its durable consumer and its
// dead-letter stream beside the log's stream).

// JetStream is the JetStream context the log publishes through.
func (l *NATSLog) JetStream() jetstream.JetStream { return l.js }

// Replicas is the stream's replica count (NATSConfig.Replicas).
func (l *NATSLog) Replicas() int { return l.cfg.Replicas }

// SubjectPrefix is NATSConfig.SubjectPrefix: the stream holds
// SubjectPrefix + ".>".
func (l *NATSLog) SubjectPrefix() string { return l.cfg.SubjectPrefix }

// SetupError turns a failure to set up something on this log's server
// (a stream, a consumer) into a message an operator can act on, wrapping
// ErrNATSSetup, as OpenNATSLog's errors do.
func (l *NATSLog) SetupError(err error) error { return natsSetupError(l.nc, err) }

// natsHeaderRoom is what a batch message's headers take at most (the
// payload limit is on headers plus data).
const natsHeaderRoom = 512

// AppendBatch implements EventLog: it publishes b (its event lines,
// AppendEventLines) and waits for the stream's ack. Idempotent per
// (Writer, Seq): every message carries Nats-Msg-Id "writer:seq" (parts
// "writer:seq/k"), which the stream deduplicates within its Duplicates
// window; and after a failed publish, or as the first append of this log,
// it first reads the last message on its subject: if that is this batch
// (its last part) or a later one of the same writer, the batch is not
// published again; if it is an earlier part, the rest follow. Batches of a
// writer come in Seq order (the Recorder's spill keeps it), which is what
// makes the last message a high-water mark, beyond the window.
func (l *NATSLog) AppendBatch(ctx context.Context, b *Batch, lines []byte) error {
	if len(b.Events) == 0 {
		return nil
	}
	parts, err := splitLines(lines, int(l.nc.MaxPayload())-natsHeaderRoom)
	if err != nil {
		return fmt.Errorf("track: batch %s:%d: %w", b.Writer, b.Seq, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stream == nil {
		st, err := EnsureStream(ctx, l.js, l.cfg)
		if err != nil {
			l.publish.WithLabelValues("error").Inc()
			err = natsSetupError(l.nc, err)
			l.log.Error("JetStream stream not ready; batch spilled", "err", err)
			return err
		}
		l.stream = st
	}
	from := 0
	if l.uncertain {
		from, err = l.resumePoint(ctx, b, len(parts))
		if err != nil {
			l.publish.WithLabelValues("error").Inc()
			return fmt.Errorf("track: jetstream: last message on %s: %w", l.subject, err)
		}
		if from == len(parts) {
			l.publish.WithLabelValues("skipped").Add(float64(len(parts)))
			l.uncertain = false
			return nil
		}
	}
	seq := strconv.FormatUint(b.Seq, 10)
	id := b.Writer + ":" + seq
	for k := from; k < len(parts); k++ {
		m := nats.NewMsg(l.subject)
		m.Header.Set(HeaderVersion, "2")
		m.Header.Set(HeaderWriter, b.Writer)
		m.Header.Set(HeaderSeq, seq)
		m.Header.Set(HeaderCount, strconv.Itoa(bytes.Count(parts[k], []byte{'\n'})))
		msgID := id
		if len(parts) > 1 {
			m.Header.Set(HeaderPart, strconv.Itoa(k)+"/"+strconv.Itoa(len(parts)))
			msgID = id + "/" + strconv.Itoa(k)
		}
		m.Data = parts[k]
		if enc := l.cfg.Encoding; enc != EncodingNone {
			m.Header.Set(HeaderEnc, enc.String())
			l.z = encodeLines(l.z[:0], parts[k], enc)
			m.Data = l.z
		}
		ack, err := l.js.PublishMsg(ctx, m, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(l.cfg.Stream))
		if err != nil {
			l.uncertain = true
			l.publish.WithLabelValues("error").Inc()
			return fmt.Errorf("track: jetstream publish %s on %s: %w", msgID, l.subject, err)
		}
		if ack.Duplicate {
			l.publish.WithLabelValues("duplicate").Inc()
		} else {
			l.publish.WithLabelValues("stored").Inc()
		}
	}
	l.uncertain = false
	return nil
}

// resumePoint is the first part of b not yet in the stream, judged by the
// last message on the subject (see AppendBatch); nparts means all are.
func (l *NATSLog) resumePoint(ctx context.Context, b *Batch, nparts int) (int, error) {
	m, err := l.stream.GetLastMsgForSubject(ctx, l.subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if m.Header.Get(HeaderWriter) != b.Writer {
		return 0, nil
	}
	seq, err := strconv.ParseUint(m.Header.Get(HeaderSeq), 10, 64)
	if err != nil || seq < b.Seq {
		return 0, nil
	}
	if seq > b.Seq {
		return nparts, nil
	}
	k, n, ok := parsePart(m.Header.Get(HeaderPart))
	if !ok || n != nparts {
		return nparts, nil // one message: the batch is there
	}
	return k + 1, nil
}

func parsePart(s string) (k, n int, ok bool) {
	a, c, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(c)
	return k, n, err1 == nil && err2 == nil && k >= 0 && k < n
}

// splitLines cuts a payload of lines into chunks of at most max bytes,
// at line ends; one chunk in the usual case (no copy).
func splitLines(lines []byte, max int) ([][]byte, error) {
	if len(lines) <= max {
		return [][]byte{lines}, nil
	}
	var parts [][]byte
	for len(lines) > 0 {
		if len(lines) <= max {
			parts = append(parts, lines)
			break
		}
		cut := bytes.LastIndexByte(lines[:max], '\n')
		if cut < 0 {
			return nil, fmt.Errorf("one event is over the NATS max payload (%d bytes)", max)
		}
		parts = append(parts, lines[:cut+1])
		lines = lines[cut+1:]
	}
	return parts, nil
}

// Events implements EventLog (and the Querier method of a SplitSink):
// up to limit events after the cursor, oldest first, read message by
// message (STREAM.MSG.GET next by subject). Events carry their event IDs;
// cursors (Next, after) are "<stream seq>-<index in the message>" (after
// that event); "<stream seq>" alone starts at that message (SeqAt makes
// one from a time); "" starts at the oldest kept.
// limit is clamped to 1..1000 (default 100).
func (l *NATSLog) Events(ctx context.Context, after string, limit int) (*EventPage, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	l.mu.Lock()
	st := l.stream
	l.mu.Unlock()
	if st == nil {
		return nil, fmt.Errorf("track: events: JetStream stream %s not reached yet", l.cfg.Stream)
	}
	var seq uint64 = 1
	skip := 0 // events of message seq to skip
	if after != "" {
		n, k, whole, err := parseNATSCursor(after)
		if err != nil {
			return nil, err
		}
		seq, skip = n, k+1
		if whole {
			skip = 0
		}
	}
	page := &EventPage{Events: make([]LoggedEvent, 0, min(limit, 128)), Next: after}
	for len(page.Events) < limit {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(l.cfg.SubjectPrefix+".>"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("track: events: %w", err)
		}
		if m.Sequence != seq {
			skip = 0
		}
		evs, err := ParseEventLines(m.Data)
		if err != nil {
			return nil, fmt.Errorf("track: events: message %d: %w", m.Sequence, err)
		}
		for i := skip; i < len(evs) && len(page.Events) < limit; i++ {
			id := strconv.FormatUint(m.Sequence, 10) + "-" + strconv.Itoa(i)
			page.Events = append(page.Events, evs[i])
			page.Next = id
		}
		seq, skip = m.Sequence+1, 0
	}
	return page, nil
}

// parseNATSCursor reads "<seq>-<index>" (after that event) or "<seq>"
// (whole: from message seq on).
func parseNATSCursor(c string) (seq uint64, k int, whole bool, err error) {
	a, i, cut := strings.Cut(c, "-")
	seq, err1 := strconv.ParseUint(a, 10, 64)
	if !cut {
		if err1 != nil {
			return 0, 0, false, fmt.Errorf("%w: cursor %q (want <stream seq>-<index> or <stream seq>)", ErrInvalidQuery, c)
		}
		return seq, 0, true, nil
	}
	k, err2 := strconv.Atoi(i)
	if err1 != nil || err2 != nil || k < 0 {
		return 0, 0, false, fmt.Errorf("%w: cursor %q (want <stream seq>-<index> or <stream seq>)", ErrInvalidQuery, c)
	}
	return seq, k, false, nil
}

// SeqAt is the stream sequence of the first batch message stored at or
// after t (the next sequence to come when there is none), found with a
// short-lived consumer whose deliver policy is by start time
// (OptStartTime): the server's own index by time. Use it as the cursor
// "<seq>" of Events.
func (l *NATSLog) SeqAt(ctx context.Context, t time.Time) (uint64, error) {
	c, err := l.js.CreateConsumer(ctx, l.cfg.Stream, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartTimePolicy,
		OptStartTime:      &t,
		AckPolicy:         jetstream.AckNonePolicy,
		FilterSubject:     l.cfg.SubjectPrefix + ".>",
		InactiveThreshold: 30 * time.Second,
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		return 0, fmt.Errorf("track: consumer from %s: %w", t.Format(time.RFC3339), err)
	}
	name := c.CachedInfo().Name
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = l.js.DeleteConsumer(dctx, l.cfg.Stream, name)
		cancel()
	}()
	// NumPending counts what the consumer has still to deliver: none means
	// nothing was stored since t.
	if c.CachedInfo().NumPending == 0 {
		info, err := l.stream.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("track: stream %s: %w", l.cfg.Stream, err)
		}
		return info.State.LastSeq + 1, nil
	}
	b, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		return 0, err
	}
	for m := range b.Messages() {
		md, err := m.Metadata()
		if err != nil {
			return 0, err
		}
		return md.Sequence.Stream, nil
	}
	if err := b.Error(); err != nil {
		return 0, fmt.Errorf("track: first message since %s: %w", t.Format(time.RFC3339), err)
	}
	return 0, fmt.Errorf("track: first message since %s: none delivered in 5s", t.Format(time.RFC3339))
}

// NATSGroup is a durable consumer on the event stream that reads and
// acknowledges batch messages (hutong events --group). Several readers
// with the same group name share it: each message goes to one of them.
// Not safe for concurrent use; create it with OpenGroup.
type NATSGroup struct {
	c        jetstream.Consumer
	skipSeq  uint64 // a new group from a cursor "<seq>-<k>": the events up to k of message skipSeq are skipped on its first delivery
	skipUpTo int
}

// OpenGroup returns the durable consumer name (one subject token), creating
// it when missing, to start at since: "" the oldest kept, a cursor of
// Events, or, when at is not zero, the first message stored at or after
// at (deliver by start time). An existing group keeps its place; since
// and at are then ignored. Acks are explicit; a message not acknowledged
// within a minute goes to another reader (or again to this one).
func (l *NATSLog) OpenGroup(ctx context.Context, name, since string, at time.Time) (*NATSGroup, error) {
	if name == "" || SubjectToken(name) != name {
		return nil, fmt.Errorf("%w: group %q: a JetStream consumer name has no dots, wildcards or spaces", ErrInvalidQuery, name)
	}
	g := &NATSGroup{}
	c, err := l.js.Consumer(ctx, l.cfg.Stream, name)
	if err == nil {
		g.c = c
		return g, nil
	}
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("track: group %s: %w", name, err)
	}
	cc := jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "hutong events --group " + name,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		FilterSubject: l.cfg.SubjectPrefix + ".>",
	}
	switch {
	case !at.IsZero():
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &at
	case since != "":
		seq, k, whole, err := parseNATSCursor(since)
		if err != nil {
			return nil, err
		}
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, max(seq, 1)
		if !whole {
			g.skipSeq, g.skipUpTo = seq, k
		}
	}
	c, err = l.js.CreateConsumer(ctx, l.cfg.Stream, cc)
	if errors.Is(err, jetstream.ErrConsumerExists) {
		c, err = l.js.Consumer(ctx, l.cfg.Stream, name)
	}
	if err != nil {
		return nil, fmt.Errorf("track: create group %s: %w", name, err)
	}
	g.c = c
	return g, nil
}

// Next fetches up to max batch messages (waiting up to wait for the
// first), calls emit for each of their events, oldest first, and
// acknowledges each message (confirmed by the server) once emit returned
// for all its events. It returns how many messages it handled; an error
// from emit stops it with that message not acknowledged (redelivered).
func (g *NATSGroup) Next(ctx context.Context, max int, wait time.Duration, emit func(LoggedEvent) error) (int, error) {
	b, err := g.c.Fetch(max, jetstream.FetchMaxWait(wait))
	if err != nil {
		return 0, err
	}
	n := 0
	for m := range b.Messages() {
		md, err := m.Metadata()
		if err != nil {
			return n, err
		}
		evs, err := ParseEventLines(m.Data())
		if err != nil {
			return n, fmt.Errorf("track: message %d: %w", md.Sequence.Stream, err)
		}
		from := 0
		if md.Sequence.Stream == g.skipSeq && md.NumDelivered == 1 {
			from = g.skipUpTo + 1
		}
		for i := from; i < len(evs); i++ {
			if err := emit(evs[i]); err != nil {
				return n, err
			}
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err = m.DoubleAck(actx)
		cancel()
		if err != nil {
			return n, fmt.Errorf("track: ack message %d: %w", md.Sequence.Stream, err)
		}
		n++
	}
	if err := b.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
		return n, err
	}
	return n, nil
}
