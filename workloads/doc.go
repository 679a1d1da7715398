// Package workloads owns the fio-style job model, the fio job-file parser, the
// I/O engine, data patterns with write verification, and latency recording.
package workloads
