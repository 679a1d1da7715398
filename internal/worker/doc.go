// Package worker runs a scenario workload away from the harness (in a
// Kubernetes pod) and hands its record back. The worker connects to its
// volume first, then waits on a small HTTP control endpoint: the harness
// measures the worker's clock against its own (round trips), tells it when
// run-clock zero is in the worker's clock, and fetches the full record at
// the end. So every worker timestamp lands on the harness's run clock, with
// the offset's error bound recorded beside it.
package worker
