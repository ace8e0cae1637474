package track

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]Encoding{"": EncodingGzip, "gzip": EncodingGzip, "none": EncodingNone} {
		if got, err := ParseEncoding(in); err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"GZIP", "zstd", "off"} {
		if _, err := ParseEncoding(bad); err == nil {
			t.Errorf("ParseEncoding(%q): no error", bad)
		}
	}
}

// TestEncodeLinesRoundTrip: gzip keeps a fraction of a varied batch's bytes
// and reads back to the same events as the plain lines; plain lines pass
// through as they are.
func TestEncodeLinesRoundTrip(t *testing.T) {
	lines, err := AppendEventLines(nil, &Batch{Writer: "w", Seq: 9, Events: variedEvents()})
	if err != nil {
		t.Fatal(err)
	}
	z := encodeLines(nil, lines, EncodingGzip)
	if !bytes.HasPrefix(z, gzipMagic) || len(z) > len(lines)/4 {
		t.Fatalf("gzip of %d bytes is %d bytes (prefix % x); want under a quarter, starting 1f 8b", len(lines), len(z), z[:2])
	}
	// Standard gzip: the standard library's reader (any language's) reads it.
	r, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(r); err != nil || !bytes.Equal(plain.Bytes(), lines) {
		t.Fatalf("gunzip: %v, equal %v", err, bytes.Equal(plain.Bytes(), lines))
	}
	want, err := ParseEventLines(lines)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseEventLines(z)
	if err != nil || !reflect.DeepEqual(got, want) || len(got) != 512 {
		t.Fatalf("ParseEventLines(gzip): %d events, %v; want the plain lines' 512", len(got), err)
	}
	if p := encodeLines([]byte("x"), lines, EncodingNone); !bytes.Equal(p[1:], lines) {
		t.Fatal("EncodingNone changed the lines")
	}
	// A second encode through the pooled writer gives the same bytes.
	if z2 := encodeLines(nil, lines, EncodingGzip); !bytes.Equal(z, z2) {
		t.Fatal("pooled gzip writer gave other bytes on reuse")
	}
}

// TestDecodeLinesBad: a damaged or oversized gzip record is an error, not
// a panic and not a partial batch.
func TestDecodeLinesBad(t *testing.T) {
	// CPU only, no shared state: fills the parallel phase while the
	// server tests wait on their servers.
	t.Parallel()
	lines, _ := AppendEventLines(nil, &Batch{Writer: "w", Seq: 1, Events: variedEvents()[:20]})
	z := encodeLines(nil, lines, EncodingGzip)
	for name, bad := range map[string][]byte{
		"header only": z[:10],
		"truncated":   z[:len(z)/2],
		"garbage":     append([]byte{0x1f, 0x8b}, "not gzip at all"...),
		"bad crc":     append(append([]byte{}, z[:len(z)-8]...), 0, 0, 0, 0, 0, 0, 0, 0),
	} {
		if evs, err := ParseEventLines(bad); err == nil {
			t.Errorf("%s: %d events, no error", name, len(evs))
		}
	}
	// A bomb: 65 MiB of blank lines in ~65 KB of gzip. One member of 1 MiB
	// compressed once and sent 65 times (gzip readers read concatenated
	// members as one stream, as decodeLines does): compressing 65 MiB took
	// ~10 s under -race. That the limit holds across members is itself
	// worth knowing: a per-member limit would let this through.
	var member bytes.Buffer
	w, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	w.Write(bytes.Repeat([]byte{'\n'}, 1<<20))
	w.Close()
	bomb := bytes.Repeat(member.Bytes(), 65)
	if _, err := ParseEventLines(bomb); !errors.Is(err, errTooLarge) {
		t.Errorf("65 MiB expansion in 65 members: err = %v; want errTooLarge", err)
	}
}

