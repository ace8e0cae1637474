package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/server"
	"github.com/hutong-dev/hutong/shortlink"
)

// rootRedirect maps --root-redirect to server.Options.RootRedirect: "auto"
// is the server's default (""), "off" its server.RootNotFound.
func rootRedirect(v string) string {
	switch v {
	case "auto":
		return ""
	case "off":
		return server.RootNotFound
	}
	return v
}

// firstRunKey makes an admin API key when the store has never had one and
// no --initial-api-key was given, so the web UI can be signed into on a
// first run; serve prints its secret once (printFirstRun). With several
// instances on one Redis only the first to start makes one.
func (m *Main) firstRunKey(ctx context.Context) error {
	kctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	has, err := m.store.HasKeys(kctx)
	if err != nil {
		m.Logger.Warn("could not check for API keys at start; no first admin key made", "err", err)
		return nil
	}
	if has {
		return nil
	}
	secret := shortlink.NewSecret()
	created, err := m.service.EnsureInitialKey(kctx, secret)
	if err != nil {
		return fmt.Errorf("first admin API key: %w", err)
	}
	if created {
		m.FirstKey = secret
		m.Logger.Info("created a first admin API key (named initial); its secret is printed once on standard output")
	}
	return nil
}

// localHostPort is the listener's address as a client on this machine
// dials it: an unspecified host (":8080") becomes 127.0.0.1.
func (m *Main) localHostPort() string {
	host, port, err := net.SplitHostPort(m.Addr())
	if err != nil {
		return m.Addr()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// UIURL is where to sign in to the web UI: --base-url's /ui/, else the
// listener's.
func (m *Main) UIURL() string {
	if m.Config.BaseURL != "" {
		return strings.TrimRight(m.Config.BaseURL, "/") + "/ui/"
	}
	return "http://" + m.localHostPort() + "/ui/"
}

// printFirstRun tells the person who started serve where the web UI is,
// and on a first run the admin key to sign in with (shown once: only its
// hash is stored).
func (m *Main) printFirstRun(w io.Writer) {
	if m.FirstKey == "" {
		fmt.Fprintf(w, "hutong: web UI at %s\n", m.UIURL())
		return
	}
	fmt.Fprintf(w, `
hutong: first run — no API key existed, so an admin key was made.
  Sign in at  %s
  with key    %s
  (shown once; keep it. More keys: hutong keys create --name NAME)

`, m.UIURL(), m.FirstKey)
}

// localKeyStore is the store's KeyStore plus one admin key that exists only
// in this process: the key serve writes to the control file so that CLI
// store commands run on this machine (hutong keys …, hutong link …) can use
// the API while serve holds the embedded store's file lock.
type localKeyStore struct {
	shortlink.KeyStore
	key shortlink.APIKey
}

func (k localKeyStore) GetKeyByHash(ctx context.Context, hash string) (shortlink.APIKey, error) {
	if hash == k.key.Hash {
		return k.key, nil
	}
	return k.KeyStore.GetKeyByHash(ctx, hash)
}

// localKeys returns the KeyStore the server checks keys against. With the
// embedded store it adds a fresh local admin key (see writeControl).
func (m *Main) localKeys() shortlink.KeyStore {
	if m.Config.Redis != "" {
		return m.links // every command can open Redis itself
	}
	secret := shortlink.NewSecret()
	k, err := shortlink.NewAPIKey(secret, "local-cli", []shortlink.Scope{shortlink.ScopeAdmin}, time.Now())
	if err != nil { // cannot happen: the secret is long enough
		m.Logger.Error("no local CLI key", "err", err)
		return m.links
	}
	m.localKey = secret
	return localKeyStore{KeyStore: m.links, key: k}
}

// controlFile is the name, in --data, of the file a running serve writes
// for CLI commands on the same machine: its address and local admin key.
// It is readable by the owner only, like the store it stands for.
const controlFile = "serve.json"

type control struct {
	URL string `json:"url"`
	Key string `json:"key"`
	PID int    `json:"pid"`
}

// writeControl writes the control file (embedded store only) and removes
// it at Close.
func (m *Main) writeControl() error {
	if m.localKey == "" {
		return nil
	}
	path := filepath.Join(m.Config.Data, controlFile)
	b, _ := json.Marshal(control{URL: "http://" + m.localHostPort(), Key: m.localKey, PID: os.Getpid()})
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("control file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("control file: %w", err)
	}
	m.closers = append(m.closers, func(context.Context) error {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	})
	return nil
}

// readControl reads the control file of a serve running on data; an error
// when there is none.
func readControl(data string) (control, error) {
	var c control
	b, err := os.ReadFile(filepath.Join(data, controlFile))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil || c.URL == "" || c.Key == "" {
		return c, fmt.Errorf("%s: not a hutong control file", filepath.Join(data, controlFile))
	}
	return c, nil
}

// printKeys prints keys one per line: id, name, last four, scopes, created,
// state (the output of hutong keys list, from the store or the API).
func printKeys(w io.Writer, keys []shortlink.APIKey) {
	for _, k := range keys {
		state := "active"
		if !k.Active() {
			state = "revoked"
		}
		fmt.Fprintf(w, "%s\t%s\t…%s\t%v\t%s\t%s\n", k.ID, k.Name, k.Last4, k.Scopes, k.CreatedAt.Format(time.RFC3339), state)
	}
}

// keysOverAPI is hutong keys create|list|revoke through a running serve's
// keys API, with the same output as on the store.
func keysOverAPI(ctx context.Context, c *apiClient, sub string, args []string, name, scopes string, stdout io.Writer) error {
	switch sub {
	case "create":
		if name == "" {
			return usageError{"--name is required"}
		}
		var sc []string
		for _, s := range strings.Split(scopes, ",") {
			sc = append(sc, strings.TrimSpace(s))
		}
		b, _ := json.Marshal(map[string]any{"name": name, "scopes": sc})
		var out struct {
			shortlink.APIKey
			Secret string `json:"secret"`
		}
		if err := c.call(ctx, "POST", "/api/v1/keys", "application/json", strings.NewReader(string(b)), &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created key %s (%s) with scopes %s\nsecret (shown once): %s\n", out.ID, out.Name, scopes, out.Secret)
		return nil
	case "list":
		var out struct {
			Keys []shortlink.APIKey `json:"keys"`
		}
		if err := c.call(ctx, "GET", "/api/v1/keys", "", nil, &out); err != nil {
			return err
		}
		printKeys(stdout, out.Keys)
		return nil
	case "revoke":
		if len(args) != 1 {
			return usageError{"usage: hutong keys revoke [flags] KEY-ID"}
		}
		if err := c.call(ctx, "DELETE", "/api/v1/keys/"+url.PathEscape(args[0]), "", nil, nil); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "revoked", args[0])
		return nil
	}
	return usageError{fmt.Sprintf("unknown keys command %q: want create, list or revoke", sub)}
}
