package cachework

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"
)

// TestExecutorRunsEveryTask: every task handed over runs, from one worker
// goroutine while it keeps up and on the caller's when the queue is full.
func TestExecutorRunsEveryTask(t *testing.T) {
	const n = 10 * queued
	var wg sync.WaitGroup
	wg.Add(n)
	block := make(chan struct{})
	Executor(func() { <-block }) // the worker is busy: the queue fills
	for range n {
		Executor(wg.Done)
	}
	close(block)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("tasks handed to Executor did not all run")
	}
}

// TestCacheUpkeepStartsNoGoroutines: an otter cache with Executor evicts
// down to its size and starts no goroutine per drain (otter's default
// executor starts one each time).
func TestCacheUpkeepStartsNoGoroutines(t *testing.T) {
	c := otter.Must(&otter.Options[string, int]{MaximumSize: 100, Executor: Executor})
	Executor(func() {}) // the worker goroutine exists before counting
	before := runtime.NumGoroutine()
	peak := before
	for i := range 200_000 {
		k := string(rune('a' + i%1000))
		if _, ok := c.GetIfPresent(k); !ok {
			c.Set(k, i)
		}
		if i%1000 == 0 {
			peak = max(peak, runtime.NumGoroutine())
		}
	}
	c.CleanUp()
	if n := c.EstimatedSize(); n > 100 {
		t.Errorf("cache holds %d entries; want ≤ 100 (evictions ran?)", n)
	}
	if peak > before {
		t.Errorf("goroutines rose from %d to %d during cache use; want no goroutine per drain", before, peak)
	}
}
