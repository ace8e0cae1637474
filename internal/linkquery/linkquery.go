// Package linkquery lists links the way people look at them: with their
// human tap counts from the stats, sorted across the whole store (newest,
// most tapped, by code), in numbered pages with a total, or one by one
// for exports. It reads links through a Lister (shortlink.Service) and
// counts through track.Querier; it keeps no state and is safe for
// concurrent use.
package linkquery

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hutong-dev/hutong/internal/track"
	"github.com/hutong-dev/hutong/shortlink"
)

// Lister pages through links in store order (shortlink.Service).
type Lister interface {
	List(ctx context.Context, f shortlink.Filter) (shortlink.Page, error)
}

// Sorts are the orders List accepts: "code" (store order, the default),
// "-code", "created", "-created" (newest first), "clicks", "-clicks" (most
// tapped first). Ties keep store order.
var Sorts = []string{"code", "-code", "created", "-created", "clicks", "-clicks"}

// ValidSort reports whether s is one of Sorts or "".
func ValidSort(s string) bool { return s == "" || slices.Contains(Sorts, s) }

// Item is a link with its human tap count.
type Item struct {
	Link   shortlink.Link
	Clicks int64
}

// Result is one numbered page of List.
type Result struct {
	Items []Item
	// Total is how many links match the filter; Page (1-based) and Pages
	// number the pages of PerPage.
	Total, Page, Pages, PerPage int
}

// Query is what List returns: the filter's links in Sort order, page Page
// (1-based; 0 means 1) of PerPage (0 means shortlink.DefaultPageSize, at
// most shortlink.MaxPageSize). Filter.Cursor and Filter.Limit are ignored.
type Query struct {
	Filter  shortlink.Filter
	Sort    string
	Page    int
	PerPage int
}

// MaxScan is the most links List reads for one query; a store with more
// matching links answers the first MaxScan in store order (and says so in
// the error of Each). Sorting needs every match in memory.
const MaxScan = 200_000

// Counter answers human tap counts.
type Counter struct {
	Stats track.Querier // nil: Clicks falls back to the cap counter
	Now   func() time.Time
}

// maxDays is how far back Clicks reads (the stats answer at most 800 day
// buckets per query).
const maxDays = 790

