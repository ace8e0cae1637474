// Command loader fills a Redis database with N short links for the cold-tap
// and Zipf scenarios of the load benchmark, and writes their codes, one per
// line, to a file.
//
// It writes the key layout of redisstore.Store directly (one hash and
// one index entry per link, pipelined), because creating a million links
// through the API would take longer than the benchmark itself; a sample of
// the links is then read back through redisstore.Store.Get, so a change
// of the layout fails the load instead of silently benchmarking 404s.
// Bulk creation through the API is measured separately (bench/bulk).
//
//	go run ./bench/loader --redis redis://127.0.0.1:6379/14 --n 1000000 --codes /tmp/codes.txt
//
// Codes are deterministic for a given --seed, so a loaded database can be
// reused across runs (--skip-if-loaded).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
)

func main() {
	url := flag.String("redis", "redis://127.0.0.1:6379/14", "Redis URL (use a dedicated DB)")
	n := flag.Int("n", 1_000_000, "number of links")
	codesPath := flag.String("codes", "codes.txt", "file to write the codes to, one per line")
	seed := flag.Uint64("seed", 8, "seed of the code generator")
	batch := flag.Int("batch", 1000, "links per pipeline")
	workers := flag.Int("workers", 4, "concurrent pipelines")
	skip := flag.Bool("skip-if-loaded", false, "only write the codes file when the database already holds n links of this seed")
	flag.Parse()

	opt, err := redis.ParseURL(*url)
	if err != nil {
		log.Fatal(err)
	}
	opt.PoolSize = *workers + 2
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()

	codes := makeCodes(*n, *seed)
	if err := writeCodes(*codesPath, codes); err != nil {
		log.Fatal(err)
	}
	store := redisstore.New(rdb, redisstore.Options{})
	if *skip {
		if cnt, _ := rdb.ZCard(ctx, "hutong:{idx}:all").Result(); cnt >= int64(*n) && verify(ctx, store, codes, 20) == nil {
			log.Printf("loader: %d links already loaded (index holds %d); codes in %s", *n, cnt, *codesPath)
			return
		}
	}

	start := time.Now()
	now := time.Now().UTC()
	created := now.Format(time.RFC3339Nano)
	var wg sync.WaitGroup
	next := make(chan int, *workers)
	errc := make(chan error, *workers)
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				hi := min(lo+*batch, len(codes))
				p := rdb.Pipeline()
				for i := lo; i < hi; i++ {
					l := link(codes[i], i, now)
					v, err := json.Marshal(&l)
					if err != nil {
						errc <- err
						return
					}
					// The layout of redisstore.Store.Create (see shortlink/redis.go).
					p.HSet(ctx, "hutong:{/"+codes[i]+"}:link", "v", v, "max", 0, "exp", 0, "dis", "0", "ver", 1, "created", created)
					p.ZAdd(ctx, "hutong:{idx}:all", redis.Z{Member: "\x00" + codes[i]})
				}
				if _, err := p.Exec(ctx); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for lo := 0; lo < len(codes); lo += *batch {
		select {
		case err := <-errc:
			log.Fatal(err)
		case next <- lo:
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errc:
		log.Fatal(err)
	default:
	}
	el := time.Since(start)
	if err := verify(ctx, store, codes, 200); err != nil {
		log.Fatalf("loader: read-back through redisstore.Store failed (key layout changed?): %v", err)
	}
	log.Printf("loader: %d links in %s (%.0f links/s, pipelined); codes in %s", len(codes), el.Round(time.Millisecond), float64(len(codes))/el.Seconds(), *codesPath)
}

// link is the i-th benchmark link: a Taobao item, every fourth a Tmall one.
func link(code string, i int, now time.Time) shortlink.Link {
	id := strconv.Itoa(500000000000 + i)
	target := "https://item.taobao.com/item.htm?id=" + id
	if i%4 == 3 {
		target = "https://detail.tmall.com/item.htm?id=" + id
	}
	return shortlink.Link{Code: code, Target: target, Entity: resolver.Parse(target),
		CreatedAt: now, UpdatedAt: now, Version: 1}
}

// makeCodes returns n distinct 8-character codes (hutong's own are 7, so
// they never collide with links made by hand in the same database).
func makeCodes(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 0x68757430))
	seen := make(map[string]struct{}, n)
	out := make([]string, 0, n)
	b := make([]byte, 8)
	for len(out) < n {
		for i := range b {
			b[i] = shortlink.Alphabet[r.IntN(len(shortlink.Alphabet))]
		}
		c := string(b)
		if _, dup := seen[c]; dup || shortlink.ValidateCode(c) != nil {
			continue
		}
		seen[c] = struct{}{}
		out = append(out, c)
	}
	return out
}

func writeCodes(path string, codes []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, c := range codes {
		w.WriteString(c)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func verify(ctx context.Context, s *redisstore.Store, codes []string, k int) error {
	for j := 0; j < k; j++ {
		i := j * (len(codes) / k)
		l, err := s.Get(ctx, "", codes[i])
		if err != nil {
			return fmt.Errorf("code %s: %w", codes[i], err)
		}
		if l.Entity.Kind != resolver.KindItem {
			return fmt.Errorf("code %s: entity %+v", codes[i], l.Entity)
		}
	}
	return nil
}
