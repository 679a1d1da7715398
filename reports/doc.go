// Package reports owns the Result model (results.json), metric computation,
// SLO evaluation and the JUnit, HTML, Markdown and Prometheus outputs.
//
// It never imports faults, provision or workloads: a run is judged from its
// Result alone. The Runner builds a Result (see result.go for what each
// field promises), calls Finish to store metrics and verdicts in it, and
// writes results.json, junit.xml and summary.md; `report` and `compare`
// re-read results.json and recompute.
//
// # Windows
//
// Measurement runs from the warmup-end mark to measure-end (default: the
// end of the record). baseline is steady state before the first fault
// (warmup end to the first inject, or the baseline marks); fault is inject
// to recover of each fault; recovery is recover to steady again (inject +
// recovery_time, or the end of measurement); all is the measurement.
// Counts come from the series intervals and latency from the histogram
// slots a window covers: baseline and all take only cells wholly inside
// (no fault or warmup effect leaks in), fault and recovery every cell they
// touch (nothing the fault caused is missed). Latency of a window is thus
// exact to a slot (1 s by default) and throughput to an interval (100 ms).
//
// # Failover metrics
//
// failover_time, io_pause and recovery_time follow docs/ARCHITECTURE.md and are
// computed per workload from its completion gaps (exact to the completion
// timestamp) and its series. Each fault's horizon (the latest a gap may
// start and count) is its duration, at least Options.MinHorizon (1 s), and
// never past the next inject. For an immediate fault (a kill, a pause, a
// partition: FaultEvent.Immediate) it is MinHorizon alone: its stall
// starts at inject however long it lasts, and a failover that left no
// stall must not take a machine hiccup seconds later for one. recovery_time is exact to one interval and
// never shorter than failover_time. A workload that never resumed or never
// recovered has an unbounded value (+Inf), which fails any max bound.
//
// # Overall
//
// SLOs are judged on the overall metrics: counts, IOPS and bandwidth
// summed over workloads, latency from the merged distributions, and per
// fault the worst workload's failover_time, io_pause and recovery_time.
// Worst, not pooled: an application whose volume stalls is down whatever
// its neighbours do, and pooling completions would let one workload's I/O
// hide another's stall.
package reports
