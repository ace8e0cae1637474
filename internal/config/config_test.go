package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := ParseServe(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":8080" || c.Data != "./data" || c.Redis != "" || c.ExpandTimeout != 1500*time.Millisecond || c.IPPolicy != "truncate" || c.EventBatchSize != 512 || !c.EventsOn() {
		t.Fatalf("got %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	env := envOf(map[string]string{
		"HUTONG_LISTEN":           "127.0.0.1:9000",
		"HUTONG_REDIS":            "redis://127.0.0.1:6379/0",
		"HUTONG_TRUSTED_PROXIES":  "10.0.0.0/8, 192.168.1.1",
		"HUTONG_EXPAND_TIMEOUT":   "300ms",
		"HUTONG_EVENT_BATCH_SIZE": "128",
		"HUTONG_EVENTS":           "off",
	})
	c, err := ParseServe([]string{"--listen", ":7000"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":7000" {
		t.Errorf("flag must win over env: got %q", c.Listen)
	}
	if c.Redis != "redis://127.0.0.1:6379/0" || c.ExpandTimeout != 300*time.Millisecond || c.EventBatchSize != 128 || c.EventsOn() {
		t.Errorf("env not applied: %+v", c)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1] != "192.168.1.1" {
		t.Errorf("got proxies %q", c.TrustedProxies)
	}
}

func TestErrorsNameTheSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad listen", []string{"--listen", "8080"}, nil, "--listen"},
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/99"}, nil, "--trusted-proxies"},
		{"bad env duration", nil, map[string]string{"HUTONG_EXPAND_TIMEOUT": "soon"}, "HUTONG_EXPAND_TIMEOUT"},
		{"bad env int", nil, map[string]string{"HUTONG_MAX_INPUT": "big"}, "HUTONG_MAX_INPUT"},
		{"hash without key", []string{"--ip-policy", "hash"}, nil, "--ip-hash-key"},
		{"unknown events compression", []string{"--events-compression", "zstd"}, nil, "--events-compression \"zstd\": want auto, gzip, snappy or none"},
		{"short cursor secret", []string{"--cursor-secret", "short"}, nil, "--cursor-secret"},
		{"half TOP", []string{"--top-app-key", "x"}, nil, "--top-app-secret"},
		{"base url path", []string{"--base-url", "https://hut.ong/x"}, nil, "--base-url"},
		{"stray arg", []string{"extra"}, nil, "unexpected argument"},
		{"not-found url another host by //", []string{"--not-found-url", "//evil.example/"}, nil, "--not-found-url"},
		{"not-found url scheme", []string{"--not-found-url", "javascript:alert(1)"}, nil, "--not-found-url"},
		{"not-found url backslash", []string{"--not-found-url", "/\\evil.example"}, nil, "--not-found-url"},
		{"not-found url relative", []string{"--not-found-url", "404.html"}, nil, "--not-found-url"},
		{"not-found url user info", []string{"--not-found-url", "https://a@evil.example/"}, nil, "--not-found-url"},
		{"root redirect relative", []string{"--root-redirect", "ui"}, nil, "--root-redirect"},
		{"zero batch", []string{"--event-batch-size", "0"}, nil, "--event-batch-size must be positive"},
		{"huge batch", []string{"--event-batch-size", "5000"}, nil, "--event-batch-size must be at most 4096"},
		{"events maybe", []string{"--events", "maybe"}, nil, `--events "maybe": want on or off`},
		{"postbacks without events", nil, map[string]string{"HUTONG_EVENTS": "off", "HUTONG_POSTBACKS": "pb.json"}, "--postbacks needs click events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseServe(tc.args, envOf(tc.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestRedisURLAlias(t *testing.T) {
	c, err := ParseServe(nil, envOf(map[string]string{"HUTONG_REDIS_URL": "redis://10.0.0.1:6379/0"}), io.Discard)
	if err != nil || c.Redis != "redis://10.0.0.1:6379/0" {
		t.Fatalf("HUTONG_REDIS_URL: got %q, %v", c.Redis, err)
	}
	c, _ = ParseServe(nil, envOf(map[string]string{"HUTONG_REDIS_URL": "redis://a:1/0", "HUTONG_REDIS": "redis://b:2/0"}), io.Discard)
	if c.Redis != "redis://b:2/0" {
		t.Fatalf("HUTONG_REDIS must win: got %q", c.Redis)
	}
	c, _ = ParseServe([]string{"--redis", "redis://c:3/0"}, envOf(map[string]string{"HUTONG_REDIS_URL": "redis://a:1/0"}), io.Discard)
	if c.Redis != "redis://c:3/0" {
		t.Fatalf("the flag must win: got %q", c.Redis)
	}
}

func TestDebugListen(t *testing.T) {
	c, err := ParseServe([]string{"--debug-listen", "127.0.0.1:6060"}, envOf(nil), io.Discard)
	if err != nil || c.DebugListen != "127.0.0.1:6060" {
		t.Errorf("--debug-listen 127.0.0.1:6060: got %q, %v", c.DebugListen, err)
	}
	c, err = ParseServe(nil, envOf(map[string]string{"HUTONG_DEBUG_LISTEN": "127.0.0.1:6061"}), io.Discard)
	if err != nil || c.DebugListen != "127.0.0.1:6061" {
		t.Errorf("HUTONG_DEBUG_LISTEN: got %q, %v", c.DebugListen, err)
	}
	if _, err := ParseServe([]string{"--debug-listen", "6060"}, envOf(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--debug-listen") {
		t.Errorf("--debug-listen 6060: got %v; want an error naming --debug-listen", err)
	}
}

func TestMemoryLimit(t *testing.T) {
	c, _ := ParseServe(nil, envOf(nil), io.Discard)
	if n, err := c.MemoryLimitBytes(); err != nil || n < 64<<20 || n > 96<<20 {
		t.Errorf("auto with defaults: got %d MiB, %v; want 64–96 MiB", n>>20, err)
	}
	c, _ = ParseServe([]string{"--link-cache-size", "1000000"}, envOf(nil), io.Discard)
	if n, _ := c.MemoryLimitBytes(); n < 600<<20 {
		t.Errorf("auto with a 1M-entry cache: got %d MiB; want room for the cache", n>>20)
	}
	for in, want := range map[string]int64{"off": 0, "256MiB": 256 << 20, "2GiB": 2 << 30} {
		c, err := ParseServe([]string{"--memory-limit", in}, envOf(nil), io.Discard)
		if n, _ := c.MemoryLimitBytes(); err != nil || n != want {
			t.Errorf("%s: got %d, %v; want %d", in, n, err, want)
		}
	}
	if _, err := ParseServe([]string{"--memory-limit", "lots"}, envOf(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--memory-limit") {
		t.Errorf("bad value: got %v", err)
	}
}

// TestRedirectTargets: --root-redirect and --not-found-url take a local
// path or an http(s) URL; --root-redirect also auto (its default) and off.
func TestRedirectTargets(t *testing.T) {
	c, err := ParseServe(nil, envOf(nil), io.Discard)
	if err != nil || c.RootRedirect != "auto" || c.NotFoundURL != "" {
		t.Fatalf("defaults: %q %q %v; want auto and none", c.RootRedirect, c.NotFoundURL, err)
	}
	for _, v := range []string{"/404.html", "/ui/", "https://shop.example/sorry?from=hutong", "http://127.0.0.1:9/x"} {
		c, err := ParseServe([]string{"--not-found-url", v, "--root-redirect", v}, envOf(nil), io.Discard)
		if err != nil || c.NotFoundURL != v || c.RootRedirect != v {
			t.Errorf("%q: got %q %q %v", v, c.NotFoundURL, c.RootRedirect, err)
		}
	}
	c, err = ParseServe(nil, envOf(map[string]string{"HUTONG_NOT_FOUND_URL": "/gone"}), io.Discard)
	if err != nil || c.NotFoundURL != "/gone" {
		t.Errorf("HUTONG_NOT_FOUND_URL: got %q %v", c.NotFoundURL, err)
	}
}
