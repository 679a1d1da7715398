package htmlreport

import (
	"fmt"
	"html/template"
	"io"
	"math"

	"gonum.org/v1/plot/plotter"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

type comparePage struct {
	Title     string
	Verdict   verdictView
	Base, Cur string
	Env       []envPair
	Deltas    []deltaRow
	Unmatched []string
	Figures   []template.HTML
	Problems  []string
}

// envPair is one environment line of both runs, so a reader sees at once
// whether they ran on the same target, host settings and build.
type envPair struct {
	Key, Base, Cur string
	Differs        bool
}

// comparable are the environment lines that should match for a fair
// comparison; seeds and start times always differ.
var comparable = map[string]bool{"target": true, "backend": true, "host settings": true, "machine": true,
	"nvmf-chaos": true, "swept parameters": true}

func envPairs(base, cur *reports.Result) []envPair {
	var out []envPair
	idx := map[string]int{}
	for _, e := range environmentRows(base) {
		idx[e.Key] = len(out)
		out = append(out, envPair{Key: e.Key, Base: e.Value})
	}
	for _, e := range environmentRows(cur) {
		i, ok := idx[e.Key]
		if !ok {
			i = len(out)
			out = append(out, envPair{Key: e.Key})
		}
		out[i].Cur = e.Value
	}
	for i := range out {
		out[i].Differs = comparable[out[i].Key] && out[i].Base != out[i].Cur
	}
	return out
}

type deltaRow struct {
	Run, Metric, Display, Change, Threshold string
	Regression                              bool
}

// WriteComparison renders a baseline run against a current one: c's delta
// table (from reports.Compare, so the page and the exit code agree), and
// the two runs' throughput, p99 latency and percentile curves overlaid,
// baseline dashed grey, current solid. Only a failure to write to w is an
// error.
func WriteComparison(w io.Writer, base, cur *reports.Result, c reports.Comparison) error {
	if base == nil || cur == nil {
		return fmt.Errorf("html comparison: need both results")
	}
	pg := &comparePage{Title: "nvmf-chaos compare: " + reports.RunName(cur), Unmatched: c.Unmatched}
	n := 0
	for _, d := range c.Deltas {
		if d.Regression {
			n++
		}
		pg.Deltas = append(pg.Deltas, deltaRow{Run: d.Run, Metric: d.Metric, Display: d.Display,
			Change: changeText(d.Change), Threshold: d.Threshold, Regression: d.Regression})
	}
	pg.Verdict = verdictView{Class: "pass", Text: "No regression", Detail: fmt.Sprintf("%d metrics compared", len(c.Deltas))}
	if c.Regressed {
		pg.Verdict = verdictView{Class: "fail", Text: fmt.Sprintf("%d regression(s)", n),
			Detail: fmt.Sprintf("of %d metrics compared", len(c.Deltas))}
	}
	pg.Base = fmt.Sprintf("%s (%s)", reports.RunName(base), statusText(base))
	pg.Cur = fmt.Sprintf("%s (%s)", reports.RunName(cur), statusText(cur))
	pg.Env = envPairs(base, cur)
	pg.Figures, pg.Problems = compareFigures(base, cur)
	return execute(w, "compare", pg)
}

func changeText(v reports.Value) string {
	f := float64(v)
	if math.IsInf(f, 0) {
		return fmt.Sprintf("%+.0f%%", f)
	}
	return fmt.Sprintf("%+.1f%%", f*100)
}

// compareFigures overlays the two runs per workload present in both, on
// the current run's time axis and fault windows.
func compareFigures(base, cur *reports.Result) ([]template.HTML, []string) {
	bm, bp := metricsOf(base)
	cm, cp := metricsOf(cur)
	var problems []string
	for _, p := range []string{bp, cp} {
		if p != "" {
			problems = append(problems, p)
		}
	}
	if bm == nil || cm == nil || base.RunError != "" || cur.RunError != "" {
		return nil, append(problems, "no curves: a run did not run or has no metrics")
	}
	ov := newOverlay(cur, cm)
	ov.events = nil // path events of two runs on one axis would only clutter
	ov.endNs = max(ov.endNs, runEndNs(base))
	ov.t = newTimeAxis(ov.endNs)
	ov.bands = faultBands(cur, cm, ov.t)
	var figs []*figure
	for i := range cur.Workloads {
		cw := &cur.Workloads[i]
		bw := findWorkload(base, cw.Name)
		if bw == nil || cw.Series.Len() == 0 || bw.Series.Len() == 0 {
			continue
		}
		figs = append(figs, overlaidIOPS(bw, cw, ov), overlaidP99(bw, cw, ov))
	}
	kinds := []reports.Window{reports.WindowBaseline, reports.WindowFault}
	bc, err1 := runNines(base, bm, "base ", true, kinds)
	cc, err2 := runNines(cur, cm, "current ", false, kinds)
	if err1 != nil || err2 != nil {
		problems = append(problems, fmt.Sprintf("percentile curves: %v %v", err1, err2))
	} else {
		for i := range bc {
			bc[i].role = "base"
		}
		figs = append(figs, ninesFigure("latency percentiles, baseline vs current", append(bc, cc...)))
	}
	svgs, errs := renderAll(figs)
	return svgs, append(problems, errs...)
}

func findWorkload(r *reports.Result, name string) *reports.WorkloadRecord {
	for i := range r.Workloads {
		if r.Workloads[i].Name == name {
			return &r.Workloads[i]
		}
	}
	return nil
}

func overlaidIOPS(bw, cw *reports.WorkloadRecord, ov overlay) *figure {
	f := newFigure(cw.Name+": IOPS, baseline vs current", ov.t.label(), "IOPS")
	f.addOverlays(ov.bands, nil, "", ov.t)
	for _, s := range []struct {
		w      *reports.WorkloadRecord
		role   string
		dashed bool
	}{{bw, "base", true}, {cw, "current", false}} {
		ser := &s.w.Series
		ys := rate(ser, [][]int64{ser.Read.IOs, ser.Write.IOs}, 1)
		f.line(s.role, s.role, envelope(ys, seriesX(ser, ov.t), maxBuckets), s.dashed)
	}
	f.p.Y.Tick.Marker = siTicks{}
	f.p.Y.Min = 0
	f.p.Y.Max *= 1.15
	f.p.X.Min, f.p.X.Max = 0, ov.t.x(ov.endNs)
	return f
}

func overlaidP99(bw, cw *reports.WorkloadRecord, ov overlay) *figure {
	f := newFigure(cw.Name+": p99 latency per interval, baseline vs current", ov.t.label(), "latency (log)")
	f.addOverlays(ov.bands, nil, "", ov.t)
	var all [][]plotter.XYs
	for _, s := range []struct {
		w      *reports.WorkloadRecord
		role   string
		dashed bool
	}{{bw, "base", true}, {cw, "current", false}} {
		ser := &s.w.Series
		sg := envelope(slowerDirection(ser.Read.P99Ns, ser.Write.P99Ns), seriesX(ser, ov.t), maxBuckets)
		f.line(s.role+" p99", s.role, sg, s.dashed)
		all = append(all, sg)
	}
	useLogDuration(f.p, all...)
	f.p.X.Min, f.p.X.Max = 0, ov.t.x(ov.endNs)
	return f
}

const pageCompare = `{{define "compare"}}{{template "head" .Title}}
<h1>{{.Title}}</h1>
{{template "verdict" .Verdict}}
{{template "problems" .Problems}}
<h2>Runs</h2>
<table><tr><th></th><th>baseline: {{.Base}}</th><th>current: {{.Cur}}</th></tr>
{{range .Env}}<tr><th>{{.Key}}</th><td>{{.Base}}</td><td{{if .Differs}} class="bad"{{end}}>{{.Cur}}</td></tr>
{{end}}</table>
<h2>Deltas</h2>
<table class="tint"><tr><th>run</th><th>metric</th><th>baseline → current</th><th>change</th><th>threshold</th><th>result</th></tr>
{{range .Deltas}}<tr class="{{if .Regression}}fail{{else}}pass{{end}}"><td>{{.Run}}</td><td>{{.Metric}}</td><td class="num">{{.Display}}</td><td class="num">{{.Change}}</td><td class="num">{{.Threshold}}</td><td class="verdict">{{if .Regression}}REGRESSION{{else}}ok{{end}}</td></tr>
{{end}}</table>
{{if .Unmatched}}<p class="note">Not compared: {{range .Unmatched}}{{.}}; {{end}}</p>{{end}}
{{if .Figures}}<h2>Curves</h2><p class="note">Baseline dashed grey, current solid blue; fault windows are the current run's.</p>{{range .Figures}}<figure>{{.}}</figure>{{end}}{{end}}
{{template "foot"}}{{end}}
`
