//go:build !race

package shortlink_test

const raceEnabled = false
