//go:build unix

package track

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user plus system) this process has used so
// far, or -1 when the platform cannot tell. Benchmarks report its delta per
// event: with the Redis server in another process, wall time per event
// counts the wait for the script too, and this does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
