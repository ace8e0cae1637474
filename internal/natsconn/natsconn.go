// Package natsconn opens a NATS connection from hutong's URL form:
//
//	nats://[user:pass@|token@]host:4222[,host2:4222…][?creds=FILE&nkey=FILE&tls_ca=FILE&tls_cert=FILE&tls_key=FILE]
//	tls://host:4222…   (TLS required; nats:// uses TLS when the server asks for it)
//
// The query parameters and the Options fields are the same settings
// (Options win); they map to nats.go's UserCredentials (a .creds file:
// JWT plus NKey seed), NkeyOptionFromSeed (an NKey seed file), RootCAs and
// ClientCert. No globals; safe for concurrent use.
package natsconn

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Options are connection settings beside the URL. Zero values: not set.
type Options struct {
	// Name is the client name the server shows (nats server report connections).
	Name string
	// Creds is a .creds file (user JWT and NKey seed, from nsc or a NATS operator).
	Creds string
	// NKey is an NKey seed file (a user NKey, without JWT).
	NKey string
	// TLSCA is a PEM file of CAs to trust for the server's certificate.
	TLSCA string
	// TLSCert and TLSKey are a client certificate and key (mutual TLS).
	TLSCert, TLSKey string
	// RetryOnFailedConnect returns a connection that keeps trying when no
	// server answers at first (the service starts; events spill), instead
	// of an error (the CLI).
	RetryOnFailedConnect bool
	// Disconnected, if set, is called on disconnects (for a log line).
	Disconnected func(error)
}

// Servers returns the server URLs of u, one per comma-separated host, with
// u's user info on each, and the options from its query.
func Servers(u *url.URL) ([]string, Options, error) {
	var o Options
	switch u.Scheme {
	case "nats", "tls":
	default:
		return nil, o, fmt.Errorf("scheme %q: want nats:// or tls://", u.Scheme)
	}
	if u.Host == "" {
		return nil, o, errors.New("no host: want nats://host:4222")
	}
	q := u.Query()
	o.Creds, o.NKey = q.Get("creds"), q.Get("nkey")
	o.TLSCA, o.TLSCert, o.TLSKey = q.Get("tls_ca"), q.Get("tls_cert"), q.Get("tls_key")
	for k := range q {
		switch k {
		case "creds", "nkey", "tls_ca", "tls_cert", "tls_key":
		default:
			return nil, o, fmt.Errorf("unknown parameter %q (want creds, nkey, tls_ca, tls_cert, tls_key)", k)
		}
	}
	var servers []string
	for _, h := range strings.Split(u.Host, ",") {
		if h == "" {
			continue
		}
		s := url.URL{Scheme: u.Scheme, User: u.User, Host: h}
		servers = append(servers, s.String())
	}
	return servers, o, nil
}

// Connect connects to the servers of u with o over its query's options.
// The connection reconnects forever (2s waits) and does not buffer
// publishes while disconnected: a publish then fails at once, and the
// caller spills.
func Connect(u *url.URL, o Options) (*nats.Conn, error) {
	servers, q, err := Servers(u)
	if err != nil {
		return nil, err
	}
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	o.Creds, o.NKey = pick(o.Creds, q.Creds), pick(o.NKey, q.NKey)
	o.TLSCA, o.TLSCert, o.TLSKey = pick(o.TLSCA, q.TLSCA), pick(o.TLSCert, q.TLSCert), pick(o.TLSKey, q.TLSKey)
	opts := []nats.Option{
		nats.Name(pick(o.Name, "hutong")),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(2 * time.Second),
		nats.ReconnectBufSize(-1),
		nats.Timeout(3 * time.Second),
		nats.RetryOnFailedConnect(o.RetryOnFailedConnect),
	}
	if o.Creds != "" && o.NKey != "" {
		return nil, errors.New("creds and nkey: set one (a .creds file holds its own NKey)")
	}
	if o.Creds != "" {
		opts = append(opts, nats.UserCredentials(o.Creds))
	}
	if o.NKey != "" {
		nk, err := nats.NkeyOptionFromSeed(o.NKey)
		if err != nil {
			return nil, fmt.Errorf("nkey %s: %w", o.NKey, err)
		}
		opts = append(opts, nk)
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("tls_cert and tls_key go together")
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	if u.Scheme == "tls" {
		opts = append(opts, nats.Secure())
	}
	if o.Disconnected != nil {
		f := o.Disconnected
		opts = append(opts, nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if !nc.IsClosed() { // our own Close is not a disconnect worth a warning
				f(err)
			}
		}))
	}
	nc, err := nats.Connect(strings.Join(servers, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", redact(u), err)
	}
	return nc, nil
}

func redact(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.Redacted()
}
