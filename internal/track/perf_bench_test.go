package track

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// benchEvents is a 512-event batch like the writer benchmark's: codes
// cycle over ncodes, apps/oses vary, every event has two click IDs.
func benchEvents(ncodes int) []Event {
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, ChinaTime)
	evs := make([]Event, 512)
	for i := range evs {
		evs[i] = tap(i, "c"+strconv.Itoa(i%ncodes), at.Add(time.Duration(i)*time.Second))
		evs[i].ClickIDs = map[string]string{"gdt_vid": "wx0abcdef", "utm_source": "moments"}
		evs[i].IP = "203.0.113.0"
		evs[i].DestHost = "item.taobao.com"
		if i%10 == 0 {
			evs[i].Bot = true
		}
	}
	return evs
}

func BenchmarkEventJSON(b *testing.B) {
	ev := benchEvents(4)[3]
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = appendEventJSON(buf[:0], &ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSpillAppend(b *testing.B) {
	sp, _, err := openSpill(b.TempDir(), -1)
	if err != nil {
		b.Fatal(err)
	}
	defer sp.close()
	batch := &Batch{Writer: "w", Seq: 1, Events: benchEvents(4)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sp.append(batch); err != nil {
			b.Fatal(err)
		}
		if sp.size > 256<<20 {
			sp.f.Truncate(0)
			sp.size = 0
		}
	}
}

func BenchmarkAggregate(b *testing.B) {
	for _, nc := range []int{4, 512} {
		evs := benchEvents(nc)
		b.Run("codes="+strconv.Itoa(nc), func(b *testing.B) {
			b.ReportAllocs()
			a := newAggregator(ChinaTime, "")
			for b.Loop() {
				_ = a.aggregate(evs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
		})
		b.Run("fresh/codes="+strconv.Itoa(nc), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = aggregate(evs, ChinaTime)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
		})
	}
}

// redisCPU is the server's used_cpu_user+used_cpu_sys in seconds.
func redisCPU(tb testing.TB, rdb *redis.Client) float64 {
	s, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_user" || k == "used_cpu_sys") {
			f, _ := strconv.ParseFloat(v, 64)
			sum += f
		}
	}
	return sum
}

// cpuMark is the Redis server's and this process's CPU time at the start
// of a measured loop.
type cpuMark struct {
	redis float64       // seconds, INFO cpu
	own   time.Duration // getrusage; negative where unsupported
}

// markCPU marks the CPU times now; with rdb nil (no Redis involved) only
// this process's.
func markCPU(tb testing.TB, rdb *redis.Client) cpuMark {
	m := cpuMark{own: processCPU()}
	if rdb != nil {
		m.redis = redisCPU(tb, rdb)
	}
	return m
}

// report reports per event over n events since m: wall time (ns/event,
// which includes waiting for the script), the Redis server's CPU
// (redis-µs/event, when rdb is not nil) and this process's (cpu-ns/event, what the writer takes
// from the core that serves requests).
func (m cpuMark) report(b *testing.B, rdb *redis.Client, n int) {
	own := processCPU() - m.own
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	if rdb != nil {
		cpu := redisCPU(b, rdb) - m.redis
		b.ReportMetric(cpu*1e6/float64(n), "redis-µs/event")
	}
	if m.own >= 0 {
		b.ReportMetric(float64(own.Nanoseconds())/float64(n), "cpu-ns/event")
	}
}

// BenchmarkRedisWriteBatch writes 512-event batches straight into the test
// Redis (stream trimmed at 20,000 so trimming is exercised) and reports the
// Redis server's CPU per event from INFO cpu deltas.
//
// codes=4 and codes=512 write the same batch again and again (the counter
// hashes exist after the first); cold=512 gives every batch 512 codes never
// seen before (a new counter hash per code, as cold taps cause).
func BenchmarkRedisWriteBatch(b *testing.B) {
	for _, nc := range []int{4, 512, -512} {
		name := "codes=" + strconv.Itoa(nc)
		cold := nc < 0
		if cold {
			nc = -nc
			name = "cold=" + strconv.Itoa(nc)
		}
		b.Run(name, func(b *testing.B) {
			rdb := testClient(b)
			sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(b, rdb), MaxLen: 200})
			evs := benchEvents(nc)
			ctx := context.Background()
			var seq uint64
			b.ReportAllocs()
			m := markCPU(b, rdb)
			for b.Loop() {
				seq++
				if cold {
					b.StopTimer()
					for i := range evs {
						evs[i].Code = "s" + strconv.FormatUint(seq, 10) + "c" + strconv.Itoa(i)
						evs[i].Campaign = "camp-" + evs[i].Code
					}
					b.StartTimer()
				}
				if _, err := sink.WriteBatch(ctx, &Batch{Writer: "bench", Seq: seq, Events: evs}); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b, rdb, b.N*len(evs))
		})
	}
}

