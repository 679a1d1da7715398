// Package live keeps the current state of a running scenario or benchmark
// and shows it: a progress line on the terminal and Prometheus metrics on
// /metrics or pushed to a Pushgateway at the end.
//
// A Run receives the engines' closed intervals (it hands out
// workloads.IntervalObserver values), fault inject/recover and path state
// changes, and at the end the judged reports.Result. Everything it shows
// is derived from what it was told; nothing here is part of the run's
// record, which stays results.json.
//
// live sits beside reports: it imports workloads (the observer hook) and
// reports (verdicts), never faults, provision or scenarios; the runner
// turns its fault and path events into the plain calls Run offers.
package live
