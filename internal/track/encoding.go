package track

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"
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
)

// ParseEncoding reads --events-compression: "gzip" (or "") or "none".
func ParseEncoding(s string) (Encoding, error) {
	switch s {
	case "", "gzip":
		return EncodingGzip, nil
	case "none":
		return EncodingNone, nil
	}
	return 0, fmt.Errorf("events compression %q: want gzip or none", s)
}

// String is the name a record carries (the Redis entry's "enc" field, the
// JetStream message's Content-Encoding header); "" for EncodingNone.
func (e Encoding) String() string {
	if e == EncodingGzip {
		return "gzip"
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
// yields of the processor.
const gzipChunk = 16 << 10

// encodeLines appends lines, encoded as enc, to dst.
func encodeLines(dst, lines []byte, enc Encoding) []byte {
	if enc != EncodingGzip {
		return append(dst, lines...)
	}
	a := appender{b: dst}
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&a)
	// Writes to an appender cannot fail. A chunk at a time, yielding the
	// processor between chunks (~25 µs of BestSpeed each): see yieldLines.
	for len(lines) > gzipChunk {
		_, _ = w.Write(lines[:gzipChunk])
		lines = lines[gzipChunk:]
		runtime.Gosched()
	}
	_, _ = w.Write(lines)
	_ = w.Close()
	w.Reset(nil) // do not keep a reference to a's buffer in the pool
	gzipWriters.Put(w)
	return a.b
}

var gzipReaders sync.Pool // *gzip.Reader

// decodeLines returns payload's event lines: payload itself when it is not
// gzip (event lines start with "{"), else its expansion.
func decodeLines(payload []byte) ([]byte, error) {
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