// Clicks is the number of human taps of l recorded in the stats since it
// was created (over at most the last 790 days). Without stats it is the
// cap counter, l.Clicks.
func (c Counter) Clicks(ctx context.Context, l *shortlink.Link) (int64, error) {
	if c.Stats == nil {
		return l.Clicks, nil
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	to := now.Add(48 * time.Hour) // past the end of today in any zone
	from := l.CreatedAt.Add(-48 * time.Hour)
	if from.IsZero() || to.Sub(from) > maxDays*24*time.Hour {
		from = to.Add(-maxDays * 24 * time.Hour)
	}
	st, err := c.Stats.Stats(ctx, StatsKey(l.Domain, l.Code), from, to, "day")
	if err != nil {
		return 0, fmt.Errorf("clicks of %s: %w", l.Code, err)
	}
	return st.Human, nil
}

// StatsKey is the id a link's taps are counted under: its code, or
// "domain/code" on an extra domain (as the server records them).
func StatsKey(domain, code string) string {
	if domain == "" {
		return code
	}
	return domain + "/" + code
}

// Fill counts the clicks of every item, a few at a time; the first error
// is returned and the other counts stay as computed.
func (c Counter) Fill(ctx context.Context, items []Item) error {
	const workers = 8
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for w := 0; w < workers && w < len(items); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				n, err := c.Clicks(ctx, &items[i].Link)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					continue
				}
				items[i].Clicks = n
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// scan reads every link matching f in store order.
func scan(ctx context.Context, ls Lister, f shortlink.Filter, fn func(shortlink.Link) error) error {
	f.Cursor, f.Limit = "", shortlink.MaxPageSize
	n := 0
	for {
		p, err := ls.List(ctx, f)
		if err != nil {
			return err
		}
		for _, l := range p.Links {
			if n == MaxScan {
				return fmt.Errorf("linkquery: more than %d matching links: narrow the filter (tag, campaign, q)", MaxScan)
			}
			n++
			if err := fn(l); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		f.Cursor = p.Next
	}
}

// List answers q: every matching link is read (the store pages in code
// order only), sorted, and one page of it returned with clicks counted.
// Sorting by clicks counts every match first.
func (c Counter) List(ctx context.Context, ls Lister, q Query) (Result, error) {
	if !ValidSort(q.Sort) {
		return Result{}, errSort(q.Sort)
	}
	per := q.PerPage
	switch {
	case per <= 0:
		per = shortlink.DefaultPageSize
	case per > shortlink.MaxPageSize:
		per = shortlink.MaxPageSize
	}
	var items []Item
	err := scan(ctx, ls, q.Filter, func(l shortlink.Link) error {
		items = append(items, Item{Link: l})
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	byClicks := strings.TrimPrefix(q.Sort, "-") == "clicks"
	if byClicks {
		if err := c.Fill(ctx, items); err != nil {
			return Result{}, err
		}
	}
	sortItems(items, q.Sort)
	r := Result{Total: len(items), Page: max(q.Page, 1), PerPage: per}
	r.Pages = (r.Total + per - 1) / per
	lo := (r.Page - 1) * per
	if lo > len(items) {
		lo = len(items)
	}
	hi := min(lo+per, len(items))
	r.Items = items[lo:hi:hi]
	if !byClicks {
		if err := c.Fill(ctx, r.Items); err != nil {
			return Result{}, err
		}
	}
	return r, nil
}

func sortItems(items []Item, by string) {
	desc := strings.HasPrefix(by, "-")
	var cmp func(a, b *Item) int
	switch strings.TrimPrefix(by, "-") {
	case "created":
		cmp = func(a, b *Item) int { return a.Link.CreatedAt.Compare(b.Link.CreatedAt) }
	case "clicks":
		cmp = func(a, b *Item) int { return compareInt(a.Clicks, b.Clicks) }
	case "code", "":
		if !desc {
			return // store order
		}
		cmp = func(a, b *Item) int {
			if c := strings.Compare(a.Link.Domain, b.Link.Domain); c != 0 {
				return c
			}
			return strings.Compare(a.Link.Code, b.Link.Code)
		}
	}
	slices.SortStableFunc(items, func(a, b Item) int {
		if desc {
			return cmp(&b, &a)
		}
		return cmp(&a, &b)
	})
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Each calls fn for every link matching q.Filter in q.Sort order with its
// clicks, for exports. In store order ("code" or "") it streams page by
// page without holding the store in memory; other orders read every
// match first.
func (c Counter) Each(ctx context.Context, ls Lister, q Query, fn func(Item) error) error {
	if !ValidSort(q.Sort) {
		return errSort(q.Sort)
	}
	if q.Sort == "" || q.Sort == "code" {
		batch := make([]Item, 0, 256)
		flush := func() error {
			if err := c.Fill(ctx, batch); err != nil {
				return err
			}
			for _, it := range batch {
				if err := fn(it); err != nil {
					return err
				}
			}
			batch = batch[:0]
			return nil
		}
		err := scan(ctx, ls, q.Filter, func(l shortlink.Link) error {
			batch = append(batch, Item{Link: l})
			if len(batch) == cap(batch) {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	}
	q.Page, q.PerPage = 1, MaxScan
	var items []Item
	err := scan(ctx, ls, q.Filter, func(l shortlink.Link) error {
		items = append(items, Item{Link: l})
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.Fill(ctx, items); err != nil {
		return err
	}
	sortItems(items, q.Sort)
	for _, it := range items {
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

// errSort is the error of a sort that is not one of Sorts.
func errSort(sort string) error {
	return &shortlink.Error{Code: shortlink.CodeInvalid, Field: "sort", Reason: shortlink.ReasonChoice,
		Message: fmt.Sprintf("sort %q: want one of %s", sort, strings.Join(Sorts, ", "))}
}
