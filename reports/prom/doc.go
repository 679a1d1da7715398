// Package prom is the Prometheus output of a run: its live counters
// (from internal/live) on /metrics while it runs, and its judged verdicts
// (from reports) once it ends, served or pushed to a Pushgateway.
//
// It sits above both: live keeps the state and knows nothing of reports,
// and reports judges a Result without knowing it is shown, so every
// dependency points downward. The Grafana dashboard in reports/grafana
// reads the metrics named here.
package prom
