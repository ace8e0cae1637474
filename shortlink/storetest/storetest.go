// Package storetest is the contract every shortlink.Store implementation
// must pass. Call Run from the implementation's tests with a constructor
// that returns a fresh, empty store (own file, or own Redis key prefix).
package storetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
)

// Base is the fixed "now" the suite uses; no test sleeps.
var Base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs the contract suite. newStore must return an empty store; the
// suite closes it.
func Run(t *testing.T, newStore func(t *testing.T) shortlink.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s shortlink.Store)
	}{
		{"CreateGet", testCreateGet},
		{"NotFound", testNotFound},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"HitStates", testHitStates},
		{"ConcurrentRandomCodes", testConcurrentRandomCodes},
		{"ConcurrentSameAlias", testConcurrentSameAlias},
		{"ConcurrentHitsCap", testConcurrentHitsCap},
		{"ListPagination", testListPagination},
		{"Keys", testKeys},
		{"CreateMany", testCreateMany},
		{"CreateManyLarge", testCreateManyLarge},
		{"ServiceCreateMany", testServiceCreateMany},
		{"GetMany", testGetMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			tc.fn(t, s)
		})
	}
}

func sample(code string) shortlink.Link {
	exp := Base.Add(time.Hour)
	return shortlink.Link{
		Code:      code,
		Target:    "https://item.taobao.com/item.htm?id=123456",
		Entity:    resolver.Entity{Platform: resolver.PlatformTaobao, Kind: resolver.KindItem, ID: "123456", IDType: resolver.IDItem, Canonical: "https://item.taobao.com/item.htm?id=123456"},
		CreatedAt: Base, UpdatedAt: Base, ExpiresAt: &exp,
		Route:           route.Overrides{BuyNow: true, SKU: "42", Quantity: 2},
		Tags:            []string{"spring", "sale"},
		Campaign:        "618",
		UTM:             map[string]string{"utm_source": "wechat"},
		ForwardClickIDs: []string{"gdt_vid"},
		Title:           "Spring sale 春季",
		Tpwd: &shortlink.Tpwd{Model: "6￥AbCdEf12345￥/ https://m.tb.cn/h.gX1 CZ0001", Simple: "￥AbCdEf12345￥",
			CreatedAt: Base, Source: shortlink.TpwdCreated},
	}
}

func code(err error) string { return shortlink.ErrorCode(err) }

func mustCreate(t *testing.T, s shortlink.Store, l shortlink.Link) shortlink.Link {
	t.Helper()
	out, err := s.Create(context.Background(), l)
	if err != nil {
		t.Fatalf("Create(%q): %v", l.Code, err)
	}
	return out
}

func testCreateGet(t *testing.T, s shortlink.Store) {
	ctx := context.Background()
	in := sample("spring-1")
	out := mustCreate(t, s, in)
	if out.Version != 1 {
		t.Errorf("Create: Version = %d; want 1", out.Version)
	}
	got, err := s.Get(ctx, "", "spring-1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Target != in.Target || got.Entity != in.Entity || got.Route != in.Route ||
		!slices.Equal(got.Tags, in.Tags) || got.Campaign != in.Campaign || got.UTM["utm_source"] != "wechat" ||
		!slices.Equal(got.ForwardClickIDs, in.ForwardClickIDs) || got.Title != in.Title ||
		got.Tpwd == nil || got.Tpwd.Model != in.Tpwd.Model || got.Tpwd.Simple != in.Tpwd.Simple ||
		got.Tpwd.Source != shortlink.TpwdCreated || !got.Tpwd.CreatedAt.Equal(Base) ||
		got.ExpiresAt == nil || !got.ExpiresAt.Equal(*in.ExpiresAt) || !got.CreatedAt.Equal(Base) || got.Version != 1 || got.Clicks != 0 {
		t.Errorf("Get = %+v; want %+v", got, in)
	}
	if _, err := s.Create(ctx, in); code(err) != shortlink.CodeConflict {
		t.Errorf("second Create: err = %v; want conflict", err)
	}
	// Same code on another domain is another link.
	other := sample("spring-1")
	other.Domain, other.Title = "go.example.com", "other"
	mustCreate(t, s, other)
	a, _ := s.Get(ctx, "", "spring-1")
	b, _ := s.Get(ctx, "go.example.com", "spring-1")
	if a.Title != in.Title || b.Title != "other" || b.Domain != "go.example.com" {
		t.Errorf("per-domain codes: got titles %q, %q; want %q, %q", a.Title, b.Title, in.Title, "other")
	}
}

func testNotFound(t *testing.T, s shortlink.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "", "nope"); code(err) != shortlink.CodeNotFound {
		t.Errorf("Get: err = %v; want not_found", err)
	}
	if _, err := s.Update(ctx, sample("nope")); code(err) != shortlink.CodeNotFound {
		t.Errorf("Update: err = %v; want not_found", err)
	}
	if err := s.Delete(ctx, "", "nope"); code(err) != shortlink.CodeNotFound {
		t.Errorf("Delete: err = %v; want not_found", err)
	}
	if _, _, err := s.Hit(ctx, "", "nope", Base); code(err) != shortlink.CodeNotFound {
		t.Errorf("Hit: err = %v; want not_found", err)
	}
}

