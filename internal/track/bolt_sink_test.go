package track

import (
	"path/filepath"
	"testing"
)

func TestBoltSink(t *testing.T) {
	runSinkContract(t, func(t *testing.T) Sink {
		s, err := OpenBoltSink(filepath.Join(t.TempDir(), EventsDBFile), BoltConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
