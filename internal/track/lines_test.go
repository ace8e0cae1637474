package track

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestEventLines: each line is the LoggedEvent as encoding/json writes it
// (id first, then the Event's fields), and ParseEventLines reads it back.
func TestEventLines(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 0, 0, 123456789, ChinaTime)
	evs := []Event{tap(0, "a", at), tap(1, "b<&>", at), {Time: at, Code: "中", ClickIDs: map[string]string{"gdt_vid": "x", "callback": "http://a/?b=c&d=\u2028"}}}
	b := &Batch{Writer: "w1", Seq: 42, Events: evs}
	got, err := AppendEventLines([]byte("keep"), b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "keep") {
		t.Fatalf("dst lost: %q", got)
	}
	lines := strings.Split(strings.TrimSuffix(string(got[4:]), "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("%d lines; want %d", len(lines), len(evs))
	}
	for i, line := range lines {
		want, _ := json.Marshal(LoggedEvent{ID: EventID("w1", 42, i), Event: evs[i]})
		if line != string(want) {
			t.Fatalf("line %d:\n got %s\nwant %s", i, line, want)
		}
	}
	back, err := ParseEventLines(got[4:])
	if err != nil || len(back) != len(evs) || back[2].ClickIDs["gdt_vid"] != "x" || back[1].ID != "w1:42:1" {
		t.Fatalf("parsed %+v, %v", back, err)
	}
	if _, err := ParseEventLines([]byte("{\"id\":1}\nnot json\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad payload: %v; want an error naming the line", err)
	}
}

func TestSinceCursor(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ in, want string }{
		{"", ""}, {"0", ""},
		{"2026-12-07T08:00:00Z", "1796630400000-0+0"},
		{"1h", "1796626800000-0+0"},
		{"1796630400000-3", "1796630400000-3"},
		{"1796630400000-3+7,", "1796630400000-3+7,"},
	} {
		got, err := SinceCursor(tc.in, now)
		if err != nil || got != tc.want {
			t.Errorf("SinceCursor(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"yesterday", "-1h", "1-2+x", "a-b"} {
		if _, err := SinceCursor(bad, now); err == nil {
			t.Errorf("SinceCursor(%q): no error", bad)
		}
	}
	if _, err := parseCursor("1-1,2-2", 3); err == nil {
		t.Error("2 positions for 3 shards: no error")
	}
}

func FuzzParseEventLines(f *testing.F) {
	line, _ := AppendEventLines(nil, &Batch{Writer: "w", Seq: 1, Events: []Event{tap(0, "a", time.Unix(0, 0))}})
	f.Add(line)
	f.Add(encodeLines(nil, line, EncodingGzip)) // a gzip record
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := ParseEventLines(b)
		if err != nil {
			return
		}
		for _, e := range evs { // what parses re-encodes and parses the same
			out, err := AppendEventLines(nil, &Batch{Writer: "w", Seq: 1, Events: []Event{e.Event}})
			if err != nil {
				continue // a time RFC 3339 cannot hold
			}
			if _, err := ParseEventLines(out); err != nil {
				t.Fatalf("re-encoded %q does not parse: %v", out, err)
			}
		}
	})
}

func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", "0", "1-2", "1-2+3", "1-2,3-4+5,", "2026-12-07T08:00:00Z", "5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := SinceCursor(s, time.Unix(1e9, 0))
		if err != nil {
			return
		}
		for _, n := range []int{1, 3} {
			pos, err := parseCursor(c, n)
			if err != nil {
				continue
			}
			again, err := parseCursor(formatCursor(pos), n)
			if err != nil || formatCursor(again) != formatCursor(pos) {
				t.Fatalf("cursor %q (shards %d) does not round-trip: %q, %v", c, n, formatCursor(pos), err)
			}
		}
	})
}