func testUpdate(t *testing.T, s shortlink.Store) {
	ctx := context.Background()
	l := sample("upd")
	l.MaxClicks = 10
	mustCreate(t, s, l)
	if _, res, err := s.Hit(ctx, "", "upd", Base); err != nil || res != shortlink.HitOK {
		t.Fatalf("Hit = %v, %v; want ok", res, err)
	}
	l.Title, l.Tags, l.Campaign = "new title", []string{"sale", "autumn"}, "1111"
	l.Version = 1
	l.Clicks = 999                    // ignored: only Hit changes clicks
	l.CreatedAt = Base.Add(time.Hour) // ignored
	got, err := s.Update(ctx, l)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got.Version != 2 || got.Clicks != 1 || !got.CreatedAt.Equal(Base) || got.Title != "new title" {
		t.Errorf("Update = version %d clicks %d created %v title %q; want 2, 1, %v, %q", got.Version, got.Clicks, got.CreatedAt, got.Title, Base, "new title")
	}
	stored, _ := s.Get(ctx, "", "upd")
	if stored.Version != 2 || stored.Clicks != 1 || stored.Title != "new title" || !stored.CreatedAt.Equal(Base) {
		t.Errorf("Get after Update = %+v", stored)
	}
	// A stale version loses.
	l.Version = 1
	if _, err := s.Update(ctx, l); code(err) != shortlink.CodeConflict {
		t.Errorf("stale Update: err = %v; want conflict", err)
	}
	// Version 0 skips the check.
	l.Version = 0
	if got, err := s.Update(ctx, l); err != nil || got.Version != 3 {
		t.Errorf("unchecked Update = version %d, %v; want 3, nil", got.Version, err)
	}
	// Indexes follow the edit.
	assertList(t, s, shortlink.Filter{Tag: "spring"}, nil)
	assertList(t, s, shortlink.Filter{Tag: "autumn"}, []string{"upd"})
	assertList(t, s, shortlink.Filter{Campaign: "618"}, nil)
	assertList(t, s, shortlink.Filter{Campaign: "1111"}, []string{"upd"})
}

func testDelete(t *testing.T, s shortlink.Store) {
	ctx := context.Background()
	l := sample("del")
	l.MaxClicks = 5
	mustCreate(t, s, l)
	s.Hit(ctx, "", "del", Base)
	if err := s.Delete(ctx, "", "del"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "", "del"); code(err) != shortlink.CodeNotFound {
		t.Errorf("Get after Delete: err = %v; want not_found", err)
	}
	assertList(t, s, shortlink.Filter{}, nil)
	assertList(t, s, shortlink.Filter{Tag: "spring"}, nil)
	// Re-creating starts from zero clicks.
	if got := mustCreate(t, s, l); got.Clicks != 0 {
		t.Errorf("recreated Clicks = %d; want 0", got.Clicks)
	}
	if got, _ := s.Get(ctx, "", "del"); got.Clicks != 0 {
		t.Errorf("recreated Get Clicks = %d; want 0", got.Clicks)
	}
}

