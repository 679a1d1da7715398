// Package live keeps the current state of a running scenario or benchmark
// and shows it on the terminal as a progress line; reports/prom exposes the
// same state as Prometheus metrics.
//
// A Run receives the engines' closed intervals (through the Observers it
// hands out), fault inject/recover and path state changes, and at the end
// the run's verdict. Everything it shows is derived from what it was told;
// nothing here is part of the run's record, which stays results.json.
//
// live sits below what feeds it and what shows it: it imports no package
// of the module outside internal. The commands convert the engines'
// workloads.ClosedInterval into an Interval, and reports/prom reads Totals
// and adds the verdicts from the judged reports.Result.
package live
