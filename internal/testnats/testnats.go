// Package testnats starts real nats-server processes with JetStream for
// tests: one server (Start) or a three-node cluster (StartCluster), each on
// free loopback ports with its store in a test directory.
//
// When nats-server is not installed the test is skipped, unless CI=true,
// where it fails: CI must never silently skip the JetStream tests. Servers
// are killed at the test's cleanup. Nothing here is safe for concurrent use
// from several goroutines except URL and Addr.
package testnats

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is one nats-server process.
type Server struct {
	Name        string
	Port        int
	ClusterPort int // 0: not clustered
	Dir         string
	args        []string
	bin         string
	cmd         *exec.Cmd
}

// Addr is host:port of the client listener.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL is the server's nats:// URL.
func (s *Server) URL() string { return "nats://" + s.Addr() }

func bin(t testing.TB) string {
	t.Helper()
	b, err := exec.LookPath("nats-server")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nats-server", "/usr/bin/nats-server"} {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		why := "nats-server not installed (apt-get install nats-server)"
		if os.Getenv("CI") == "true" {
			t.Fatalf("JetStream tests need a real server under CI=true: %s", why)
		}
		t.Skipf("skipping: %s", why)
	}
	return b
}

// FreePort returns a free loopback TCP port.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts a JetStream server (file store in a temp dir) and waits
// until it accepts connections.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{Name: "n1", Port: FreePort(t), Dir: t.TempDir(), bin: bin(t)}
	s.args = []string{"-js", "-sd", s.Dir, "-p", strconv.Itoa(s.Port), "-a", "127.0.0.1", "-n", s.Name}
	t.Cleanup(s.Stop)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	return s
}

// StartWithoutJetStream starts a plain NATS server (no -js), for the
// "JetStream not enabled" errors.
func StartWithoutJetStream(t testing.TB) *Server {
	t.Helper()
	s := &Server{Name: "plain", Port: FreePort(t), Dir: t.TempDir(), bin: bin(t)}
	s.args = []string{"-p", strconv.Itoa(s.Port), "-a", "127.0.0.1", "-n", s.Name}
	t.Cleanup(s.Stop)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Cluster is a set of clustered JetStream servers.
type Cluster struct{ Servers []*Server }

// URL lists every node, comma-separated (the form nats.Connect takes).
func (c *Cluster) URL() string {
	var us []string
	for _, s := range c.Servers {
		us = append(us, s.URL())
	}
	return strings.Join(us, ",")
}

// StartCluster starts n clustered JetStream servers and waits until each
// accepts connections (JetStream itself needs a moment more to elect a
// meta leader: wait for that with a client).
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	b := bin(t)
	c := &Cluster{}
	for i := range n {
		c.Servers = append(c.Servers, &Server{Name: "n" + strconv.Itoa(i+1), Port: FreePort(t), ClusterPort: FreePort(t), Dir: t.TempDir(), bin: b})
	}
	var routes []string
	for _, s := range c.Servers {
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(s.ClusterPort))
	}
	for _, s := range c.Servers {
		s.args = []string{"-js", "-sd", s.Dir, "-p", strconv.Itoa(s.Port), "-a", "127.0.0.1", "-n", s.Name,
			"--cluster_name", "hutong-test", "--cluster", "nats://127.0.0.1:" + strconv.Itoa(s.ClusterPort),
			"--routes", strings.Join(routes, ",")}
		t.Cleanup(s.Stop)
	}
	for _, s := range c.Servers {
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Restart starts the server again (same ports, same store) after Stop.
func (s *Server) Restart() error {
	cmd := exec.Command(s.bin, s.args...)
	logf, err := os.OpenFile(filepath.Join(s.Dir, "nats.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	logf.Close()
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("nats-server %s on port %d did not accept connections within 10s (log in %s)", s.Name, s.Port, s.Dir)
}

// Stop kills the server (SIGKILL: a crash, not a clean shutdown) and waits
// for it to exit.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Log returns the server's log so far (for failure messages).
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "nats.log"))
	return string(b)
}