// TestRedisEncodings: a gzip record carries enc=gzip and its ev field is
// gzip; a plain one has no enc; a stream holding both (compression turned
// on or off between runs) reads back in order.
func TestRedisEncodings(t *testing.T) {
	rdb := testClient(t)
	ctx := context.Background()
	stream := testStream(t, rdb)
	at := time.Now()
	batch := func(seq uint64) *Batch {
		evs := variedEvents()[:50]
		for i := range evs {
			evs[i].Time = at
		}
		return &Batch{Writer: "we", Seq: seq, Events: evs}
	}
	gz := NewRedisSink(rdb, RedisConfig{Stream: stream})
	plain := NewRedisSink(rdb, RedisConfig{Stream: stream, Encoding: EncodingNone})
	for seq, s := range []*RedisSink{gz, plain, gz} {
		if _, err := s.WriteBatch(ctx, batch(uint64(seq+1))); err != nil {
			t.Fatal(err)
		}
	}
	msgs := rdb.XRange(ctx, gz.StreamKey(0), "-", "+").Val()
	if len(msgs) != 3 {
		t.Fatalf("%d records; want 3", len(msgs))
	}
	for i, m := range msgs {
		ev, _ := m.Values["ev"].(string)
		enc, has := m.Values["enc"]
		if wantGz := i != 1; wantGz != strings.HasPrefix(ev, "\x1f\x8b") || wantGz != (enc == "gzip") || (!wantGz && has) {
			t.Errorf("record %d: enc=%v (present %v), ev starts %q", i, enc, has, ev[:2])
		}
	}
	if len(msgs[0].Values["ev"].(string))*3 > len(msgs[1].Values["ev"].(string)) {
		t.Errorf("gzip record %d bytes, plain %d: want under a third", len(msgs[0].Values["ev"].(string)), len(msgs[1].Values["ev"].(string)))
	}
	evs := allEvents(t, gz)
	if len(evs) != 150 || evs[0].ID != "we:1:0" || evs[50].ID != "we:2:0" || evs[149].ID != "we:3:49" {
		t.Fatalf("%d events read back; want 150 in batch order", len(evs))
	}
	// An unknown encoding is refused by name, not parsed as lines.
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: gz.StreamKey(0), Values: []any{"v", "2", "w", "x", "seq", "1", "n", "1", "s", "0", "enc", "zstd", "ev", "?"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := gz.Events(ctx, "", 1000); err == nil || !strings.Contains(err.Error(), `"zstd"`) {
		t.Errorf("enc=zstd record: err = %v; want one naming the encoding", err)
	}
}

// TestBoltEncodings: the embedded log's record values are gzip by default
// (a few pages, not dozens), plain with EncodingNone, and both read back.
func TestBoltEncodings(t *testing.T) {
	path := filepath.Join(t.TempDir(), EventsDBFile)
	at := time.Now()
	batch := func(seq uint64) *Batch {
		evs := variedEvents()
		for i := range evs {
			evs[i].Time = at
		}
		return &Batch{Writer: "wb", Seq: seq, Events: evs}
	}
	for seq, enc := range []Encoding{EncodingGzip, EncodingNone} {
		s, err := OpenBoltSink(path, BoltConfig{Encoding: enc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.WriteBatch(context.Background(), batch(uint64(seq+1))); err != nil {
			t.Fatal(err)
		}
		if enc == EncodingNone {
			if evs := allEvents(t, s); len(evs) != 1024 || evs[512].ID != "wb:2:0" {
				t.Fatalf("%d events; want 1024", len(evs))
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sizes []int
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktBatches).ForEach(func(_, v []byte) error {
			if len(sizes) == 0 && !bytes.HasPrefix(v, gzipMagic) {
				t.Error("first record is not gzip")
			}
			sizes = append(sizes, len(v))
			return nil
		})
	})
	if len(sizes) != 2 || sizes[0]*4 > sizes[1] || sizes[0] > 20*4096 {
		t.Errorf("record sizes %v; want the gzip one under a quarter of the plain one and 20 pages", sizes)
	}
}
