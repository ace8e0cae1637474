//go:build race

package shortlink_test

// raceEnabled: the race detector slows every map write and allocation
// about tenfold, so measuring tests fill fewer entries under -race.
const raceEnabled = true
