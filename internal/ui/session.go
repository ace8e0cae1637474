package ui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
)

// Cookie names. Every cookie is HttpOnly and scoped to /ui.
const (
	sessionCookie = "hutong_ui"      // the signed session
	preCookie     = "hutong_ui_pre"  // random value for the sign-in form's CSRF token
	langCookie    = "hutong_ui_lang" // chosen language
)

// session is a signed-in marketer: which API key they signed in with and
// until when. Sessions are stateless — the cookie carries
//
//	v1|<key id>|<expiry unix>|<nonce> "." HMAC-SHA256(macKey(key), that)
//
// where macKey is derived from the key's stored hash (and Deps.Secret), a
// value only the store holds. So every instance sharing the store accepts the
// cookie, a revoked key ends its sessions at once, and a cookie cannot be
// forged without the store. The CSRF token is another HMAC under the same
// key over the nonce: a synchronizer token tied to the session, needing no
// server-side storage.
type session struct {
	Key    shortlink.APIKey
	Nonce  string
	Expiry time.Time
	mac    []byte
}

var errBadSession = errors.New("ui: invalid session")

// sessions signs and verifies session cookies.
type sessions struct {
	keys   shortlink.KeyStore
	secret []byte
	ttl    time.Duration
	now    func() time.Time

	mu     sync.Mutex
	logout map[string]time.Time // nonce → expiry: sessions ended by Sign out on this instance
}

func newNonce() string {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// macKey is the per-API-key signing key.
func (s *sessions) macKey(k *shortlink.APIKey) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("hutong-ui-session|"))
	m.Write([]byte(k.Hash))
	return m.Sum(nil)
}

func sign(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte{'|'})
		}
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// issue returns a new session cookie value for k.
func (s *sessions) issue(k *shortlink.APIKey) (value string, sess *session) {
	exp := s.now().Add(s.ttl).Truncate(time.Second)
	nonce := newNonce()
	payload := "v1|" + k.ID + "|" + strconv.FormatInt(exp.Unix(), 10) + "|" + nonce
	key := s.macKey(k)
	mac := sign(key, payload)
	value = base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(mac)
	return value, &session{Key: *k, Nonce: nonce, Expiry: exp, mac: key}
}

// verify checks a cookie value and returns its session. The key is looked
// up on every call, so revocation takes effect at once.
func (s *sessions) verify(ctx context.Context, value string) (*session, error) {
	p64, m64, ok := strings.Cut(value, ".")
	if !ok || len(value) > 512 {
		return nil, errBadSession
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	mac, err2 := base64.RawURLEncoding.DecodeString(m64)
	if err1 != nil || err2 != nil {
		return nil, errBadSession
	}
	f := strings.Split(string(payload), "|")
	if len(f) != 4 || f[0] != "v1" || f[1] == "" || f[3] == "" {
		return nil, errBadSession
	}
	sec, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return nil, errBadSession
	}
	exp := time.Unix(sec, 0)
	if !s.now().Before(exp) {
		return nil, errBadSession
	}
	if s.loggedOut(f[3]) {
		return nil, errBadSession
	}
	k, err := s.keyByID(ctx, f[1])
	if err != nil {
		return nil, err
	}
	key := s.macKey(&k)
	if !hmac.Equal(mac, sign(key, string(payload))) {
		return nil, errBadSession
	}
	if !k.Active() {
		return nil, errBadSession
	}
	return &session{Key: k, Nonce: f[3], Expiry: exp, mac: key}, nil
}

// keyByID finds a key by its public ID. The KeyStore has no lookup by ID,
// so this lists the keys (few, and the UI is not a hot path).
func (s *sessions) keyByID(ctx context.Context, id string) (shortlink.APIKey, error) {
	keys, err := s.keys.ListKeys(ctx)
	if err != nil {
		return shortlink.APIKey{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return shortlink.APIKey{}, errBadSession
}

// csrf is the session's CSRF token.
func (sess *session) csrf() string {
	return base64.RawURLEncoding.EncodeToString(sign(sess.mac, "csrf", sess.Nonce)[:24])
}

// checkCSRF compares a submitted token with the session's in constant time.
func (sess *session) checkCSRF(token string) bool {
	want := sess.csrf()
	return len(token) == len(want) && subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

// end remembers a signed-out session's nonce until it would have expired.
// Stateless cookies cannot be recalled everywhere: the browser's cookie is
// cleared, and this instance refuses the cookie should it come back.
func (s *sessions) end(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for n, exp := range s.logout {
		if !now.Before(exp) {
			delete(s.logout, n)
		}
	}
	if len(s.logout) < 100000 {
		s.logout[sess.Nonce] = sess.Expiry
	}
}

func (s *sessions) loggedOut(nonce string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.logout[nonce]
	return ok
}

// equalToken compares two tokens in constant time (the sign-in form's
// double-submitted value).
func equalToken(a, b string) bool {
	return a != "" && len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