func testHitStates(t *testing.T, s shortlink.Store) {
	ctx := context.Background()
	el := sample("exp")
	el.MaxClicks = 100 // Get's Clicks are only required of a capped link
	exp := mustCreate(t, s, el)
	for _, tc := range []struct {
		name string
		now  time.Time
		want shortlink.HitResult
	}{
		{"before expiry", Base, shortlink.HitOK},
		{"just before", exp.ExpiresAt.Add(-time.Millisecond), shortlink.HitOK},
		{"at expiry", *exp.ExpiresAt, shortlink.HitExpired},
		{"after expiry", exp.ExpiresAt.Add(time.Hour), shortlink.HitExpired},
	} {
		if _, res, err := s.Hit(ctx, "", "exp", tc.now); err != nil || res != tc.want {
			t.Errorf("%s: Hit = %v, %v; want %v", tc.name, res, err, tc.want)
		}
	}
	if got, _ := s.Get(ctx, "", "exp"); got.Clicks != 2 {
		t.Errorf("Clicks after 2 ok and 2 expired hits = %d; want 2", got.Clicks)
	}
	dis := sample("dis")
	dis.Disabled = true
	mustCreate(t, s, dis)
	if _, res, err := s.Hit(ctx, "", "dis", Base); err != nil || res != shortlink.HitDisabled {
		t.Errorf("disabled: Hit = %v, %v; want disabled", res, err)
	}
	if res := shortlink.HitDisabled; shortlink.ErrorCode(res.Err()) != shortlink.CodeGone {
		t.Errorf("HitDisabled.Err() code = %q; want gone", shortlink.ErrorCode(res.Err()))
	}
	capped := sample("cap")
	capped.MaxClicks = 2
	mustCreate(t, s, capped)
	var results []shortlink.HitResult
	var last shortlink.Link
	for range 4 {
		l, res, err := s.Hit(ctx, "", "cap", Base)
		if err != nil {
			t.Fatal(err)
		}
		results, last = append(results, res), l
	}
	want := []shortlink.HitResult{shortlink.HitOK, shortlink.HitOK, shortlink.HitExhausted, shortlink.HitExhausted}
	if !slices.Equal(results, want) || last.Clicks != 2 {
		t.Errorf("capped hits = %v (clicks %d); want %v (clicks 2)", results, last.Clicks, want)
	}
}

func testConcurrentRandomCodes(t *testing.T, s shortlink.Store) {
	svc := shortlink.NewService(s, shortlink.ServiceConfig{Now: func() time.Time { return Base }})
	const n = 50
	codes := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			l := sample("")
			l.Title = fmt.Sprint(i)
			out, err := svc.Create(context.Background(), l)
			codes[i], errs[i] = out.Code, err
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, c := range codes {
		if errs[i] != nil {
			t.Fatalf("Create #%d: %v", i, errs[i])
		}
		if seen[c] {
			t.Fatalf("duplicate code %q", c)
		}
		seen[c] = true
		got, err := s.Get(context.Background(), "", c)
		if err != nil || got.Title != fmt.Sprint(i) {
			t.Errorf("Get(%q) = title %q, %v; want %q", c, got.Title, err, fmt.Sprint(i))
		}
	}
	sort.Strings(codes)
	assertList(t, s, shortlink.Filter{Limit: 1000}, codes)
}

