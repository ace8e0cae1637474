package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary as a separate process: signals,
// configuration errors and restarts are process-level behaviour.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func hutongBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if bin := os.Getenv("HUTONG_TEST_BINARY"); bin != "" { // scripts/test builds it once, before the tests
			binPath = bin
			return
		}
		dir, err := os.MkdirTemp("", "hutong-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hutong")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type proc struct {
	cmd  *exec.Cmd
	base string
	logs *logBuf
	// done is closed when the process has exited; err is Wait's result.
	done chan struct{}
	err  error
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startProc starts `hutong serve` with args on a free port and waits for its
// "hutong serving" log line.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(hutongBinary(t), append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "HUTONG_REDIS=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &logBuf{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.logs.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "hutong serving" {
				addr <- rec.Addr
			}
		}
	}()
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // harmless when it has exited already
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-p.done:
		t.Fatalf("hutong exited before serving: %v\n%s", p.err, p.logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("hutong did not start within 20s\n%s", p.logs)
	}
	return p
}

func (p *proc) signal(t *testing.T, s syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

func (p *proc) waitLog(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(p.logs.String(), substr) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log line containing %q within 10s:\n%s", substr, p.logs)
}

// TestRulesFileOverrideAndReload: a rules file overrides a cell at start;
// SIGHUP applies a new valid file; an invalid file on reload keeps the old
// rules and logs the line at fault.
func TestRulesFileOverrideAndReload(t *testing.T) {
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(s string) {
		if err := os.WriteFile(rules, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// iOS browsers: a plain 302 instead of the interstitial.
	write("version: 1\nroutes:\n  ios:\n    item: redirect item_h5\n")
	p := startProc(t, "--data", t.TempDir(), "--rules", rules)
	ios := corpusUA(t, "browser/ios")
	if a := get(t, rURL(p.base, itemTaobao), ios); a.Status != 302 || !strings.HasPrefix(a.Location, "https://main.m.taobao.com/") {
		t.Fatalf("override at start: got %d %q; want 302 to item_h5", a.Status, a.Location)
	}

	// A new valid file, then SIGHUP: iOS goes to the PC page now.
	write("version: 1\nroutes:\n  ios:\n    item: redirect item_pc\n")
	p.signal(t, syscall.SIGHUP)
	p.waitLog(t, "rules reloaded")
	if a := get(t, rURL(p.base, itemTaobao), ios); a.Status != 302 || !strings.HasPrefix(a.Location, "https://item.taobao.com/") {
		t.Fatalf("after reload: got %d %q; want 302 to item_pc", a.Status, a.Location)
	}

	// An invalid file: the old rules stay, the log names the line.
	write("version: 1\nroutes:\n  ios:\n    item: redirct item_h5\n")
	p.signal(t, syscall.SIGHUP)
	p.waitLog(t, "rules reload failed")
	if !strings.Contains(p.logs.String(), "rules.yaml:4") {
		t.Errorf("reload error does not name rules.yaml:4:\n%s", p.logs)
	}
	if a := get(t, rURL(p.base, itemTaobao), ios); a.Status != 302 || !strings.HasPrefix(a.Location, "https://item.taobao.com/") {
		t.Fatalf("after a bad reload: got %d %q; want the previous rules", a.Status, a.Location)
	}
}

// TestBadRulesAtStart: hutong refuses to start and names file and line.
func TestBadRulesAtStart(t *testing.T) {
	rules := filepath.Join(t.TempDir(), "rules.json")
	os.WriteFile(rules, []byte("{\n  \"version\": 1,\n  \"routes\": {\"wechat\": {\"item\": \"teleport\"}}\n}\n"), 0o644)
	cmd := exec.Command(hutongBinary(t), "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--rules", rules)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() == 0 {
		t.Fatalf("started with a bad rules file: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "rules.json:3") || !strings.Contains(string(out), "teleport") {
		t.Fatalf("error does not name rules.json:3 and the bad value:\n%s", out)
	}
}

// TestSIGTERMLosesNoEvents: taps answered just before SIGTERM are all in
// the event store after the restart.
func TestSIGTERMLosesNoEvents(t *testing.T) {
	data := t.TempDir()
	p := startProc(t, "--data", data, "--initial-api-key", adminKey)
	ua := corpusUA(t, "wechat/ios")
	const n = 300
	for i := 0; i < n; i++ {
		if a := get(t, rURL(p.base, itemTaobao), ua); a.Status != 302 {
			t.Fatalf("tap %d: %d", i, a.Status)
		}
	}
	p.signal(t, syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", p.err, p.logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit within 20s of SIGTERM")
	}
	p2 := startProc(t, "--data", data, "--initial-api-key", adminKey)
	got := 0
	after := ""
	for {
		a := api(t, "GET", p2.base+"/api/v1/events?limit=1000&after="+after, nil)
		var page struct {
			Events []json.RawMessage
			Next   string
		}
		decodeJSON(t, a.Body, &page)
		if len(page.Events) == 0 {
			break
		}
		got += len(page.Events)
		after = page.Next
	}
	if got != n {
		t.Fatalf("events after SIGTERM and restart: got %d; want %d", got, n)
	}
}
