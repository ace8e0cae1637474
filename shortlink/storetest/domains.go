package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/shortlink"
)

// DomainStore is what RunDomains tests: a Store that keeps domain records.
type DomainStore interface {
	shortlink.Store
	shortlink.DomainStore
}

// RunDomains runs the contract suite of shortlink.DomainStore. open must
// return an empty store each call (own file, or own Redis key prefix).
func RunDomains(t *testing.T, open func(t *testing.T) DomainStore) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	t.Run("seed once, links keep their codes", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		// Links from before domain pools: the default domain and a host of --domains.
		for _, l := range []shortlink.Link{
			{Code: "old1", Target: "https://item.taobao.com/item.htm?id=1", Version: 0},
			{Code: "old2", Domain: "s2.test", Target: "https://item.taobao.com/item.htm?id=2"},
		} {
			if _, err := s.Create(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := domains.FromList([]string{"S1.test", "s2.test", "s3.test."}, now)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.SeedDomains(ctx, ds); err != nil || !ok {
			t.Fatalf("first SeedDomains = %v, %v; want true, nil", ok, err)
		}
		got, err := s.ListDomains(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Host != "s1.test" || got[0].Status != domains.Active || got[2].Host != "s3.test" || got[1].Status != domains.Standby {
			t.Fatalf("ListDomains = %+v; want s1 active, s2, s3 standby", got)
		}
		// The API retires s3; a restart with the same --domains must not bring it back.
		if _, err := s.UpdateDomain(ctx, "s3.test", func(d *domains.Domain) error { d.SetStatus(domains.Retired, now); return nil }); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.SeedDomains(ctx, ds); err != nil || ok {
			t.Fatalf("second SeedDomains = %v, %v; want false, nil", ok, err)
		}
		got, _ = s.ListDomains(ctx)
		if got[2].Status != domains.Retired {
			t.Errorf("s3 after reseed = %s; want retired", got[2].Status)
		}
		for _, ref := range []shortlink.LinkRef{{Code: "old1"}, {Domain: "s2.test", Code: "old2"}} {
			if _, err := s.Get(ctx, ref.Domain, ref.Code); err != nil {
				t.Errorf("link %v after seeding: %v", ref, err)
			}
		}
	})
	t.Run("create, update, delete", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		d, err := s.CreateDomain(ctx, domains.Domain{Host: "Q.Example.cn", Role: domains.QR, Pool: "print", ICP: "京ICP备00000000号"})
		if err != nil {
			t.Fatal(err)
		}
		if d.Host != "q.example.cn" || d.Status != domains.Active {
			t.Errorf("created %+v; want host normalised, status active", d)
		}
		if _, err := s.CreateDomain(ctx, domains.Domain{Host: "q.example.cn"}); shortlink.ErrorCode(err) != shortlink.CodeConflict {
			t.Errorf("second create: %v; want conflict", err)
		}
		if _, err := s.CreateDomain(ctx, domains.Domain{Host: "a/b"}); shortlink.ErrorCode(err) != shortlink.CodeInvalid {
			t.Errorf("create a/b: %v; want invalid", err)
		}
		if _, err := s.CreateDomain(ctx, domains.Domain{Host: "x.test", Status: "gone"}); shortlink.ErrorCode(err) != shortlink.CodeInvalid {
			t.Errorf("create with status gone: %v; want invalid", err)
		}
		up, err := s.UpdateDomain(ctx, "q.example.cn", func(d *domains.Domain) error {
			d.SetStatus(domains.Blocked, now)
			d.Host = "other.test" // ignored: the host is the key
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Host != "q.example.cn" || up.Status != domains.Blocked || up.StrikeCount(now) != 1 || up.ICP != "京ICP备00000000号" {
			t.Errorf("updated %+v; want blocked with one strike, same host and ICP", up)
		}
		boom := errors.New("boom")
		if _, err := s.UpdateDomain(ctx, "q.example.cn", func(*domains.Domain) error { return boom }); !errors.Is(err, boom) {
			t.Errorf("update with failing fn: %v; want boom", err)
		}
		if _, err := s.UpdateDomain(ctx, "nope.test", func(*domains.Domain) error { return nil }); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			t.Errorf("update missing: %v; want not found", err)
		}
		got, _ := s.ListDomains(ctx)
		if len(got) != 1 || got[0].Status != domains.Blocked || got[0].Pool != "print" || got[0].Role != domains.QR {
			t.Errorf("ListDomains = %+v", got)
		}
		if err := s.DeleteDomain(ctx, "Q.example.cn"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDomain(ctx, "q.example.cn"); shortlink.ErrorCode(err) != shortlink.CodeNotFound {
			t.Errorf("second delete: %v; want not found", err)
		}
		if got, _ := s.ListDomains(ctx); len(got) != 0 {
			t.Errorf("after delete: %+v", got)
		}
	})
}
