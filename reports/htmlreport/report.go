package htmlreport

import (
	"bytes"
	"fmt"
	"html/template"
	"io"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// runPage is everything the scenario report template shows.
type runPage struct {
	Title     string
	Scenario  string
	Verdict   verdictView
	SLOs      []sloRow
	Key       []kv
	Env       []kv
	Faults    []faultRow
	Workloads []workloadView
	Nines     template.HTML
	Verify    []verifyRow
	Notes     []string
	Problems  []string
}

// workloadView is one workload's section of time plots.
type workloadView struct {
	Name, Volume string
	Figures      []template.HTML
}

// Write renders the scenario report of r: verdict, SLOs, environment,
// per-workload time plots with fault windows and path events, the latency
// percentile curve of each window kind, per-fault availability metrics and
// verification. Numbers come from r's stored Metrics, or reports.Compute
// with default options when it carries none (as compare does).
//
// A record that cannot be plotted (a run that failed before any I/O, a
// corrupt histogram) still yields a page: what could not be drawn is
// listed under Problems, because a report of a failed run is when the
// evidence matters most. Only a failure to write to w is an error.
func Write(w io.Writer, r *reports.Result) error {
	if r == nil {
		return fmt.Errorf("html report: no result")
	}
	return execute(w, "run", buildRunPage(r))
}

// metricsOf returns r's stored metrics, else computes them; nil with a
// problem when neither works.
func metricsOf(r *reports.Result) (*reports.Metrics, string) {
	if r.Metrics != nil {
		return r.Metrics, ""
	}
	m, err := reports.Compute(r, reports.Options{})
	if err != nil {
		return nil, fmt.Sprintf("metrics could not be computed: %v", err)
	}
	return m, ""
}

func buildRunPage(r *reports.Result) *runPage {
	name := reports.RunName(r)
	pg := &runPage{Title: "nvmf-chaos: " + name, Scenario: name, Verdict: verdictOf(r), SLOs: sloRows(r),
		Env: environmentRows(r), Verify: verifyRows(r)}
	m, problem := metricsOf(r)
	if problem != "" {
		pg.Problems = append(pg.Problems, problem)
	}
	if m == nil {
		return pg
	}
	pg.Key, pg.Faults = keyRows(m), faultRows(m)
	for _, wm := range append([]reports.WorkloadMetrics{m.Overall}, m.Workloads...) {
		for _, n := range wm.Notes {
			pg.Notes = append(pg.Notes, wm.Workload+": "+n)
		}
	}
	ov := newOverlay(r, m)
	for i := range r.Workloads {
		w := &r.Workloads[i]
		figs, errs := workloadFigures(w, ov)
		pg.Workloads = append(pg.Workloads, workloadView{Name: w.Name, Volume: w.Volume, Figures: figs})
		pg.Problems = append(pg.Problems, errs...)
	}
	kinds := []reports.Window{reports.WindowBaseline, reports.WindowFault, reports.WindowRecovery}
	curves, err := runNines(r, m, "", false, kinds)
	if err != nil {
		pg.Problems = append(pg.Problems, "latency percentile curve: "+err.Error())
		return pg
	}
	if svg, err := ninesFigure("latency percentiles by window (all workloads)", curves).svg(); err != nil {
		pg.Problems = append(pg.Problems, err.Error())
	} else {
		pg.Nines = svg
	}
	return pg
}

// execute renders one of the page templates through a buffer, so a
// template error never leaves half a page behind a successful status.
func execute(w io.Writer, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("html report %s: %w", name, err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("writing html report: %w", err)
	}
	return nil
}
