// Package htmlreport renders nvmf-chaos Results as self-contained HTML: one
// file per report, plots as inline SVG drawn with gonum/plot, one inline
// stylesheet, no script and nothing fetched, so a report opens offline
// from a CI artifact or a mail attachment.
//
// Three pages: Write (one scenario run), WriteSuite (a verdict matrix over
// runs, linking each run's page) and WriteComparison (a baseline run
// against a current one, with reports.Compare's delta table). Every
// number shown comes from the run's stored Metrics and Evaluation (or
// reports.Compute when absent); this package only draws them. Long series
// are downsampled to each bucket's minimum and maximum so spikes and
// stalls survive; the full record stays in results.json.
package htmlreport
