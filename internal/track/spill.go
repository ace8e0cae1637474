package track

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// SpillFileName is the spill file's name inside Config.SpillDir.
const SpillFileName = "track-spill.jsonl"

// spill is the append-only JSON-lines file of batches the sink did not
// take: one Batch per line, fsynced per batch. It is owned by the writer
// goroutine (not safe for concurrent use).
type spill struct {
	path   string
	f      *os.File // O_APPEND writer
	size   int64
	events int   // events in the file (approximate after a restart: counted on open)
	off    int64 // bytes already replayed in this process
	max    int64
	buf    []byte // line buffer reused by append
}

// openSpill opens (creating) the spill file in dir. A torn last line from a
// crash mid-append is cut off; it was never acknowledged (fsync had not
// returned), and its batch is counted as lost by the caller via the return.
func openSpill(dir string, max int64) (*spill, int64, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, 0, err
	}
	path := filepath.Join(dir, SpillFileName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o640)
	if err != nil {
		return nil, 0, err
	}
	s := &spill{path: path, f: f, max: max}
	data, err := os.ReadFile(path)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	var torn int64
	if n := bytes.LastIndexByte(data, '\n') + 1; n < len(data) {
		torn = int64(len(data) - n)
		if err := f.Truncate(int64(n)); err != nil {
			f.Close()
			return nil, 0, err
		}
		data = data[:n]
	}
	s.size = int64(len(data))
	for line := range bytes.Lines(data) {
		var hdr struct {
			Events []json.RawMessage `json:"events"`
		}
		if json.Unmarshal(line, &hdr) == nil {
			s.events += len(hdr.Events)
		}
	}
	return s, torn, nil
}

func (s *spill) pending() bool { return s.size > s.off }

// append writes b as one line and fsyncs.
func (s *spill) append(b *Batch) (int, error) {
	line, err := appendBatchJSON(s.buf[:0], b)
	if err != nil {
		return 0, err
	}
	line = append(line, '\n')
	if cap(line) <= 4<<20 {
		s.buf = line // reuse, unless one huge batch grew it
	}
	if s.max > 0 && s.size+int64(len(line)) > s.max {
		return 0, fmt.Errorf("spill file %s full (%d bytes, max %d)", s.path, s.size, s.max)
	}
	n, err := s.f.Write(line)
	if err != nil {
		// Cut a partial write so the file stays line-aligned.
		_ = s.f.Truncate(s.size)
		return 0, err
	}
	if err := s.f.Sync(); err != nil {
		return 0, err
	}
	s.size += int64(n)
	s.events += len(b.Events)
	return n, nil
}

// replay calls fn for each batch not yet replayed, in file order, stopping
// at the first error (the batch is retried next time). Lines that do not
// decode are skipped and reported through bad. When every line has been
// replayed the file is truncated to zero.
func (s *spill) replay(fn func(*Batch) error, bad func(line []byte)) error {
	r, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := r.Seek(s.off, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a line without '\n' cannot exist: appends are whole lines
		}
		if err != nil {
			return err
		}
		var b Batch
		if err := json.Unmarshal(line, &b); err != nil {
			bad(line)
		} else if err := fn(&b); err != nil {
			return err
		}
		s.off += int64(len(line))
		s.events -= len(b.Events)
	}
	if s.off < s.size {
		return nil // appended while we read (cannot happen: single owner)
	}
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	s.size, s.off, s.events = 0, 0, 0
	return nil
}

func (s *spill) close() error { return s.f.Close() }
