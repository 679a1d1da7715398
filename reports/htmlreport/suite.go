package htmlreport

import (
	"fmt"
	"io"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// Run is one scenario run of a suite report: its record and where its own
// report.html is, relative to the suite report ("" for no link).
type Run struct {
	Result *reports.Result
	Link   string
}

// suiteColumns are the headline metrics a suite row shows, as
// reports.KeyMetrics names them (the same as summary.md).
var suiteColumns = []struct{ key, title string }{
	{"failover_time", "failover"}, {"io_pause", "I/O pause"}, {"recovery_time", "recovery"},
	{"iops.baseline", "IOPS (baseline)"}, {"latency.p99.baseline", "p99 (baseline)"},
	{"io_errors", "I/O errors"}, {"lost_writes", "lost writes"},
}

type suitePage struct {
	Title    string
	Verdict  verdictView
	SLOCols  []string
	KeyCols  []string
	Rows     []suiteRow
	Problems []string
}

type suiteRow struct {
	Name, Link, Status, Class, Detail string
	SLOs                              []cell
	Keys                              []string
}

// cell is one scenario × SLO entry of the verdict matrix; an empty Class
// means the scenario has no such SLO.
type cell struct{ Text, Class, Title string }

// WriteSuite renders the suite report: a verdict matrix, one row per run
// with its verdict, every SLO's measured value (green pass, red fail,
// blank where the scenario has no such SLO) and its headline metrics,
// each run linking to its own report. Only a failure to write to w is an
// error.
func WriteSuite(w io.Writer, runs []Run) error {
	pg := &suitePage{Title: "nvmf-chaos suite"}
	cols := map[string]int{}
	for _, run := range runs {
		if run.Result == nil || run.Result.Evaluation == nil {
			continue
		}
		for _, v := range run.Result.Evaluation.Verdicts {
			k := sloColumn(v.SLO)
			if _, ok := cols[k]; !ok {
				cols[k] = len(pg.SLOCols)
				pg.SLOCols = append(pg.SLOCols, k)
			}
		}
	}
	for _, c := range suiteColumns {
		pg.KeyCols = append(pg.KeyCols, c.title)
	}
	passed, failed := 0, 0
	for i, run := range runs {
		if run.Result == nil {
			pg.Problems = append(pg.Problems, fmt.Sprintf("run %d has no result", i+1))
			continue
		}
		row := suiteRowOf(run, cols, len(pg.SLOCols))
		switch row.Class {
		case "pass":
			passed++
		case "fail":
			failed++
		}
		pg.Rows = append(pg.Rows, row)
	}
	pg.Verdict = suiteVerdict(passed, failed, len(pg.Rows))
	return execute(w, "suite", pg)
}

func suiteVerdict(passed, failed, n int) verdictView {
	v := verdictView{Text: fmt.Sprintf("%d of %d runs passed", passed, n)}
	switch {
	case passed == n:
		v.Class, v.Detail = "pass", "every SLO of every run passed"
	case failed > 0:
		v.Class, v.Detail = "fail", fmt.Sprintf("%d run(s) failed an SLO, %d could not run or were not judged", failed, n-passed-failed)
	default:
		v.Class, v.Detail = "error", fmt.Sprintf("%d run(s) could not run or were not judged", n-passed)
	}
	return v
}

func sloColumn(s reports.SLO) string {
	k := s.Metric
	if s.Window != "" {
		k += " [" + s.Window + "]"
	}
	if s.Of != "" && s.Of != reports.OfWorst {
		k += " " + s.Of
	}
	return k
}

func suiteRowOf(run Run, cols map[string]int, n int) suiteRow {
	r := run.Result
	v := verdictOf(r)
	row := suiteRow{Name: reports.RunName(r), Link: run.Link, Status: statusText(r), Class: v.Class, SLOs: make([]cell, n)}
	if v.Class == "error" {
		row.Detail = v.Detail
	}
	if r.Evaluation != nil {
		for _, vd := range r.Evaluation.Verdicts {
			c := cell{Text: vd.Display, Class: "pass", Title: vd.Threshold}
			if !vd.Pass {
				c.Class, c.Title = "fail", vd.Threshold+": "+vd.Detail
			}
			row.SLOs[cols[sloColumn(vd.SLO)]] = c
		}
	}
	vals := map[string]string{}
	if m, _ := metricsOf(r); m != nil && r.RunError == "" {
		for _, k := range reports.KeyMetrics(m) {
			vals[k.Name] = k.Display
		}
	}
	for _, c := range suiteColumns {
		s, ok := vals[c.key]
		if !ok {
			s = "–"
		}
		row.Keys = append(row.Keys, s)
	}
	return row
}

const pageSuite = `{{define "suite"}}{{template "head" .Title}}
<h1>nvmf-chaos suite</h1>
{{template "verdict" .Verdict}}
{{template "problems" .Problems}}
<h2>Verdicts</h2>
<p class="note">Each SLO cell shows the measured value; hover for the threshold. Blank: the scenario has no such SLO.</p>
<table><tr><th>scenario</th><th>verdict</th>{{range .SLOCols}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr class="{{.Class}}"><td>{{if .Link}}<a href="{{.Link}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td><td class="verdict">{{.Status}}{{if .Detail}}<br><small>{{.Detail}}</small>{{end}}</td>{{range .SLOs}}<td class="num {{.Class}}" title="{{.Title}}">{{.Text}}</td>{{end}}</tr>
{{end}}</table>
<h2>Key metrics</h2>
<table><tr><th>scenario</th>{{range .KeyCols}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{if .Link}}<a href="{{.Link}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td>{{range .Keys}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</table>
{{template "foot"}}{{end}}
`
