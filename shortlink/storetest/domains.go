package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
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
	t.Run("concurrent seeders seed one list, whole", func(t *testing.T) {
		for round := range 5 {
			s := open(t)
			stores := make([]DomainStore, 8)
			for i := range stores {
				stores[i] = s
			}
			SeedConcurrently(t, stores, fmt.Sprint(round))
		}
	})
	t.Run("a removal keeps its pending alerts in a tombstone", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		a := domains.Alert{Host: "gone.test", Pool: "default", Role: domains.Entry, Status: domains.Blocked, Previous: domains.Active, At: now}
		if _, err := s.CreateDomain(ctx, domains.Domain{Host: "gone.test", PendingAlerts: []domains.PendingAlert{{Alert: a, Attempts: 2, NextTry: now.Add(time.Minute)}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateDomain(ctx, domains.Domain{Host: "plain.test"}); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"gone.test", "plain.test"} {
			if err := s.DeleteDomain(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.RemovedDomains(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Host != "gone.test" || len(got[0].PendingAlerts) != 1 || got[0].PendingAlerts[0].Attempts != 2 || got[0].PendingAlerts[0].Key() != a.Key() {
			t.Fatalf("RemovedDomains = %+v; want gone.test with its alert (2 attempts), no tombstone for plain.test", got)
		}
		// The removal's own alert: a tombstone made on the spot.
		rm := domains.Alert{Host: "plain.test", Status: "removed", Previous: domains.Standby, At: now}
		if _, err := s.UpdateRemovedDomain(ctx, "Plain.test", func(d *domains.Domain) error { d.QueueAlert(rm); return nil }); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.RemovedDomains(ctx); len(got) != 2 || got[1].Host != "plain.test" || len(got[1].PendingAlerts) != 1 {
			t.Fatalf("after queueing the removal alert: %+v; want two tombstones", got)
		}
		if ds, _ := s.ListDomains(ctx); len(ds) != 0 {
			t.Errorf("ListDomains after removals = %+v; want none (tombstones are not records)", ds)
		}
		// Delivered: the tombstone goes with its last alert.
		if _, err := s.UpdateRemovedDomain(ctx, "plain.test", func(d *domains.Domain) error { d.ClearAlert(rm.Key()); return nil }); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.RemovedDomains(ctx); len(got) != 1 || got[0].Host != "gone.test" {
			t.Errorf("after delivering plain.test's alert: %+v; want only gone.test left", got)
		}
		// Added again and removed again: the alerts join, none is lost.
		b := a
		b.At = now.Add(time.Hour)
		if _, err := s.CreateDomain(ctx, domains.Domain{Host: "gone.test", PendingAlerts: []domains.PendingAlert{{Alert: b, NextTry: b.At}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDomain(ctx, "gone.test"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.RemovedDomains(ctx); len(got) != 1 || len(got[0].PendingAlerts) != 2 {
			t.Errorf("after a second removal: %+v; want gone.test with both alerts", got)
		}
	})
	t.Run("check lease: one holder, renewed, released, expired", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		lead := func(owner string, ttl time.Duration) bool {
			t.Helper()
			ok, err := s.LeadChecks(ctx, owner, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !lead("a", time.Minute) || lead("b", time.Minute) || !lead("a", time.Minute) {
			t.Fatal("want a to take and renew the lease, b refused")
		}
		if err := s.ReleaseChecks(ctx, "b"); err != nil { // not b's: no effect
			t.Fatal(err)
		}
		if lead("b", time.Minute) {
			t.Fatal("b took the lease after releasing one it did not hold")
		}
		if err := s.ReleaseChecks(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if !lead("b", 100*time.Millisecond) {
			t.Fatal("b did not take the lease a released")
		}
		time.Sleep(300 * time.Millisecond) // b neither renews nor releases
		if !lead("a", time.Minute) {
			t.Fatal("a did not take the lease b let expire")
		}
	})
	t.Run("taps by host and minute", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		add := func(at time.Time, m map[string]int64) {
			t.Helper()
			if err := s.AddDomainTaps(ctx, at, m); err != nil {
				t.Fatal(err)
			}
		}
		add(now.Add(-3*time.Hour), map[string]int64{"s1.test": 100}) // outside the hour
		add(now.Add(-30*time.Minute), map[string]int64{"s1.test": 2, "s2.test": 1})
		add(now, map[string]int64{"s1.test": 3})
		add(now.Add(20*time.Second), map[string]int64{"s1.test": 1}) // the same minute, another instance
		got, err := s.DomainTaps(ctx, now.Add(-time.Hour), now.Add(20*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["s1.test"] != 6 || got["s2.test"] != 1 {
			t.Errorf("DomainTaps(last hour) = %v; want s1.test 6, s2.test 1", got)
		}
	})
}

// SeedConcurrently seeds a list of its own from each store at once (all
// on one backing store: instances starting together) and checks that
// exactly one seeded, and that each of them, as soon as its SeedDomains
// returned, lists the winner's whole list and nothing else.
func SeedConcurrently(t *testing.T, stores []DomainStore, tag string) {
	t.Helper()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	type result struct {
		seeded bool
		hosts  string
		err    error
	}
	res := make([]result, len(stores))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		ds, err := domains.FromList([]string{fmt.Sprintf("i%d-a.%s.test", i, tag), fmt.Sprintf("i%d-b.%s.test", i, tag), fmt.Sprintf("i%d-c.%s.test", i, tag)}, now)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.SeedDomains(context.Background(), ds)
			if err != nil {
				res[i].err = err
				return
			}
			got, err := s.ListDomains(context.Background())
			var hosts []string
			for _, d := range got {
				hosts = append(hosts, d.Host)
			}
			res[i] = result{ok, strings.Join(hosts, ","), err}
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, r := range res {
		if r.err != nil {
			t.Fatalf("seeder %d: %v", i, r.err)
		}
		if r.seeded {
			if winner >= 0 {
				t.Fatalf("seeders %d and %d both seeded", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no seeder seeded")
	}
	want := fmt.Sprintf("i%d-a.%[2]s.test,i%[1]d-b.%[2]s.test,i%[1]d-c.%[2]s.test", winner, tag)
	for i, r := range res {
		if r.hosts != want {
			t.Errorf("seeder %d (seeded %v) lists %q right after seeding; want the winner's whole list %q", i, r.seeded, r.hosts, want)
		}
	}
}