// BenchmarkRedisFlush is the writer's work per batch against the test
// Redis, as the writer does it: Recorder.flush fills the visit IDs of a
// 512-event batch (events as the server records them, VisitID empty) and
// writes it with one WriteBatch. cpu-ns/event is this process's CPU per
// event (getrusage), which is what the writer takes from the core that
// serves requests; ns/event also counts the wait for the script, and
// redis-µs/event is the Redis server's CPU.
//
// flush is called from the benchmark goroutine while the Recorder's own
// writer goroutine idles: nothing is recorded, so the writer never
// flushes, and a failed write would spill, which the benchmark checks.
func BenchmarkRedisFlush(b *testing.B) {
	for _, nc := range []int{4, 512} {
		b.Run("codes="+strconv.Itoa(nc), func(b *testing.B) {
			rdb := testClient(b)
			sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(b, rdb), MaxLen: 200})
			r, err := New(sink, Config{SpillDir: b.TempDir(), Logger: quietLogger(), FlushInterval: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			evs := benchEvents(nc)
			b.ReportAllocs()
			m := markCPU(b, rdb)
			for b.Loop() {
				for i := range evs {
					evs[i].VisitID = ""
				}
				r.flush(evs)
			}
			m.report(b, rdb, b.N*len(evs))
			if err := r.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			if r.Dropped() != 0 || r.spill.events != 0 {
				b.Fatalf("dropped %d, spilled %d: the writes failed", r.Dropped(), r.spill.events)
			}
		})
	}
}

// BenchmarkApplyAddr is the click event's client address under the default
// policy (IPv4 truncated to /24), on every tap's path.
func BenchmarkApplyAddr(b *testing.B) {
	p := IPPolicy{}
	ip := netip.MustParseAddr("203.0.113.77")
	b.ReportAllocs()
	for b.Loop() {
		sinkString = p.ApplyAddr(ip)
	}
}

var sinkString string

