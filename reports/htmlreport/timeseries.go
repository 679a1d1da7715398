package htmlreport

import (
	"fmt"
	"html/template"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// seriesX returns where interval i of s is plotted: its middle, since it
// counts what completed over the whole interval.
func seriesX(s *reports.Series, t timeAxis) func(int) float64 {
	return func(i int) float64 {
		return t.x(s.StartNs + int64(i)*s.IntervalNs + s.IntervalNs/2)
	}
}

// rate turns a per-interval count column into a per-second rate, scaled by
// div (1 for IOPS, 1 MiB for MiB/s).
func rate(s *reports.Series, cols [][]int64, div float64) []float64 {
	secs := float64(s.IntervalNs) / 1e9
	out := make([]float64, s.Len())
	for i := range out {
		var n int64
		for _, c := range cols {
			n += c[i]
		}
		out[i] = float64(n) / secs / div
	}
	return out
}

// slowerDirection is, per interval, the higher of the read and write
// latency columns: a merged percentile cannot be rebuilt from two
// percentiles, and the slower direction is the one an application waits
// on. Intervals without I/O are NaN: there is no latency to plot.
func slowerDirection(read, write []int64) []float64 {
	out := make([]float64, len(read))
	for i := range out {
		v := max(read[i], write[i])
		out[i] = float64(v)
		if v <= 0 {
			out[i] = math.NaN()
		}
	}
	return out
}

// runEndNs is where a run's time axis ends: the record's end or the last
// interval, whichever is later.
func runEndNs(r *reports.Result) int64 {
	end := r.EndNs
	for i := range r.Workloads {
		end = max(end, r.Workloads[i].Series.EndNs())
	}
	return max(end, 1)
}

// throughputFigure plots a rate (IOPS or bandwidth) of one workload:
// total, plus read and write when the workload does both.
func throughputFigure(w *reports.WorkloadRecord, ov overlay, title, unit string, div float64, bytes bool) *figure {
	s := &w.Series
	f := newFigure(title, ov.t.label(), unit)
	f.addOverlays(ov.bands, ov.events, w.Volume, ov.t)
	read, write := s.Read.IOs, s.Write.IOs
	if bytes {
		read, write = s.Read.Bytes, s.Write.Bytes
	}
	x := seriesX(s, ov.t)
	f.line("total", "total", envelope(rate(s, [][]int64{read, write}, div), x, maxBuckets), false)
	if sum(read) > 0 && sum(write) > 0 {
		f.line("read", "read", envelope(rate(s, [][]int64{read}, div), x, maxBuckets), false)
		f.line("write", "write", envelope(rate(s, [][]int64{write}, div), x, maxBuckets), false)
	}
	f.p.Y.Tick.Marker = siTicks{}
	f.p.Y.Min = 0
	f.p.Y.Max *= 1.15 // headroom for the fault labels along the top
	f.p.X.Min, f.p.X.Max = 0, ov.t.x(ov.endNs)
	return f
}

// latencyFigure plots p50, p99 and p99.9 of one workload on a log axis.
func latencyFigure(w *reports.WorkloadRecord, ov overlay) *figure {
	s := &w.Series
	f := newFigure(w.Name+": latency per interval (slower of read/write)", ov.t.label(), "latency (log)")
	f.addOverlays(ov.bands, ov.events, w.Volume, ov.t)
	x := seriesX(s, ov.t)
	cols := []struct {
		name     string
		r, w     []int64
		segments []plotter.XYs
	}{{name: "p50", r: s.Read.P50Ns, w: s.Write.P50Ns}, {name: "p99", r: s.Read.P99Ns, w: s.Write.P99Ns},
		{name: "p99.9", r: s.Read.P999Ns, w: s.Write.P999Ns}}
	var all [][]plotter.XYs
	for i := range cols {
		cols[i].segments = envelope(slowerDirection(cols[i].r, cols[i].w), x, maxBuckets)
		all = append(all, cols[i].segments)
	}
	for _, c := range cols {
		f.line(c.name, c.name, c.segments, false)
	}
	useLogDuration(f.p, all...)
	f.p.X.Min, f.p.X.Max = 0, ov.t.x(ov.endNs)
	return f
}

// useLogDuration makes p's Y axis a log axis of nanoseconds spanning segs.
func useLogDuration(p *plot.Plot, segs ...[]plotter.XYs) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = durationTicks{}
	p.Y.Min, p.Y.Max = logRange(segRange(segs...))
}

// overlay is what every time plot of a run draws behind its data.
type overlay struct {
	t      timeAxis
	endNs  int64
	bands  bands
	events []reports.PathEvent
}

func newOverlay(r *reports.Result, m *reports.Metrics) overlay {
	end := runEndNs(r)
	t := newTimeAxis(end)
	return overlay{t: t, endNs: end, bands: faultBands(r, m, t), events: r.PathEvents}
}

// workloadFigures renders a workload's three time panels: IOPS, bandwidth
// and latency. A panel that cannot be drawn is reported, not fatal.
func workloadFigures(w *reports.WorkloadRecord, ov overlay) ([]template.HTML, []string) {
	if w.Series.Len() == 0 {
		return nil, []string{fmt.Sprintf("workload %s recorded no intervals", w.Name)}
	}
	figs := []*figure{
		throughputFigure(w, ov, w.Name+": IOPS", "IOPS", 1, false),
		throughputFigure(w, ov, w.Name+": bandwidth", "MiB/s", 1<<20, true),
		latencyFigure(w, ov),
	}
	return renderAll(figs)
}

func renderAll(figs []*figure) ([]template.HTML, []string) {
	var out []template.HTML
	var errs []string
	for _, f := range figs {
		s, err := f.svg()
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, s)
	}
	return out, errs
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}
