// Package reports owns the Result model (results.json), metric computation, SLO
// evaluation and the JUnit, HTML, Markdown and Prometheus outputs.
package reports
