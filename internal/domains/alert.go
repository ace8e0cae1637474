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
	key := a.Host + "/" + string(a.Status) + "/" + strconv.FormatInt(a.At.UnixNano(), 10)
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
