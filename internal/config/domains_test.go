package config

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDomainFlags(t *testing.T) {
	c, err := ParseServe([]string{
		"--domain-check-url", "http://127.0.0.1:9/check?d={host}&x=1,2",
		"--domain-check-url", "https://other.example/api?url={url}",
		"--domain-check-blocked", `"blocked"`, "--domain-check-every", "1s",
	}, envOf(map[string]string{"HUTONG_DOMAIN_CHECK_URL": "http://env.example/{host}"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://127.0.0.1:9/check?d={host}&x=1,2", "https://other.example/api?url={url}"}
	if !slices.Equal(c.Domain.CheckURLs, want) || c.Domain.Every != time.Second || c.Domain.MinHealthy != 1 {
		t.Errorf("got %+v; want the two command-line checkers, every 1s, min healthy 1", c.Domain)
	}
	if c.Domain.BlockedRe() == nil || c.Domain.SoftRe() != nil {
		t.Error("BlockedRe/SoftRe")
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no placeholder", []string{"--domain-check-url", "http://x.example/check", "--domain-check-blocked", "b"}, "holding {host} or {url}"},
		{"no blocked pattern", []string{"--domain-check-url", "http://x.example/{host}"}, "needs --domain-check-blocked"},
		{"bad pattern", []string{"--domain-check-soft", "("}, "--domain-check-soft"},
		{"too often", []string{"--domain-check-every", "10ms"}, "want 1s or more"},
		{"unsigned alert", []string{"--domain-alert-url", "https://hook.example/x"}, "needs --domain-alert-secret"},
	} {
		_, err := ParseServe(tc.args, envOf(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v; want it to say %q", tc.name, err, tc.want)
		}
	}
}
