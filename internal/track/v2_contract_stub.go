package track

// TEMPORARY (issue 17 branch only): the issue-16 v2 contract as the lead
// specified it, so the JetStream log compiles before that code lands on
// main. Deleted at `git rebase main` in favour of the real definitions.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// LoggedEvent is one line of a v2 batch payload.
type LoggedEvent struct {
	ID string `json:"id"`
	Event
}

// EventLog stores batches (v2 records); AppendBatch is idempotent per
// (Writer, Seq).
type EventLog interface {
	AppendBatch(ctx context.Context, b *Batch, lines []byte) error
	Events(ctx context.Context, after string, limit int) (*EventPage, error)
}

// AppendEventLines appends b's v2 payload to dst.
func AppendEventLines(dst []byte, b *Batch) ([]byte, error) {
	for i := range b.Events {
		dst = append(dst, `{"id":`...)
		dst = appendJSONString(dst, b.Writer+":"+strconv.FormatUint(b.Seq, 10)+":"+strconv.Itoa(i))
		n := len(dst)
		out, err := appendEventJSON(dst, &b.Events[i])
		if err != nil {
			return dst, err
		}
		dst = out
		if len(dst) > n+2 {
			dst[n] = ',' // '{' of the event object
		} else {
			dst = append(dst[:n], '}')
		}
		dst = append(dst, '\n')
	}
	return dst, nil
}

// ParseEventLines decodes a v2 payload.
func ParseEventLines(payload []byte) ([]LoggedEvent, error) {
	var out []LoggedEvent
	for len(payload) > 0 {
		line, rest, _ := bytes.Cut(payload, []byte("\n"))
		payload = rest
		if len(line) == 0 {
			continue
		}
		var le LoggedEvent
		if err := json.Unmarshal(line, &le); err != nil {
			return out, fmt.Errorf("track: event line: %w", err)
		}
		out = append(out, le)
	}
	return out, nil
}