// BenchmarkBoltWriteBatch writes 512-event batches into the embedded sink
// (the events bucket kept at 20,000 so the trim runs in every batch, as on a
// full events.db) and reports this process's CPU per event: on the
// embedded store the writer shares the server's core, so this is what
// click events cost a tap there, beside the recorder.
func BenchmarkBoltWriteBatch(b *testing.B) {
	for _, nc := range []int{4, 512} {
		b.Run("codes="+strconv.Itoa(nc), func(b *testing.B) {
			s, err := OpenBoltSink(filepath.Join(b.TempDir(), EventsDBFile), BoltConfig{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			evs := benchEvents(nc)
			ctx := context.Background()
			var seq uint64
			write := func() {
				seq++
				if _, err := s.WriteBatch(ctx, &Batch{Writer: "bench", Seq: seq, Events: evs}); err != nil {
					b.Fatal(err)
				}
			}
			for range 50 { // a file with some history first (records and counters)
				write()
			}
			b.ReportAllocs()
			m := markCPU(b, nil)
			for b.Loop() {
				write()
			}
			m.report(b, nil, b.N*len(evs))
		})
	}
}

// variedEvents is a 512-event batch with what varies between real taps
// varying: visit IDs, times to the millisecond, entity IDs, apps and OSes,
// truncated IPs, click IDs on two taps of three. Compression ratios
// measured on benchEvents (near-identical lines) would flatter.
func variedEvents() []Event {
	r := rand.New(rand.NewPCG(1, 2))
	apps := []string{"wechat", "wecom", "qq", "alipay", "browser", "taobao"}
	oses := []string{"ios", "android", "harmonyos", "windows", "macos"}
	evs := benchEvents(512)
	for i := range evs {
		e := &evs[i]
		e.VisitID = fmt.Sprintf("%016x", r.Uint64())
		e.Time = e.Time.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
		e.EntityID = strconv.FormatInt(500000000000+r.Int64N(1e11), 10)
		e.App, e.OS = apps[r.IntN(len(apps))], oses[r.IntN(len(oses))]
		e.IP = fmt.Sprintf("%d.%d.%d.0", 1+r.IntN(222), r.IntN(256), r.IntN(256))
		e.ClickIDs = nil
		if i%3 != 0 {
			e.ClickIDs = map[string]string{"gdt_vid": fmt.Sprintf("wx0%013x", r.Uint64()>>12), "utm_source": "moments"}
		}
	}
	return evs
}

// BenchmarkCompressLines is the gzip of one 512-event batch's lines
// (encodeLines), with the share of bytes kept; and reading it back.
func BenchmarkCompressLines(b *testing.B) {
	lines, err := AppendEventLines(nil, &Batch{Writer: "w0123456789abcdef", Seq: 123456, Events: variedEvents()})
	if err != nil {
		b.Fatal(err)
	}
	var dst []byte
	for _, enc := range []struct {
		name string
		enc  Encoding
	}{{"gzip", EncodingGzip}, {"snappy", EncodingSnappy}} {
		b.Run(enc.name, func(b *testing.B) {
			b.SetBytes(int64(len(lines)))
			b.ReportAllocs()
			for b.Loop() {
				dst = encodeLines(dst[:0], lines, enc.enc)
			}
			b.ReportMetric(float64(len(dst))/float64(len(lines)), "kept")
			b.ReportMetric(float64(len(dst))/512, "B/event")
		})
	}
	b.Run("gunzip+parse", func(b *testing.B) {
		z := encodeLines(nil, lines, EncodingGzip)
		b.SetBytes(int64(len(lines)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseEventLines(z); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(lines)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseEventLines(lines); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStreamMemory is the Redis memory of the event log per event:
// b.N batches of 512 varied events (variedEvents, fresh visit IDs and click
// IDs per batch) written to a fresh stream, then MEMORY USAGE of the stream
// (all its nodes: SAMPLES 0) over the events. This is the figure the
// README's sizing multiplies (a day at N taps/s = N × 86,400 × B/event).
// -benchtime 200x or more: the stream's per-key overhead then vanishes.
func BenchmarkStreamMemory(b *testing.B) {
	for _, enc := range []Encoding{EncodingGzip, EncodingNone} {
		name := enc.String()
		if name == "" {
			name = "none"
		}
		b.Run(name, func(b *testing.B) {
			rdb := testClient(b)
			sink := NewRedisSink(rdb, RedisConfig{Stream: testStream(b, rdb), Encoding: enc, Retention: -1})
			ctx := context.Background()
			base := variedEvents()
			evs := make([]Event, len(base))
			var seq uint64
			for b.Loop() {
				seq++
				copy(evs, base)
				for i := range evs {
					evs[i].VisitID = strconv.FormatUint(seq*1e6+uint64(i)*7919, 16) + base[i].VisitID[6:]
					evs[i].Time = time.Now()
				}
				if _, err := sink.WriteBatch(ctx, &Batch{Writer: "mem", Seq: seq, Events: evs}); err != nil {
					b.Fatal(err)
				}
			}
			bytes, err := rdb.MemoryUsage(ctx, sink.StreamKey(0), 0).Result()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(bytes)/float64(b.N*len(evs)), "B/event")
		})
	}
}