func testConcurrentSameAlias(t *testing.T, s shortlink.Store) {
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := range n {
		wg.Go(func() {
			l := sample("same-alias")
			l.Title = fmt.Sprint(i)
			_, err := s.Create(context.Background(), l)
			mu.Lock()
			defer mu.Unlock()
			switch code(err) {
			case "":
				wins++
			case shortlink.CodeConflict:
				conflicts++
			default:
				t.Errorf("Create: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != n-1 {
		t.Errorf("wins = %d, conflicts = %d; want 1, %d", wins, conflicts, n-1)
	}
	assertList(t, s, shortlink.Filter{}, []string{"same-alias"})
}

func testConcurrentHitsCap(t *testing.T, s shortlink.Store) {
	l := sample("hot")
	l.MaxClicks = 100
	mustCreate(t, s, l)
	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[shortlink.HitResult]int{}
	for range n {
		wg.Go(func() {
			_, res, err := s.Hit(context.Background(), "", "hot", Base)
			if err != nil {
				t.Errorf("Hit: %v", err)
				return
			}
			mu.Lock()
			counts[res]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts[shortlink.HitOK] != 100 || counts[shortlink.HitExhausted] != 100 {
		t.Errorf("hits = %v; want 100 ok, 100 exhausted", counts)
	}
	if got, _ := s.Get(context.Background(), "", "hot"); got.Clicks != 100 {
		t.Errorf("Clicks = %d; want 100", got.Clicks)
	}
}

func testListPagination(t *testing.T, s shortlink.Store) {
	var all, even, camp, dom, q []string
	for i := range 25 {
		l := sample(fmt.Sprintf("c%02d", i))
		l.Tags = []string{"all"}
		if i%2 == 0 {
			l.Tags = append(l.Tags, "even")
		}
		l.Campaign = ""
		if i%5 == 0 {
			l.Campaign = "c5"
		}
		l.Title = fmt.Sprintf("link %d", i)
		if i%7 == 0 {
			l.Title = "双十一 Needle sale"
		}
		if i >= 20 {
			l.Domain = "go.example.com"
		}
		mustCreate(t, s, l)
		if i < 20 {
			all = append(all, l.Code)
		}
		switch {
		case i >= 20:
			dom = append(dom, l.Code)
		}
		if i%2 == 0 && i < 20 {
			even = append(even, l.Code)
		}
		if i%5 == 0 && i < 20 {
			camp = append(camp, l.Code)
		}
		if i%7 == 0 && i < 20 {
			q = append(q, l.Code)
		}
	}
	// Order: default domain "" sorts before "go.example.com".
	full := append(append([]string{}, all...), dom...)
	evenAll := append(append([]string{}, even...), "c20", "c22", "c24")
	campAll := append(append([]string{}, camp...), "c20")
	qAll := append(append([]string{}, q...), "c21")
	for _, tc := range []struct {
		name string
		f    shortlink.Filter
		want []string
	}{
		{"all", shortlink.Filter{}, full},
		{"tag", shortlink.Filter{Tag: "even"}, evenAll},
		{"tag missing", shortlink.Filter{Tag: "nope"}, nil},
		{"campaign", shortlink.Filter{Campaign: "c5"}, campAll},
		{"domain", shortlink.Filter{Domain: "go.example.com"}, dom},
		{"domain+tag", shortlink.Filter{Domain: "go.example.com", Tag: "even"}, []string{"c20", "c22", "c24"}},
		{"q title", shortlink.Filter{Q: "needle"}, qAll},
		{"q code", shortlink.Filter{Q: "C1"}, []string{"c10", "c11", "c12", "c13", "c14", "c15", "c16", "c17", "c18", "c19"}},
		{"q target", shortlink.Filter{Q: "ITEM.TAOBAO", Tag: "even", Campaign: "c5"}, []string{"c00", "c10", "c20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int{1, 3, 7, 100} {
				f := tc.f
				f.Limit = size
				if got := listAll(t, s, f); !slices.Equal(got, tc.want) {
					t.Errorf("page size %d: got %v; want %v", size, got, tc.want)
				}
			}
		})
	}
	if _, err := s.List(context.Background(), shortlink.Filter{Cursor: "!!not a cursor"}); code(err) != shortlink.CodeInvalid {
		t.Errorf("bad cursor: err = %v; want invalid", err)
	}
}

// listAll walks every page, checking page sizes, and returns the codes.
func listAll(t *testing.T, s shortlink.Store, f shortlink.Filter) []string {
	t.Helper()
	var codes []string
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatal("List does not terminate")
		}
		p, err := s.List(context.Background(), f)
		if err != nil {
			t.Fatalf("List(%+v): %v", f, err)
		}
		if f.Limit > 0 && len(p.Links) > f.Limit {
			t.Fatalf("page of %d links; limit %d", len(p.Links), f.Limit)
		}
		for _, l := range p.Links {
			codes = append(codes, l.Code)
		}
		if p.Next == "" {
			return codes
		}
		if len(p.Links) == 0 {
			t.Fatal("empty page with a next cursor")
		}
		f.Cursor = p.Next
	}
}

func assertList(t *testing.T, s shortlink.Store, f shortlink.Filter, want []string) {
	t.Helper()
	if got := listAll(t, s, f); !slices.Equal(got, want) {
		t.Errorf("List(%+v) = %v; want %v", f, got, want)
	}
}

func testKeys(t *testing.T, s shortlink.Store) {
	ctx := context.Background()
	if has, err := s.HasKeys(ctx); err != nil || has {
		t.Fatalf("HasKeys on empty store = %v, %v; want false", has, err)
	}
	secret := "htk_0123456789abcdefWXYZ"
	k, err := shortlink.NewAPIKey(secret, "ci", []shortlink.Scope{shortlink.ScopeWrite}, Base)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(ctx, k); err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if err := s.CreateKey(ctx, k); code(err) != shortlink.CodeConflict {
		t.Errorf("duplicate CreateKey: err = %v; want conflict", err)
	}
	k2, _ := shortlink.NewAPIKey(shortlink.NewSecret(), "admin", []shortlink.Scope{shortlink.ScopeAdmin}, Base)
	if err := s.CreateKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	if has, _ := s.HasKeys(ctx); !has {
		t.Error("HasKeys = false after CreateKey")
	}
	got, err := s.GetKeyByHash(ctx, shortlink.HashSecret(secret))
	if err != nil {
		t.Fatalf("GetKeyByHash: %v", err)
	}
	if got.ID != k.ID || got.Name != "ci" || got.Last4 != "WXYZ" || !got.Allows(shortlink.ScopeRead) || got.Allows(shortlink.ScopeAdmin) || !got.CreatedAt.Equal(Base) {
		t.Errorf("GetKeyByHash = %+v; want %+v", got, k)
	}
	if _, err := s.GetKeyByHash(ctx, shortlink.HashSecret("wrong secret value!")); code(err) != shortlink.CodeNotFound {
		t.Errorf("GetKeyByHash(wrong) err = %v; want not_found", err)
	}
	keys, err := s.ListKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID > keys[1].ID {
		t.Errorf("ListKeys = %+v, %v; want 2 keys ordered by ID", keys, err)
	}
	if err := s.RevokeKey(ctx, k.ID, Base.Add(time.Minute)); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	if err := s.RevokeKey(ctx, k.ID, Base.Add(time.Hour)); err != nil {
		t.Errorf("second RevokeKey: %v", err)
	}
	got, _ = s.GetKeyByHash(ctx, k.Hash)
	if got.Active() || got.Allows(shortlink.ScopeRead) || got.RevokedAt == nil || !got.RevokedAt.Equal(Base.Add(time.Minute)) {
		t.Errorf("revoked key = %+v; want revoked at %v", got, Base.Add(time.Minute))
	}
	if err := s.RevokeKey(ctx, "nope", Base); code(err) != shortlink.CodeNotFound {
		t.Errorf("RevokeKey(nope): err = %v; want not_found", err)
	}
}

// checkMany checks CreateMany's per-item outcome: wantErr[i] is "" for a
// created link, else the error code.
func checkMany(t *testing.T, in, out []shortlink.Link, errs []error, wantErr []string) {
	t.Helper()
	if len(out) != len(in) || len(errs) != len(in) {
		t.Fatalf("CreateMany returned %d links, %d errors for %d items", len(out), len(errs), len(in))
	}
	for i := range in {
		if got := code(errs[i]); got != wantErr[i] {
			t.Errorf("item %d (%q): err = %v; want %q", i, in[i].Code, errs[i], wantErr[i])
			continue
		}
		if errs[i] != nil {
			if out[i].Code != "" || out[i].Version != 0 {
				t.Errorf("item %d failed but out = %+v; want the zero Link", i, out[i])
			}
			continue
		}
		if out[i].Version != 1 || out[i].Domain != in[i].Domain || (in[i].Code != "" && out[i].Code != in[i].Code) || out[i].Title != in[i].Title {
			t.Errorf("item %d: out = code %q domain %q version %d title %q; want %q, %q, 1, %q",
				i, out[i].Code, out[i].Domain, out[i].Version, out[i].Title, in[i].Code, in[i].Domain, in[i].Title)
		}
	}
}

func testCreateMany(t *testing.T, s shortlink.Store) {
	ctx := context.Background()
	taken := sample("taken")
	taken.Title = "original"
	mustCreate(t, s, taken)

	if out, errs := s.CreateMany(ctx, nil); len(out) != 0 || len(errs) != 0 {
		t.Errorf("CreateMany(nil) = %d, %d items; want none", len(out), len(errs))
	}
	m1 := sample("m1")
	m1.Title = "first m1"
	clash := sample("taken")
	clash.Title = "clash"
	m2 := sample("m2")
	m2.MaxClicks, m2.Clicks = 3, 2 // imported with clicks
	m2.Tags, m2.Campaign = []string{"bulk"}, ""
	dup := sample("m1")
	dup.Title = "second m1"
	otherDomain := sample("m1")
	otherDomain.Domain, otherDomain.Title = "go.example.com", "m1 elsewhere"
	m3 := sample("m3")
	m3.Tags, m3.Campaign, m3.ExpiresAt = nil, "", nil
	in := []shortlink.Link{m1, clash, m2, dup, otherDomain, m3}
	out, errs := s.CreateMany(ctx, in)
	checkMany(t, in, out, errs, []string{"", shortlink.CodeConflict, "", shortlink.CodeConflict, "", ""})

	for _, tc := range []struct{ domain, code, title string }{
		{"", "taken", "original"}, {"", "m1", "first m1"}, {"go.example.com", "m1", "m1 elsewhere"}, {"", "m3", m3.Title},
	} {
		got, err := s.Get(ctx, tc.domain, tc.code)
		if err != nil || got.Title != tc.title || got.Version != 1 {
			t.Errorf("Get(%q, %q) = title %q version %d, %v; want %q, 1", tc.domain, tc.code, got.Title, got.Version, err, tc.title)
		}
	}
	got, err := s.Get(ctx, "", "m2")
	if err != nil || got.Clicks != 2 || !slices.Equal(got.Tags, []string{"bulk"}) || !got.CreatedAt.Equal(Base) || got.Entity != m2.Entity {
		t.Errorf("Get(m2) = %+v, %v; want clicks 2, tags [bulk]", got, err)
	}
	if _, res, _ := s.Hit(ctx, "", "m2", Base); res != shortlink.HitOK {
		t.Errorf("Hit 3 of 3 on m2 = %v; want ok", res)
	}
	if _, res, _ := s.Hit(ctx, "", "m2", Base); res != shortlink.HitExhausted {
		t.Errorf("Hit 4 of 3 on m2 = %v; want exhausted", res)
	}
	if _, res, _ := s.Hit(ctx, "", "m3", Base.Add(10*365*24*time.Hour)); res != shortlink.HitOK {
		t.Errorf("Hit on m3 (no expiry) = %v; want ok", res)
	}
	// Indexes: the created links are listed, the failed ones left nothing.
	assertList(t, s, shortlink.Filter{}, []string{"m1", "m2", "m3", "taken", "m1"})
	assertList(t, s, shortlink.Filter{Tag: "spring"}, []string{"m1", "taken", "m1"})
	assertList(t, s, shortlink.Filter{Tag: "bulk"}, []string{"m2"})
	assertList(t, s, shortlink.Filter{Campaign: "618"}, []string{"m1", "taken", "m1"})
	assertList(t, s, shortlink.Filter{Domain: "go.example.com"}, []string{"m1"})
	// Create after CreateMany sees the codes taken.
	if _, err := s.Create(ctx, sample("m2")); code(err) != shortlink.CodeConflict {
		t.Errorf("Create(m2) after CreateMany: err = %v; want conflict", err)
	}
}

// testCreateManyLarge crosses any internal batch size, with a duplicate
// far apart.
func testCreateManyLarge(t *testing.T, s shortlink.Store) {
	const n = 2500
	in := make([]shortlink.Link, n)
	want := make([]string, n)
	var codes []string
	for i := range in {
		in[i] = sample(fmt.Sprintf("big%04d", i))
		in[i].Title = fmt.Sprint(i)
	}
	in[2100].Code = in[7].Code // the later one loses
	want[2100] = shortlink.CodeConflict
	for i := range in {
		if want[i] == "" {
			codes = append(codes, in[i].Code)
		}
	}
	out, errs := s.CreateMany(context.Background(), in)
	checkMany(t, in, out, errs, want)
	if got, _ := s.Get(context.Background(), "", in[7].Code); got.Title != "7" {
		t.Errorf("Get(%q) title = %q; want 7", in[7].Code, got.Title)
	}
	sort.Strings(codes)
	assertList(t, s, shortlink.Filter{Limit: 1000}, codes)
	assertList(t, s, shortlink.Filter{Tag: "sale", Limit: 1000}, codes)
}

func testServiceCreateMany(t *testing.T, s shortlink.Store) {
	ctx := context.Background()
	mustCreate(t, s, sample("taken1"))
	// The generator first offers a code taken in the store, then an alias of
	// the batch, then the same code twice (two random items in one round),
	// then fresh ones.
	var mu sync.Mutex
	script := []string{"taken1", "alias1", "twin01", "twin01"}
	seq := 0
	gen := func(n int) string {
		mu.Lock()
		defer mu.Unlock()
		if len(script) > 0 {
			c := script[0]
			script = script[1:]
			return c
		}
		seq++
		return fmt.Sprintf("gen%04d", seq)
	}
	svc := shortlink.NewService(s, shortlink.ServiceConfig{Now: func() time.Time { return Base }, NewCode: gen})
	r1, r2, r3 := sample(""), sample(""), sample("")
	r1.Title, r2.Title, r3.Title = "r1", "r2", "r3"
	a1, a1dup := sample("alias1"), sample("alias1")
	a1.Title, a1dup.Title = "a1", "a1 again"
	bad := sample("")
	bad.Target = ""
	badAlias := sample("no way") // space
	takenAlias := sample("taken1")
	past := sample("")
	old := Base.Add(-time.Hour)
	past.ExpiresAt = &old
	in := []shortlink.Link{r1, a1, r2, a1dup, bad, r3, badAlias, takenAlias, past}
	for i := range in {
		in[i].Clicks, in[i].Version = 7, 9 // cleared by the service
	}
	out, errs := svc.CreateMany(ctx, in)
	checkMany(t, in, out, errs, []string{"", "", "", shortlink.CodeConflict, shortlink.CodeInvalid, "", shortlink.CodeInvalid, shortlink.CodeConflict, shortlink.CodeInvalid})
	seen := map[string]bool{"taken1": true, "alias1": true}
	for _, i := range []int{0, 2, 5} {
		c := out[i].Code
		if seen[c] || c == "" {
			t.Errorf("item %d got code %q, already used", i, c)
		}
		seen[c] = true
		if out[i].Clicks != 0 || !out[i].CreatedAt.Equal(Base) || !out[i].UpdatedAt.Equal(Base) {
			t.Errorf("item %d: clicks %d created %v updated %v; want 0, %v, %v", i, out[i].Clicks, out[i].CreatedAt, out[i].UpdatedAt, Base, Base)
		}
		if got, err := s.Get(ctx, "", c); err != nil || got.Title != in[i].Title || got.Clicks != 0 {
			t.Errorf("Get(%q) = title %q clicks %d, %v; want %q, 0", c, got.Title, got.Clicks, err, in[i].Title)
		}
	}
	if !seen["twin01"] {
		t.Errorf("codes %v: want one item to keep twin01", seen)
	}
	if got, _ := s.Get(ctx, "", "alias1"); got.Title != "a1" {
		t.Errorf("Get(alias1) title = %q; want a1", got.Title)
	}
	// A generator that only offers taken codes gives up per item, like Create.
	stuck := shortlink.NewService(s, shortlink.ServiceConfig{Now: func() time.Time { return Base },
		NewCode: func(int) string { return "taken1" }})
	ok := sample("fine-alias")
	out, errs = stuck.CreateMany(ctx, []shortlink.Link{sample(""), ok})
	checkMany(t, []shortlink.Link{sample(""), ok}, out, errs, []string{shortlink.CodeUnavailable, ""})
}

// testGetMany: a store that reads many links at once (shortlink.MultiGetter,
// what the cache's batch loader uses) answers each ref as Get would, in
// order: a capped link with its Clicks, an uncapped one, a missing one.
func testGetMany(t *testing.T, s shortlink.Store) {
	mg, ok := s.(shortlink.MultiGetter)
	if !ok {
		t.Skip("the store reads links one by one")
	}
	ctx := context.Background()
	c := sample("mcap")
	c.MaxClicks = 5
	mustCreate(t, s, c)
	mustCreate(t, s, sample("mfree"))
	for range 3 {
		if _, res, err := s.Hit(ctx, "", "mcap", Base); err != nil || res != shortlink.HitOK {
			t.Fatalf("Hit = %v, %v", res, err)
		}
	}
	refs := []shortlink.LinkRef{{Code: "mfree"}, {Code: "nope"}, {Code: "mcap"}, {Code: "mfree"}}
	links, errs := make([]shortlink.Link, len(refs)), make([]error, len(refs))
	mg.GetMany(ctx, refs, links, errs)
	for i, r := range refs {
		switch {
		case r.Code == "nope":
			if code(errs[i]) != shortlink.CodeNotFound {
				t.Errorf("GetMany[%d] %s: err = %v; want not found", i, r.Code, errs[i])
			}
		case errs[i] != nil || links[i].Code != r.Code:
			t.Errorf("GetMany[%d] %s: %q, %v", i, r.Code, links[i].Code, errs[i])
		case r.Code == "mcap" && links[i].Clicks != 3:
			t.Errorf("GetMany capped link: Clicks = %d; want 3", links[i].Clicks)
		}
	}
}
