package htmlreport

import (
	"fmt"
	"math"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// windowHistograms merges, over every workload, the latency histogram
// slots of each window kind the metrics define: baseline, fault (all
// faults) and recovery (all recoveries). The slots a window takes follow
// the reports package's rule (baseline wholly inside, fault and recovery
// every slot touched), so the curve agrees with the window percentiles in
// the tables to a slot. Windows come from the stored Metrics, never
// recomputed here.
func windowHistograms(r *reports.Result, m *reports.Metrics, kinds []reports.Window) (map[reports.Window]*hdr.Histogram, error) {
	out := map[reports.Window]*hdr.Histogram{}
	for _, k := range kinds {
		out[k] = reports.NewLatencyHistogram()
	}
	for i := range r.Workloads {
		w := &r.Workloads[i]
		wm := workloadMetrics(m, w.Name)
		if wm == nil {
			continue
		}
		cache := map[int]*hdr.PackedHistogram{}
		for _, win := range wm.Windows {
			h, ok := out[win.Window]
			if !ok {
				continue
			}
			inward := win.Window == reports.WindowBaseline || win.Window == reports.WindowAll
			lo, hi := slotRange(win.StartNs, win.EndNs, &w.Histograms, inward)
			for s := lo; s < hi; s++ {
				p, err := slot(&w.Histograms, s, cache)
				if err != nil {
					return nil, fmt.Errorf("workload %s: %w", w.Name, err)
				}
				if p != nil {
					p.MergeInto(h)
				}
			}
		}
	}
	return out, nil
}

func workloadMetrics(m *reports.Metrics, name string) *reports.WorkloadMetrics {
	for i := range m.Workloads {
		if m.Workloads[i].Workload == name {
			return &m.Workloads[i]
		}
	}
	return nil
}

// slot decodes slot s once (read and write merged); nil when empty.
func slot(h *reports.Histograms, s int, cache map[int]*hdr.PackedHistogram) (*hdr.PackedHistogram, error) {
	if p, ok := cache[s]; ok {
		return p, nil
	}
	var out *hdr.PackedHistogram
	for _, enc := range []string{h.Read[s], h.Write[s]} {
		if enc == "" {
			continue
		}
		p, err := hdr.DecodePacked([]byte(enc))
		if err != nil {
			return nil, fmt.Errorf("histogram slot %d: %w", s, err)
		}
		if out == nil {
			out = p
		} else {
			out.Merge(p)
		}
	}
	cache[s] = out
	return out, nil
}

// slotRange maps [start, end) onto the slot grid: inward keeps slots wholly
// inside, outward every slot touched.
func slotRange(start, end int64, h *reports.Histograms, inward bool) (int, int) {
	n := int64(h.Len())
	if h.SlotNs <= 0 || n == 0 || end <= start {
		return 0, 0
	}
	lo, hi := start-h.StartNs, end-h.StartNs
	var i, j int64
	if inward {
		i, j = ceilDiv(lo, h.SlotNs), floorDiv(hi, h.SlotNs)
	} else {
		i, j = floorDiv(lo, h.SlotNs), ceilDiv(hi, h.SlotNs)
	}
	i, j = min(max(i, 0), n), min(max(j, 0), n)
	return int(i), int(max(i, j))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// ninesCurve samples h along the "nines" axis: x = -log10(1 - q), so 90 %
// is 1, 99 % is 2 and so on. It stops at the last quantile the sample
// count resolves (log10 n) where it reaches the maximum.
func ninesCurve(h *hdr.Histogram) plotter.XYs {
	n := h.TotalCount()
	if n == 0 {
		return nil
	}
	top := math.Log10(float64(n))
	var out plotter.XYs
	for x := 0.0; x < top; x += 0.05 {
		q := 100 * (1 - math.Pow(10, -x))
		out = append(out, plotter.XY{X: x, Y: float64(max(h.ValueAtPercentile(q), 1))})
	}
	return append(out, plotter.XY{X: max(top, 0.05), Y: float64(max(h.Max(), 1))})
}

// ninesTicks label the nines axis in percent: 0 %, 90 %, 99 %, 99.9 %...
type ninesTicks struct{}

func (ninesTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := []plot.Tick{{Value: math.Log10(2), Label: "50%"}}
	for x := math.Ceil(lo); x <= hi && x < 12; x++ {
		ts = append(ts, plot.Tick{Value: x, Label: ninesLabel(int(x))})
	}
	return ts
}

func ninesLabel(n int) string {
	if n == 0 {
		return "0%"
	}
	if n == 1 {
		return "90%"
	}
	if n == 2 {
		return "99%"
	}
	return "99." + strings.Repeat("9", n-2) + "%"
}

// ninesFigure plots the latency percentile curve of each named window; a
// window without samples is left out.
func ninesFigure(title string, curves []namedCurve) *figure {
	f := newFigure(title, "percentile", "latency (log)")
	var all [][]plotter.XYs
	hi := 1.0
	for _, c := range curves {
		if len(c.xy) == 0 {
			continue
		}
		f.line(c.name, c.role, []plotter.XYs{c.xy}, c.dashed)
		all = append(all, []plotter.XYs{c.xy})
		hi = max(hi, c.xy[len(c.xy)-1].X)
	}
	f.p.X.Tick.Marker = ninesTicks{}
	f.p.X.Min, f.p.X.Max = 0, hi+0.1
	useLogDuration(f.p, all...)
	return f
}

// namedCurve is one line of a nines figure.
type namedCurve struct {
	name, role string
	xy         plotter.XYs
	dashed     bool
}

// runNines are the baseline, fault and recovery curves of one run, with
// the line names prefixed (for comparisons).
func runNines(r *reports.Result, m *reports.Metrics, prefix string, dashed bool, kinds []reports.Window) ([]namedCurve, error) {
	hs, err := windowHistograms(r, m, kinds)
	if err != nil {
		return nil, err
	}
	var out []namedCurve
	for _, k := range kinds {
		h := hs[k]
		name := fmt.Sprintf("%s%s (n=%s)", prefix, k, reports.FormatValue(reports.UnitIOPS, reports.Value(h.TotalCount())))
		out = append(out, namedCurve{name: name, role: string(k), xy: ninesCurve(h), dashed: dashed})
	}
	return out, nil
}
