package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
	"github.com/hutong-dev/hutong/shortlink/storetest"
)

func openBolt(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, boltstore.Options{NoSync: true, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("boltstore.Open: %v", err)
	}
	return s
}

func TestBoltContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) shortlink.Store {
		return openBolt(t, filepath.Join(t.TempDir(), "hutong.db"))
	})
}

func TestBoltReopenPersists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "hutong.db")
	s := openBolt(t, path)
	svc := shortlink.NewService(s, shortlink.ServiceConfig{Now: func() time.Time { return storetest.Base }})
	l, err := svc.Create(ctx, shortlink.Link{Target: "https://item.taobao.com/item.htm?id=1", MaxClicks: 3, Tags: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Hit(ctx, "", l.Code, storetest.Base); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureInitialKey(ctx, "initial-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openBolt(t, path)
	defer s.Close()
	got, err := s.Get(ctx, "", l.Code)
	if err != nil || got.Clicks != 1 || got.Target != l.Target {
		t.Fatalf("after reopen Get = %+v, %v; want clicks 1", got, err)
	}
	if has, _ := s.HasKeys(ctx); !has {
		t.Error("HasKeys after reopen = false")
	}
	p, err := s.List(ctx, shortlink.Filter{Tag: "x"})
	if err != nil || len(p.Links) != 1 {
		t.Errorf("List(tag) after reopen = %d links, %v; want 1", len(p.Links), err)
	}
	created, err := shortlink.NewService(s, shortlink.ServiceConfig{}).EnsureInitialKey(ctx, "another-secret-0123456789")
	if err != nil || created {
		t.Errorf("EnsureInitialKey with a key present = %v, %v; want false", created, err)
	}
}

func TestBoltLockedFileTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hutong.db")
	s := openBolt(t, path)
	defer s.Close()
	start := time.Now()
	_, err := boltstore.Open(path, boltstore.Options{Timeout: 100 * time.Millisecond})
	if shortlink.ErrorCode(err) != shortlink.CodeUnavailable {
		t.Fatalf("second Open: err = %v; want unavailable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %v; want about the 100ms timeout", d)
	}
}

func TestBoltDomains(t *testing.T) {
	storetest.RunDomains(t, func(t *testing.T) storetest.DomainStore {
		return openBolt(t, filepath.Join(t.TempDir(), "links.db"))
	})
}
