// Package testredis finds or starts a real Redis server for tests.
//
// Order: $HUTONG_TEST_REDIS_URL; else 127.0.0.1:6379 if it answers PING;
// else a throwaway `redis-server` on a free port (if installed), stopped when
// the test binary's tests finish. When none is available the test is skipped,
// unless CI=true, where it fails: CI must never silently skip the Redis tests.
package testredis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	mu     sync.Mutex
	shared string // URL of the server found or started for this test binary
)

// URL returns a redis:// URL of a reachable Redis server, skipping (or, under
// CI=true, failing) t when there is none. The server is shared by all tests
// of the package: give each test its own key prefix or DB and clean up after
// yourself (see FlushPrefix).
func URL(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared != "" {
		return shared
	}
	if u := os.Getenv("HUTONG_TEST_REDIS_URL"); u != "" {
		pu, err := url.Parse(u)
		if err != nil || !ping(pu.Host) {
			missing(t, fmt.Sprintf("HUTONG_TEST_REDIS_URL=%s does not answer PING", u))
		}
		shared = u
		return shared
	}
	if ping("127.0.0.1:6379") {
		shared = "redis://127.0.0.1:6379/0"
		return shared
	}
	srv, err := Start(t.TempDir())
	if err != nil {
		missing(t, "no Redis at 127.0.0.1:6379 and cannot start redis-server: "+err.Error())
	}
	// The server outlives this test: it is shared for the binary's life and
	// dies with the process group; tests never rely on its data surviving.
	shared = srv.URL()
	return shared
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("Redis required under CI=true: %s (set HUTONG_TEST_REDIS_URL or install redis-server)", why)
	}
	t.Skipf("skipping: %s (set HUTONG_TEST_REDIS_URL or install redis-server)", why)
}

// Server is a redis-server process started by Start.
type Server struct {
	Port int
	Dir  string
	bin  string
	cmd  *exec.Cmd
}

// URL is the server's redis:// URL (database 0).
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.Port) + "/0" }

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Start starts a throwaway redis-server (no persistence) on a free loopback
// port with its working directory in dir, and waits until it answers PING.
// Use it in tests that must stop and restart Redis (Stop, then Restart).
func Start(dir string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not installed (apt-get install redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{Port: port, Dir: dir, bin: bin}
	return s, s.Restart()
}

// Restart starts the server again on the same port after Stop.
func (s *Server) Restart() error {
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.Dir,
		"--logfile", filepath.Join(s.Dir, "redis.log"))
	if err := startPinged(cmd, s.Port, s.Dir); err != nil {
		return err
	}
	s.cmd = cmd
	return nil
}

// startPinged starts a redis-server command listening on 127.0.0.1:port
// and waits up to 5s for it to answer PING; a server that does not is
// killed and reaped.
func startPinged(cmd *exec.Cmd, port int, dir string) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ping(addr) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return fmt.Errorf("redis-server on port %d did not answer PING within 5s (log in %s)", port, dir)
}

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func ping(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}
