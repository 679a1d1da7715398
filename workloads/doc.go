// Package workloads owns the fio-style job model, the fio job-file parser, the
// I/O engine, data patterns with write verification, and latency recording.
//
// A Device is an asynchronous block target (Submit returns at once, Done
// reports the completion). Backends register by URL scheme with Register;
// Open dispatches a target URL to them. Built in: null://SIZE (no I/O: the
// engine's own cost) and file:///path (a regular file or block device with
// O_DIRECT). nvme+tcp://HOST:PORT/NQN registers from the NVMe/TCP host.
//
// NewEngine(dev, jobs).Run(ctx) runs numjobs workers per job, each keeping
// iodepth I/Os outstanding, and returns a Result: per job and direction the
// counts and HDR latency histograms per interval and per run, the flat error
// record and, for verify=crc32c jobs, lost, stale and corrupt blocks. Every
// timestamp is nanoseconds on the run clock given by WithStart. WriteJSON
// renders a Result in fio's JSON layout, WriteSummary as fio's text.
package workloads
