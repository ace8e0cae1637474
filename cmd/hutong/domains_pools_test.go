package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
)

// TestCheckRoundsAcrossInstances: two instances on one store check the same
// domains; a round right after the other's is left out, so one hard verdict
// per period makes suspect, not blocked. The next period's hard verdict
// blocks it, once.
func TestCheckRoundsAcrossInstances(t *testing.T) {
	checker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"blocked"}`)
	}))
	defer checker.Close()
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "links.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var cfg config.Serve
	cfg.Domains = []string{"s1.test", "s2.test"}
	cfg.Domain = config.DomainChecks{CheckURLs: []string{checker.URL + "/?d={host}"}, Blocked: `"blocked"`, Every: time.Hour}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func() *domainPools {
		p, err := startDomainPools(context.Background(), cfg, store, prometheus.NewRegistry(), quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close(context.Background()) })
		return p
	}
	a, b := start(), start()
	status := func() (domains.Status, int) {
		ds, err := store.ListDomains(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return ds[1].Status, ds[1].HardRun
	}
	a.checkRound(context.Background())
	if err := b.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.checkRound(context.Background())
	if st, run := status(); st != domains.Suspect || run != 1 {
		t.Fatalf("after two instances' rounds in one period: s2 %s with %d hard verdicts; want suspect, 1", st, run)
	}
	// A period later (the records say the last check was an hour ago).
	for _, h := range cfg.Domains {
		if _, err := store.UpdateDomain(context.Background(), h, func(d *domains.Domain) error { d.LastCheck = d.LastCheck.Add(-time.Hour); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	b.refresh(context.Background())
	b.checkRound(context.Background())
	if st, _ := status(); st != domains.Blocked {
		t.Fatalf("after the next period's round: s2 %s; want blocked", st)
	}
}
