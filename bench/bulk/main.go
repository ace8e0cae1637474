// Command bulk measures bulk link creation through hutong's API: it posts
// JSONL batches of new item links to POST /api/v1/links/bulk from a few
// concurrent clients for a fixed time and prints links created per second.
// Run the server with --write-rate-limit -1 (the default limit is 600
// writes per key per minute).
//
//	go run ./bench/bulk --url http://127.0.0.1:18080 --key KEY --rows 1000 --conc 4 --duration 10s
//
// Output (one line, for bench/run.sh): "links=N seconds=S links_per_s=R failed=F".
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:18080", "hutong base URL (127.0.0.1 only)")
	key := flag.String("key", "", "API key (Bearer)")
	rows := flag.Int("rows", 1000, "links per request (at most 10000)")
	conc := flag.Int("conc", 4, "concurrent requests")
	dur := flag.Duration("duration", 10*time.Second, "how long to keep posting")
	idBase := flag.Int64("id-base", time.Now().UnixNano()%1e9*1000, "first item id (unique per run)")
	flag.Parse()

	var next atomic.Int64
	next.Store(*idBase)
	var created, failed atomic.Int64
	client := &http.Client{Timeout: 2 * time.Minute}
	deadline := time.Now().Add(*dur)
	start := time.Now()
	var wg sync.WaitGroup
	var once sync.Once
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body bytes.Buffer
			for time.Now().Before(deadline) {
				body.Reset()
				first := next.Add(int64(*rows)) - int64(*rows)
				for i := int64(0); i < int64(*rows); i++ {
					body.WriteString(`{"target":"https://item.taobao.com/item.htm?id=`)
					body.WriteString(strconv.FormatInt(600000000000+first+i, 10))
					body.WriteString("\"}\n")
				}
				req, _ := http.NewRequest(http.MethodPost, *base+"/api/v1/links/bulk", bytes.NewReader(body.Bytes()))
				req.Header.Set("Authorization", "Bearer "+*key)
				req.Header.Set("Content-Type", "application/x-ndjson")
				resp, err := client.Do(req)
				if err != nil {
					log.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					once.Do(func() { log.Printf("bulk: HTTP %d: %.300s", resp.StatusCode, b) })
					failed.Add(int64(*rows))
					continue
				}
				var out struct{ Created, Failed int64 }
				if err := json.Unmarshal(b, &out); err != nil {
					log.Fatal(err)
				}
				created.Add(out.Created)
				failed.Add(out.Failed)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	fmt.Printf("links=%d seconds=%.2f links_per_s=%.0f failed=%d\n", created.Load(), el, float64(created.Load())/el, failed.Load())
}
