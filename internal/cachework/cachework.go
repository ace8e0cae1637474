// Package cachework runs the upkeep of hutong's in-process caches (otter's
// read-buffer drains and evictions) on one long-lived goroutine.
//
// otter's default executor starts a goroutine per drain: about one per 16
// cache reads, each growing a fresh stack (the drain hashes keys with
// maphash, which needs more than a new goroutine's stack). Under warm taps
// that was ~3 % of hutong's CPU (runtime.newstack/copystack under
// otter's sketch hash, pprof of a live warm-tap run). A goroutine that
// stays keeps its grown stack and costs one channel send per drain.
package cachework

import "sync"

// queued bounds the drains waiting for the worker; past it a drain runs on
// the goroutine that asked for it (otter allows a synchronous executor).
const queued = 64

var (
	once sync.Once
	work chan func()
)

func start() {
	work = make(chan func(), queued)
	go func() {
		for fn := range work {
			fn()
		}
	}()
}

// Executor is an otter Options.Executor: it hands fn to the worker
// goroutine, or runs it at once when the worker has queued enough.
func Executor(fn func()) {
	once.Do(start)
	select {
	case work <- fn:
	default:
		fn()
	}
}
