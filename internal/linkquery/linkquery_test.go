package linkquery_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/domains"
	"github.com/hutong-dev/hutong/internal/linkquery"
	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
)

// store is a real embedded link store with n links l0000… created one
// second apart in reverse code order (the last code is the oldest), and a
// real embedded event store without taps.
func store(t testing.TB, n int) (*shortlink.Service, track.Querier) {
	t.Helper()
	dir := t.TempDir()
	bs, err := boltstore.Open(filepath.Join(dir, "links.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	sink, err := track.OpenBoltSink(filepath.Join(dir, "events.db"), track.BoltConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	clock := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	svc := shortlink.NewService(bs, shortlink.ServiceConfig{Now: func() time.Time { return clock }})
	target := "https://item.taobao.com/item.htm?id=639750024278"
	links := make([]shortlink.Link, n)
	for i := range links {
		links[i] = shortlink.Link{Code: fmt.Sprintf("l%04d", n-1-i), Target: target, Entity: resolver.Parse(target)}
	}
	for i := range links {
		if _, err := svc.Create(context.Background(), links[i]); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Second)
	}
	return svc, sink
}

func TestListSortsAcrossPages(t *testing.T) {
	svc, sink := store(t, 7)
	c := linkquery.Counter{Stats: sink}
	ctx := context.Background()
	for _, tc := range []struct {
		sort       string
		page, per  int
		want       []string
		pages, tot int
	}{
		{"-created", 1, 3, []string{"l0000", "l0001", "l0002"}, 3, 7},
		{"created", 1, 3, []string{"l0006", "l0005", "l0004"}, 3, 7},
		{"code", 3, 3, []string{"l0006"}, 3, 7},
		{"-code", 2, 3, []string{"l0003", "l0002", "l0001"}, 3, 7},
		{"", 9, 3, nil, 3, 7},
		{"-clicks", 1, 2, []string{"l0000", "l0001"}, 4, 7}, // no taps: store order
	} {
		r, err := c.List(ctx, svc, linkquery.Query{Sort: tc.sort, Page: tc.page, PerPage: tc.per})
		if err != nil {
			t.Fatalf("sort %q: %v", tc.sort, err)
		}
		var got []string
		for _, it := range r.Items {
			got = append(got, it.Link.Code)
		}
		if !slices.Equal(got, tc.want) || r.Pages != tc.pages || r.Total != tc.tot {
			t.Errorf("sort %q page %d/%d: got %v, %d pages, total %d; want %v, %d, %d", tc.sort, tc.page, tc.per, got, r.Pages, r.Total, tc.want, tc.pages, tc.tot)
		}
	}
	if _, err := c.List(ctx, svc, linkquery.Query{Sort: "size"}); shortlink.ErrorCode(err) != shortlink.CodeInvalid {
		t.Errorf("sort size: err %v; want CodeInvalid", err)
	}
}

// TestEachStreamsEveryLink: Each visits every link once, in store order
// across the store's pages and its own batches, and in sort order.
func TestEachStreamsEveryLink(t *testing.T) {
	svc, sink := store(t, 1300)
	c := linkquery.Counter{Stats: sink}
	for _, sort := range []string{"", "-created"} {
		var got []string
		err := c.Each(context.Background(), svc, linkquery.Query{Sort: sort}, func(it linkquery.Item) error {
			got = append(got, it.Link.Code)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1300 || got[0] != "l0000" || got[1299] != "l1299" || !slices.IsSorted(got) {
			t.Errorf("sort %q: %d links, first %s last %s, sorted %v", sort, len(got), got[0], got[len(got)-1], slices.IsSorted(got))
		}
	}
}

// BenchmarkList: one sorted page over 2,000 links on the embedded stores
// (sort by clicks reads every link's stats; by created only the page's).
func BenchmarkList(b *testing.B) {
	for _, sort := range []string{"-created", "-clicks"} {
		b.Run(sort, func(b *testing.B) {
			svc, sink := store(b, 2000)
			c := linkquery.Counter{Stats: sink}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.List(context.Background(), svc, linkquery.Query{Sort: sort, PerPage: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestExportCSVColumns: the CSV export's header is CSVColumns and a row
// holds the link's fields under their names, qr_logo included (the column
// a bulk import reads back).
func TestExportCSVColumns(t *testing.T) {
	svc, sink := store(t, 2)
	ctx := context.Background()
	l, err := svc.Get(ctx, "", "l0001")
	if err != nil {
		t.Fatal(err)
	}
	l.QRLogo, l.Title = "brand", "-50% 春季"
	if _, err := svc.Update(ctx, l); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	n, err := linkquery.Counter{Stats: sink}.Export(ctx, w, svc, linkquery.Export{Format: "csv", URLs: domains.NewURLs("https://hut.ong", "https", "hut.ong", nil)})
	if err != nil || w.Flush() != nil || n != 2 {
		t.Fatalf("Export: %d rows, %v", n, err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(recs) != 3 || !slices.Equal(recs[0], linkquery.CSVColumns) {
		t.Fatalf("export %q (%v); want the header %v and 2 rows", recs, err, linkquery.CSVColumns)
	}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			row[col] = rec[i]
		}
		if row["code"] != "l0001" {
			continue
		}
		if row["qr_logo"] != "brand" || row["title"] != "'-50% 春季" || row["short_url"] != "https://hut.ong/l0001" {
			t.Errorf("row of l0001: %v; want qr_logo brand, the title guarded, the short URL", row)
		}
		return
	}
	t.Errorf("no row for l0001 in %q", recs)
}
