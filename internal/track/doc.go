// Package track records click events: a Recorder takes the tap core's
// click.Event without blocking (a bounded queue; full means dropped and
// counted), a writer goroutine batches them (up to Config.BatchSize, or one
// flush interval) and hands each batch, with its writer id and sequence
// number, to a Sink in one atomic step: RedisSink (one stream entry per
// batch and per shard, bucketed counters, the writer's high-water mark),
// BoltSink (one bbolt record per batch, the embedded store) or SplitSink
// (counters in one of those, the event log on JetStream through NATSLog).
// A batch the sink refuses or times out on goes to the spill file and is
// replayed in order; the high-water mark makes a replay apply once.
//
// Readers go through EventLog (pages of LoggedEvent with per-shard
// cursors, cursor.go) and Querier (per-link stats). The stored format is
// newline-delimited JSON, one click per line, gzip-compressed per batch
// (encoding.go; ParseEventLines reads both). The README beside this file
// has the Redis layout, the entry schema, sizing and upgrading.
package track
