package track

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]Encoding{"": EncodingGzip, "gzip": EncodingGzip, "snappy": EncodingSnappy, "none": EncodingNone} {
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
	sn := NewRedisSink(rdb, RedisConfig{Stream: stream, Encoding: EncodingSnappy})
	for seq, s := range []*RedisSink{gz, plain, gz, sn} {
		if _, err := s.WriteBatch(ctx, batch(uint64(seq+1))); err != nil {
			t.Fatal(err)
		}
	}
	msgs := rdb.XRange(ctx, gz.StreamKey(0), "-", "+").Val()
	if len(msgs) != 4 {
		t.Fatalf("%d records; want 4", len(msgs))
	}
	if ev, _ := msgs[3].Values["ev"].(string); msgs[3].Values["enc"] != "snappy" || !strings.HasPrefix(ev, string(snappyMagic)) {
		t.Errorf("snappy record: enc=%v, ev starts %q", msgs[3].Values["enc"], ev[:10])
	}
	for i, m := range msgs[:3] {
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
	if len(evs) != 200 || evs[0].ID != "we:1:0" || evs[50].ID != "we:2:0" || evs[149].ID != "we:3:49" || evs[199].ID != "we:4:49" {
		t.Fatalf("%d events read back; want 200 in batch order", len(evs))
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
	for seq, enc := range []Encoding{EncodingGzip, EncodingNone, EncodingSnappy} {
		s, err := OpenBoltSink(path, BoltConfig{Encoding: enc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.WriteBatch(context.Background(), batch(uint64(seq+1))); err != nil {
			t.Fatal(err)
		}
		if enc == EncodingSnappy {
			if evs := allEvents(t, s); len(evs) != 1536 || evs[512].ID != "wb:2:0" || evs[1024].ID != "wb:3:0" {
				t.Fatalf("%d events; want 1536", len(evs))
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
	if len(sizes) != 3 || sizes[0]*4 > sizes[1] || sizes[0] > 20*4096 || sizes[2]*3 > sizes[1] {
		t.Errorf("record sizes %v; want the gzip one under a quarter of the plain one and 20 pages, the snappy one under a third", sizes)
	}
}

// TestSnappyLines: a Snappy record is the standard framing format (read here
// by readSnappyFrames, which follows the format's text, not the code that
// wrote it),
// splits a large batch into 64 KiB blocks, yields the same events, and a
// damaged or oversized one is an error.
func TestSnappyLines(t *testing.T) {
	var lines []byte
	for i := range 4 {
		var err error
		if lines, err = AppendEventLines(lines, &Batch{Writer: "ws", Seq: uint64(i + 1), Events: variedEvents()}); err != nil {
			t.Fatal(err)
		}
	}
	z := encodeLines(nil, lines, EncodingSnappy)
	if !bytes.HasPrefix(z, snappyMagic) || len(z)*3 > len(lines) || len(lines) < 3*snappyChunk {
		t.Fatalf("snappy of %d bytes is %d bytes; want under a third, several blocks", len(lines), len(z))
	}
	plain, err := readSnappyFrames(z)
	if err != nil || !bytes.Equal(plain, lines) {
		t.Fatalf("Snappy framing reader: %d bytes, %v; want the %d bytes of lines", len(plain), err, len(lines))
	}
	if got, err := ParseEventLines(z); err != nil || len(got) != 2048 {
		t.Fatalf("ParseEventLines(snappy): %d events, %v; want 2048", len(got), err)
	}
	if z2 := encodeLines(nil, lines, EncodingSnappy); !bytes.Equal(z, z2) {
		t.Fatal("pooled snappy writer gave other bytes on reuse")
	}
	bad := bytes.Clone(z)
	bad[len(bad)/2] ^= 0xff
	if _, err := ParseEventLines(bad); err == nil {
		t.Error("a damaged snappy record parsed")
	}
	if _, err := ParseEventLines(z[:len(z)-10]); err == nil {
		t.Error("a truncated snappy record parsed")
	}
	big := encodeLines(nil, bytes.Repeat([]byte("\n"), maxDecoded+1), EncodingSnappy)
	if _, err := decodeLines(big); !errors.Is(err, errTooLarge) {
		t.Errorf("64 MiB + 1 of snappy: err = %v; want errTooLarge", err)
	}
}

// readSnappyFrames reads the Snappy framing format as
// github.com/google/snappy/framing_format.txt describes it: chunks of a
// type byte and a 3-byte little-endian length; the stream identifier
// first; compressed (0x00) and uncompressed (0x01) chunks carry a masked
// CRC-32C of their uncompressed data, then the data (a Snappy block for
// 0x00, decoded with s2.Decode, which reads the Snappy block format).
func readSnappyFrames(z []byte) ([]byte, error) {
	var out []byte
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	first := true
	for len(z) > 0 {
		if len(z) < 4 {
			return nil, errors.New("short chunk header")
		}
		typ, n := z[0], int(z[1])|int(z[2])<<8|int(z[3])<<16
		if len(z) < 4+n {
			return nil, errors.New("short chunk")
		}
		body := z[4 : 4+n]
		z = z[4+n:]
		if first != (typ == 0xff) {
			return nil, errors.New("stream identifier misplaced")
		}
		first = false
		switch {
		case typ == 0xff:
			if string(body) != "sNaPpY" {
				return nil, errors.New("bad stream identifier")
			}
		case typ == 0x00 || typ == 0x01:
			if len(body) < 4 {
				return nil, errors.New("short data chunk")
			}
			data := body[4:]
			if typ == 0x00 {
				var err error
				if data, err = s2.Decode(nil, data); err != nil {
					return nil, err
				}
			}
			if len(data) > 65536 {
				return nil, errors.New("block over 64 KiB")
			}
			c := crc32.Checksum(data, castagnoli)
			if masked := (c>>15 | c<<17) + 0xa282ead8; masked != binary.LittleEndian.Uint32(body) {
				return nil, errors.New("checksum mismatch")
			}
			out = append(out, data...)
		case typ >= 0x80: // skippable
		default:
			return nil, errors.New("reserved unskippable chunk")
		}
	}
	return out, nil
}
