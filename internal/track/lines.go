package track

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
)

// BatchFormat is the version of the batch record: the "v" field of a stream
// entry (Redis), the header of a JetStream message, the first bytes of a
// bbolt batch value. Version 1 was one stream entry per tap.
const BatchFormat = 2

// LoggedEvent is one click as the event log stores and serves it: the Event
// with its stable event ID "<writer>:<seq>:<index>" (the batch's writer,
// its sequence number, the event's position in the batch from 0). The ID
// is the same however often the batch is replayed, so a consumer that has
// seen it can drop the repeat. JSON: {"id":…, <the Event's fields>}.
type LoggedEvent struct {
	ID string `json:"id"`
	Event
}

// EventLog is an append-only log of batches (the Redis Stream of a
// RedisSink, the bbolt file of a BoltSink, or a JetStream stream): one
// record per batch holding the batch's event lines (AppendEventLines).
// Implementations are safe for concurrent use.
type EventLog interface {
	// AppendBatch stores b as one record whose payload is lines. It must
	// be idempotent per (b.Writer, b.Seq): a batch appended twice (a retry
	// after a timeout, a spill-file replay) is stored once.
	AppendBatch(ctx context.Context, b *Batch, lines []byte) error
	// Events is Querier.Events.
	Events(ctx context.Context, after string, limit int) (*EventPage, error)
}

// EventID is the stable ID of the index-th event of batch (writer, seq).
func EventID(writer string, seq uint64, index int) string {
	return writer + ":" + strconv.FormatUint(seq, 10) + ":" + strconv.Itoa(index)
}

// AppendEventLines appends b's events as newline-delimited JSON, one line
// per event: {"id":"<writer>:<seq>:<index>", then the fields of the Event
// exactly as encoding/json writes them (event.go)}, each ending in "\n".
// This is the payload of every batch record, readable in any language with
// a JSON parser. The only error is a Time that RFC 3339 cannot represent.
func AppendEventLines(dst []byte, b *Batch) ([]byte, error) {
	return appendLines(dst, b.Writer, b.Seq, b.Events, nil)
}

// appendLines is AppendEventLines for events whose positions in their batch
// are index[i] (nil: i), for a batch split into shards.
func appendLines(dst []byte, writer string, seq uint64, events []Event, index []int32) ([]byte, error) {
	n0 := len(dst)
	for i := range events {
		k := i
		if index != nil {
			k = int(index[i])
		}
		dst = append(dst, `{"id":`...)
		dst = appendJSONString(dst, writer)
		dst = dst[:len(dst)-1] // reopen the string: writer:seq:index
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, seq, 10)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(k), 10)
		dst = append(dst, '"')
		brace := len(dst)
		out, err := appendEventJSON(dst, &events[i])
		if err != nil {
			return dst[:n0], fmt.Errorf("track: encode event: %w", err)
		}
		out[brace] = ',' // the event's own "{" continues the object
		dst = append(out, '\n')
		if i%yieldLines == yieldLines-1 {
			runtime.Gosched()
		}
	}
	return dst, nil
}

// yieldLines is how many event lines the writer encodes between yields of
// the processor (runtime.Gosched): on a server with one P (GOMAXPROCS=1, a
// pinned container), a whole batch's encoding in one go would hold taps
// waiting for that long. 64 lines ran up to 128 µs at a stretch in a Go
// execution trace of warm taps; 16 are ~10–30 µs.
const yieldLines = 16

// ParseEventLines decodes a batch payload: event lines (AppendEventLines),
// or their gzip (Encoding; told apart by gzip's first two bytes, 1f 8b,
// which no JSON text starts with). Blank lines are skipped; a line that is
// not a JSON object is an error naming it.
func ParseEventLines(payload []byte) ([]LoggedEvent, error) {
	payload, err := decodeLines(payload)
	if err != nil {
		return nil, err
	}
	out := make([]LoggedEvent, 0, bytes.Count(payload, []byte{'\n'})+1)
	for n := 1; len(payload) > 0; n++ {
		line, rest, _ := bytes.Cut(payload, []byte{'\n'})
		payload = rest
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var le LoggedEvent
		if err := json.Unmarshal(line, &le); err != nil {
			return out, fmt.Errorf("track: event line %d: %w", n, err)
		}
		out = append(out, le)
	}
	return out, nil
}
