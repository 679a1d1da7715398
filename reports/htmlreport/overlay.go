package htmlreport

import (
	"image/color"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// band is a shaded stretch of the time axis with a label: a fault window
// (kind@node), the run of a workload on part of the timeline, or the
// warmup.
type band struct {
	x0, x1 float64
	label  string
	fill   color.Color
}

var (
	faultFill  = color.NRGBA{R: 0xe5, G: 0x39, B: 0x35, A: 0x2e}
	warmupFill = color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0x22}
	activeFill = color.NRGBA{R: 0x1e, G: 0x88, B: 0xe5, A: 0x26}
)

// bands shades fault windows and the warmup behind the data.
type bands []band

var _ plot.Plotter = bands(nil)

// Plot implements plot.Plotter.
func (bs bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, b := range bs {
		x0, x1 := max(trX(b.x0), c.Min.X), min(trX(b.x1), c.Max.X)
		if x1 < x0 {
			continue
		}
		x1 = max(x1, x0+vg.Points(1)) // an instantaneous fault still shows
		c.FillPolygon(b.fill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
	}
}

// bandLabels names the bands along the top of the data area, drawn last
// so no curve hides them, each on a white box. A label that would run
// into the one before it drops to the next row, so close faults never
// print over each other; one past the right edge is left to the tables.
type bandLabels bands

var _ plot.Plotter = bandLabels(nil)

var labelBox = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xd0}

// Plot implements plot.Plotter.
func (bs bandLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	sty := draw.TextStyle{Color: color.Black, Handler: p.TextHandler}
	sans(&sty, 8)
	lineH := sty.Height("Ag") + vg.Points(2)
	var rowEnds []vg.Length
	for _, b := range bs {
		x0 := max(trX(b.x0), c.Min.X)
		w := sty.Width(b.label)
		if b.label == "" || x0+w+vg.Points(4) > c.Max.X {
			continue
		}
		row := 0
		for row < len(rowEnds) && rowEnds[row] > x0 {
			row++
		}
		if row == len(rowEnds) {
			rowEnds = append(rowEnds, 0)
		}
		rowEnds[row] = x0 + w + vg.Points(6)
		y := c.Max.Y - lineH*vg.Length(row+1)
		c.FillPolygon(labelBox, []vg.Point{{X: x0 + 1, Y: y - 1}, {X: x0 + w + vg.Points(4), Y: y - 1},
			{X: x0 + w + vg.Points(4), Y: y + lineH - 1}, {X: x0 + 1, Y: y + lineH - 1}})
		c.FillText(sty, vg.Point{X: x0 + vg.Points(2), Y: y + vg.Points(1)}, clean(b.label))
	}
}

// faultBands returns the warmup, every fault window of r and the run of
// every workload that ran for part of the timeline, on axis t.
// The windows are the metrics' (inject to recover, or to the end of
// measurement for a fault never recovered), so the shading matches the
// numbers in the tables.
func faultBands(r *reports.Result, m *reports.Metrics, t timeAxis) bands {
	var out bands
	for _, ph := range r.Phases {
		if ph.Phase == reports.PhaseWarmupEnd && ph.AtNs > 0 {
			out = append(out, band{x0: 0, x1: t.x(ph.AtNs), label: "warmup", fill: warmupFill})
		}
	}
	for _, w := range r.Workloads {
		if a := w.Active; a != nil {
			out = append(out, band{x0: t.x(a.StartNs), x1: t.x(a.EndNs), label: w.Name + " runs", fill: activeFill})
		}
	}
	if m != nil {
		for _, f := range m.Overall.Faults {
			out = append(out, band{x0: t.x(f.InjectNs), x1: t.x(max(f.RecoverNs, f.InjectNs)),
				label: faultName(f.Kind, f.Node), fill: faultFill})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].x0 < out[j].x0 })
	return out
}

func faultName(kind, node string) string {
	if node == "" {
		return kind
	}
	return kind + "@" + node
}

// markerStyles give each path event kind its colour; the legend explains
// them.
var markerStyles = map[reports.PathEventKind]color.Color{
	reports.PathDown:     color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
	reports.PathUp:       color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff},
	reports.PathANA:      color.RGBA{R: 0x6a, G: 0x1b, B: 0x9a, A: 0xff},
	reports.PathRequeue:  color.RGBA{R: 0x61, G: 0x61, B: 0x61, A: 0xff},
	reports.PathCtrlLost: color.RGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff},
}

var otherMarker = color.RGBA{R: 0x00, G: 0x83, B: 0x8f, A: 0xff}

func markerLine(k reports.PathEventKind) draw.LineStyle {
	c, ok := markerStyles[k]
	if !ok {
		c = otherMarker
	}
	return draw.LineStyle{Color: c, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
}

// markers are path events drawn as dashed vertical lines.
type markers struct {
	xs    []float64
	kinds []reports.PathEventKind
}

var _ plot.Plotter = (*markers)(nil)

// Plot implements plot.Plotter.
func (m *markers) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for i, x := range m.xs {
		cx := trX(x)
		if cx < c.Min.X || cx > c.Max.X {
			continue
		}
		c.StrokeLine2(markerLine(m.kinds[i]), cx, c.Min.Y, cx, c.Max.Y)
	}
}

// markerThumb is a legend entry for one path event kind.
type markerThumb struct{ kind reports.PathEventKind }

// Thumbnail implements plot.Thumbnailer.
func (t markerThumb) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(markerLine(t.kind), x, c.Min.Y, x, c.Max.Y)
}

// bandThumb is the legend entry for fault shading.
type bandThumb struct{ fill color.Color }

// Thumbnail implements plot.Thumbnailer.
func (t bandThumb) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(t.fill, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
}

// addOverlays shades fault windows and marks the path events of volume
// (all volumes when empty) on f, with legend entries for what appears.
func (f *figure) addOverlays(bs bands, evs []reports.PathEvent, volume string, t timeAxis) {
	f.p.Add(bs)
	f.labels = bandLabels(bs)
	for _, b := range bs {
		if b.fill == faultFill {
			f.legend.Add("fault window", bandThumb{fill: faultFill})
			break
		}
	}
	m := &markers{}
	seen := map[reports.PathEventKind]bool{}
	var order []reports.PathEventKind
	for _, e := range evs {
		if volume != "" && e.Volume != "" && e.Volume != volume {
			continue
		}
		m.xs = append(m.xs, t.x(e.AtNs))
		m.kinds = append(m.kinds, e.Kind)
		if !seen[e.Kind] {
			seen[e.Kind] = true
			order = append(order, e.Kind)
		}
	}
	if len(m.xs) == 0 {
		return
	}
	f.p.Add(m)
	for _, k := range order {
		f.legend.Add("path "+clean(string(k)), markerThumb{kind: k})
	}
}
