package domains

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Alert is the body of a status-change webhook (the contract's fields,
// plus healthy and below_min for --domain-min-healthy).
type Alert struct {
	Host     string    `json:"host"`
	Pool     string    `json:"pool"`
	Role     Role      `json:"role"`
	Status   Status    `json:"status"`
	Previous Status    `json:"previous"`
	At       time.Time `json:"at"`
	Reason   string    `json:"reason"`
	Healthy  int       `json:"healthy"`
	BelowMin bool      `json:"below_min,omitempty"`
}

// Key is the alert's Idempotency-Key: the same on every attempt, from
// any instance, so the receiver can drop repeats.
func (a *Alert) Key() string {
	return a.Host + "/" + string(a.Status) + "/" + strconv.FormatInt(a.At.UnixNano(), 10)
}

// PendingAlert is an alert kept with its domain's record until delivered.
type PendingAlert struct {
	Alert
	Attempts int       `json:"attempts"`
	NextTry  time.Time `json:"next_try"`
}

// AlertGiveUp is how long a pending alert is retried before it is dropped
// (with an error in the log).
const AlertGiveUp = 24 * time.Hour

// AlertBackoff is the wait after the n-th failed delivery round (n ≥ 1):
// first (30 s when 0) doubling, at most 10 minutes.
func AlertBackoff(first time.Duration, n int) time.Duration {
	w := first
	if w <= 0 {
		w = 30 * time.Second
	}
	for i := 1; i < n && w < 10*time.Minute; i++ {
		w *= 2
	}
	return min(w, 10*time.Minute)
}

// QueueAlert keeps a with the record, due at once.
func (d *Domain) QueueAlert(a Alert) {
	for _, p := range d.PendingAlerts {
		if p.Key() == a.Key() {
			return
		}
	}
	d.PendingAlerts = append(d.PendingAlerts, PendingAlert{Alert: a, NextTry: a.At})
}

// ClaimAlerts returns the pending alerts due at now and moves their next
// try on by AlertBackoff(first, attempts) (so another instance reading the
// record meanwhile leaves them alone); alerts older than AlertGiveUp are
// dropped and returned in expired.
func (d *Domain) ClaimAlerts(now time.Time, first time.Duration) (due, expired []PendingAlert) {
	keep := d.PendingAlerts[:0]
	for _, p := range d.PendingAlerts {
		switch {
		case now.Sub(p.At) > AlertGiveUp:
			expired = append(expired, p)
			continue
		case !now.Before(p.NextTry):
			p.Attempts++
			p.NextTry = now.Add(AlertBackoff(first, p.Attempts))
			due = append(due, p)
		}
		keep = append(keep, p)
	}
	d.PendingAlerts = keep
	if len(keep) == 0 {
		d.PendingAlerts = nil
	}
	return due, expired
}

// ClearAlert drops the pending alert with key (delivered) and reports
// whether it was there.
func (d *Domain) ClearAlert(key string) bool {
	for i, p := range d.PendingAlerts {
		if p.Key() == key {
			d.PendingAlerts = append(d.PendingAlerts[:i:i], d.PendingAlerts[i+1:]...)
			if len(d.PendingAlerts) == 0 {
				d.PendingAlerts = nil
			}
			return true
		}
	}
	return false
}

// SignatureHeader carries "t=UNIX,v1=HEX" where HEX is the HMAC-SHA256
// under the secret of "UNIX.BODY".
const SignatureHeader = "X-Hutong-Signature"

// Sign returns the signature header value for body at t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Notifier posts alerts to one URL, at least once: it retries a transport
// error or a non-2xx answer with doubling backoff. Safe for concurrent use.
type Notifier struct {
	URL     string
	Secret  []byte
	Client  *http.Client  // Optional. Default: a client with a 5 s timeout.
	Retries int           // Optional. Default: 5 (6 attempts).
	Backoff time.Duration // first wait; Optional. Default: 1 s.
	Now     func() time.Time
}

// Send delivers a until an attempt gets 2xx, the retries run out or ctx
// ends. The same body (and an Idempotency-Key) is sent on every attempt so
// the receiver can drop duplicates.
func (n *Notifier) Send(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	client, retries, wait, now := n.Client, n.Retries, n.Backoff, n.Now
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	if retries <= 0 {
		retries = 5
	}
	if wait <= 0 {
		wait = time.Second
	}
	if now == nil {
		now = time.Now
	}
	key := a.Key()
	var last error
	for i := 0; i <= retries; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("domain alert to %s: %w (last: %v)", n.URL, ctx.Err(), last)
			case <-time.After(wait):
			}
			wait *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set(SignatureHeader, Sign(n.Secret, body, now()))
		resp, err := client.Do(req)
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		last = fmt.Errorf("answer %d", resp.StatusCode)
	}
	return fmt.Errorf("domain alert to %s: gave up after %d attempts: %v", n.URL, retries+1, last)
}
