// Command codes draws request paths for the load benchmark from a codes
// file (bench/loader writes one): uniformly (every link equally likely, so
// with a million links nearly every tap misses a small in-process cache) or
// Zipf-distributed (a few viral links, a long tail). It writes one path per
// line ("/CODE"), which bench/lua/paths.lua replays in order.
//
//	go run ./bench/codes --codes codes.txt --dist zipf --s 1.1 --draws 1000000 --out zipf.txt
package main

import (
	"bufio"
	"flag"
	"log"
	"math/rand/v2"
	"os"
	"strings"
)

func main() {
	codesPath := flag.String("codes", "codes.txt", "codes, one per line")
	dist := flag.String("dist", "uniform", "uniform or zipf")
	s := flag.Float64("s", 1.1, "Zipf exponent (> 1)")
	draws := flag.Int("draws", 1_000_000, "number of paths to draw")
	out := flag.String("out", "paths.txt", "output file")
	seed := flag.Uint64("seed", 8, "seed")
	flag.Parse()

	data, err := os.ReadFile(*codesPath)
	if err != nil {
		log.Fatal(err)
	}
	codes := strings.Fields(string(data))
	if len(codes) == 0 {
		log.Fatal("codes: no codes in ", *codesPath)
	}
	r := rand.New(rand.NewPCG(*seed, 0x7a697066))
	var next func() int
	switch *dist {
	case "uniform":
		next = func() int { return r.IntN(len(codes)) }
	case "zipf":
		z := rand.NewZipf(r, *s, 1, uint64(len(codes)-1))
		next = func() int { return int(z.Uint64()) }
	default:
		log.Fatalf("codes: --dist %q: want uniform or zipf", *dist)
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	distinct := make(map[int]struct{})
	for i := 0; i < *draws; i++ {
		k := next()
		distinct[k] = struct{}{}
		w.WriteByte('/')
		w.WriteString(codes[k])
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("codes: %d %s draws over %d codes (%d distinct) → %s", *draws, *dist, len(codes), len(distinct), *out)
}
