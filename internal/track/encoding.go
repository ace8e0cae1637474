package track

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
)

// Encoding is how a batch record's event lines are stored: as they are
// (EncodingNone), or gzip-compressed (EncodingGzip, RFC 1952, readable with
// any language's standard library: Python's gzip.decompress, Node's
// zlib.gunzipSync, Java's GZIPInputStream, `gzip -d` in a shell). Event lines
// of a batch repeat the same keys and values, so gzip keeps about a seventh
// of the bytes (README: Sizing); that is Redis memory, Redis CPU (the bytes
// it copies and the pages it faults in), disk on JetStream and bbolt pages.
type Encoding uint8

const (
	// EncodingGzip is the default.
	EncodingGzip Encoding = iota
	// EncodingNone stores the lines as they are.
	EncodingNone
	// EncodingSnappy is the Snappy framing format (github.com/google/snappy
	// framing_format.txt; python-snappy's StreamDecompressor, Java's
	// SnappyFramedInputStream, Node's snappy-stream, `snzip -d`), written
	// with klauspost/compress/s2 in Snappy-compatible mode: ~4x less CPU
	// than gzip BestSpeed for ~1.5x the bytes (BenchmarkCompressLines). It
	// is the embedded store's default, where the bytes are local disk and
	// the CPU is the tap's own core.
	EncodingSnappy
)

// ParseEncoding reads --events-compression: "gzip" (or ""), "snappy" or
// "none".
func ParseEncoding(s string) (Encoding, error) {
	switch s {
	case "", "gzip":
		return EncodingGzip, nil
	case "snappy":
		return EncodingSnappy, nil
	case "none":
		return EncodingNone, nil
	}
	return 0, fmt.Errorf("events compression %q: want gzip, snappy or none", s)
}

// String is the name a record carries (the Redis entry's "enc" field, the
// JetStream message's "enc" header); "" for EncodingNone.
func (e Encoding) String() string {
	switch e {
	case EncodingGzip:
		return "gzip"
	case EncodingSnappy:
		return "snappy"
	}
	return ""
}

// gzipLevel is klauspost/compress's BestSpeed: on a 512-event batch of
// varied taps (BenchmarkCompressLines) it keeps ~14% of the bytes at
// ~0.4 µs per event; higher levels save a few percent more for two to three
// times the CPU, on the tap path's cores.
const gzipLevel = gzip.BestSpeed

// maxDecoded bounds what one compressed record may expand to (a batch is at
// most a few MB of lines), so a corrupt or hostile record cannot exhaust
// memory.
const maxDecoded = 64 << 20

// errTooLarge is returned for a record that expands past maxDecoded.
var errTooLarge = errors.New("track: compressed batch record expands past 64 MiB")

var gzipMagic = []byte{0x1f, 0x8b}

// snappyMagic is the Snappy framing format's stream identifier chunk.
var snappyMagic = []byte("\xff\x06\x00\x00sNaPpY")

// appender is an io.Writer that appends to b.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

var gzipWriters = sync.Pool{New: func() any {
	w, err := gzip.NewWriterLevel(nil, gzipLevel)
	if err != nil {
		panic(err) // gzipLevel is a valid constant
	}
	return w
}}

// gzipChunk is how many bytes of lines encodeLines compresses between
// yields of the processor. In a Go execution trace of warm taps on Redis
// (one P), 16 KiB chunks were the longest stretches any goroutine ran,
// 125–140 µs, 106 of ≥ 100 µs a second; at 4 KiB 34 were left (the OS
// descheduling the thread shows as a long run too). The tap's p99 did not
// change measurably.
const gzipChunk = 4 << 10

// snappyWriters are s2 writers in Snappy-compatible mode, one block at a
// time on the calling goroutine (no goroutines of their own).
var snappyWriters = sync.Pool{New: func() any {
	return s2.NewWriter(nil, s2.WriterSnappyCompat(), s2.WriterConcurrency(1))
}}

// snappyChunk is the Snappy framing format's largest block of input. The
// writer uses it too: 16 KiB blocks stored 102 B per event against 95
// (BenchmarkCompressLines) with no measurable change of the tap's p99.
const snappyChunk = 64 << 10

// compressor is what encodeLines needs of a pooled gzip or s2 writer.
type compressor interface {
	io.WriteCloser
	Reset(io.Writer)
}

// encodeLines appends lines, encoded as enc, to dst.
func encodeLines(dst, lines []byte, enc Encoding) []byte {
	var pool *sync.Pool
	chunk := 0
	switch enc {
	case EncodingGzip:
		pool, chunk = &gzipWriters, gzipChunk
	case EncodingSnappy:
		pool, chunk = &snappyWriters, snappyChunk
	default:
		return append(dst, lines...)
	}
	a := appender{b: dst}
	w := pool.Get().(compressor)
	w.Reset(&a)
	// Writes to an appender cannot fail. A chunk at a time, yielding the
	// processor between chunks: see yieldLines.
	for len(lines) > chunk {
		_, _ = w.Write(lines[:chunk])
		lines = lines[chunk:]
		runtime.Gosched()
	}
	_, _ = w.Write(lines)
	_ = w.Close()
	w.Reset(nil) // do not keep a reference to a's buffer in the pool
	pool.Put(w)
	return a.b
}

var gzipReaders sync.Pool // *gzip.Reader

// decodeLines returns payload's event lines: payload itself when it is
// neither gzip nor Snappy framed (event lines start with "{"), else its
// expansion.
func decodeLines(payload []byte) ([]byte, error) {
	if bytes.HasPrefix(payload, snappyMagic) {
		return decodeSnappy(payload)
	}
	if !bytes.HasPrefix(payload, gzipMagic) {
		return payload, nil
	}
	src := bytes.NewReader(payload)
	var r *gzip.Reader
	if v := gzipReaders.Get(); v != nil {
		r = v.(*gzip.Reader)
		if err := r.Reset(src); err != nil {
			return nil, fmt.Errorf("track: gzip batch record: %w", err)
		}
	} else {
		var err error
		if r, err = gzip.NewReader(src); err != nil {
			return nil, fmt.Errorf("track: gzip batch record: %w", err)
		}
	}
	defer gzipReaders.Put(r)
	out := bytes.NewBuffer(make([]byte, 0, 8*len(payload)))
	n, err := io.Copy(out, io.LimitReader(r, maxDecoded+1))
	if err != nil {
		return nil, fmt.Errorf("track: gzip batch record: %w", err)
	}
	if n > maxDecoded {
		return nil, errTooLarge
	}
	return out.Bytes(), nil
}

// decodeSnappy expands a Snappy framed record, bounded by maxDecoded.
func decodeSnappy(payload []byte) ([]byte, error) {
	r := s2.NewReader(bytes.NewReader(payload), s2.ReaderMaxBlockSize(snappyChunk))
	out := bytes.NewBuffer(make([]byte, 0, 5*len(payload)))
	n, err := io.Copy(out, io.LimitReader(r, maxDecoded+1))
	if err != nil {
		return nil, fmt.Errorf("track: snappy batch record: %w", err)
	}
	if n > maxDecoded {
		return nil, errTooLarge
	}
	return out.Bytes(), nil
}
