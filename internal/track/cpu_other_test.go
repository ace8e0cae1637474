//go:build !unix

package track

import "time"

// processCPU is -1: this platform has no getrusage (see cpu_unix_test.go).
func processCPU() time.Duration { return -1 }
