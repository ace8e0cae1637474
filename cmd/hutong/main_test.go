package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
)

// testMain runs the whole service on 127.0.0.1:0 with an embedded store in
// a temp dir (or the given config tweaks) and returns it with its base URL.
// It is closed when the test ends.
func testMain(t *testing.T, tweak func(*config.Serve)) (*Main, string) {
	t.Helper()
	m, base := startMain(t, tweak)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m, base
}

// startMain is testMain for a test that closes the service itself (to open
// its store again, say).
func startMain(t *testing.T, tweak func(*config.Serve)) (*Main, string) {
	t.Helper()
	cfg, err := config.ParseServe([]string{"--listen", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "warn"}, func(string) (string, bool) { return "", false }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(&cfg)
	}
	m := NewMain(cfg, testLogWriter{t})
	if err := m.Run(context.Background()); err != nil {
		m.Close(context.Background())
		t.Fatalf("Run: %v", err)
	}
	return m, "http://" + m.Addr()
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// noFollow is an HTTP client that shows redirects instead of following them.
var noFollow = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type answer struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
}

func do(t *testing.T, method, u string, hdr map[string]string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Location"), resp.Header, string(b)}
}

func get(t *testing.T, u, ua string) answer {
	t.Helper()
	return do(t, http.MethodGet, u, map[string]string{"User-Agent": ua}, nil)
}

func rURL(base, input string, extra ...string) string {
	q := url.Values{"u": {input}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return base + "/r?" + q.Encode()
}

// corpusUA returns the first User-Agent of the corpus with family fam
// (testdata/ua-dev.jsonl, copied from ../shared/corpus).
func corpusUA(t *testing.T, fam string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "ua-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var row struct{ UA, Family string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		if row.Family == fam {
			return row.UA
		}
	}
	t.Fatalf("no UA of family %q in the corpus", fam)
	return ""
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON (%v): %.300s", err, s)
	}
}

// TestDebugListen: --debug-listen serves pprof on its own listener, and
// the public listener does not.
func TestDebugListen(t *testing.T) {
	m, base := testMain(t, func(c *config.Serve) { c.DebugListen = "127.0.0.1:0" })
	if m.DebugAddr() == "" {
		t.Fatal("DebugAddr is empty with --debug-listen set")
	}
	resp, err := http.Get("http://" + m.DebugAddr() + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("debug listener /debug/pprof/cmdline: got %d; want 200", resp.StatusCode)
	}
	resp, err = http.Get(base + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("public listener /debug/pprof/cmdline: got 200; want it not served there")
	}
}
