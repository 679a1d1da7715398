package reports

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// SLO is one objective as a scenario writes it. Its fields match
// scenarios.SLO one for one, so the scenario type converts directly:
// reports.SLO(s).
type SLO struct {
	Metric string `json:"metric"`
	Window string `json:"window,omitempty"`
	Max    string `json:"max,omitempty"`
	Min    string `json:"min,omitempty"`
	// Of is the statistic of the metric's samples (one per fault, per
	// fault window, or per repeated run) the bound applies to: worst
	// (default), median or p90.
	Of string `json:"of,omitempty"`
	// Workload judges one workload's metrics instead of the overall
	// combination.
	Workload string `json:"workload,omitempty"`
	// Vs, when "baseline", judges the metric in Window divided by the
	// same metric in the workload's baseline window: a ratio, whose bound
	// is a plain number ("2", "2.5x").
	Vs string `json:"vs,omitempty"`
}

// VsBaseline is the one reference an SLO's Vs may name.
const VsBaseline = "baseline"

// Statistics an SLO's Of may name.
const (
	OfWorst  = "worst"
	OfMedian = "median"
	OfP90    = "p90"
)

// Evaluation is the verdict on a run: Pass only when every SLO passed.
type Evaluation struct {
	Pass     bool      `json:"pass"`
	Verdicts []Verdict `json:"verdicts"`
}

// Verdict is one SLO judged.
type Verdict struct {
	SLO SLO `json:"slo"`
	// Threshold reads as the bound: "<= 2s", ">= 20k", "100µs..2ms".
	Threshold string `json:"threshold"`
	// Measured is the statistic the bound was checked against; Display is
	// it for humans.
	Measured Value  `json:"measured"`
	Display  string `json:"display"`
	// Samples describes the values the statistic was taken from when there
	// was more than one (several faults, windows or runs).
	Samples *Distribution `json:"samples,omitempty"`
	// Ratio holds, for an SLO relative to baseline, the two values whose
	// quotient is Measured.
	Ratio  *RatioParts `json:"ratio,omitempty"`
	Pass   bool        `json:"pass"`
	Detail string      `json:"detail,omitempty"`
}

// RatioParts are the terms of a ratio to baseline, in the metric's unit:
// the metric in the judged window (the one whose ratio was the statistic)
// and in the workload's baseline window.
type RatioParts struct {
	Window   Value `json:"window"`
	Baseline Value `json:"baseline"`
}

// Name is the verdict's short name: the JUnit test case name.
func (v Verdict) Name() string {
	s := v.SLO.Metric
	if v.SLO.Workload != "" {
		s += "{" + v.SLO.Workload + "}"
	}
	if v.SLO.Window != "" {
		s += "[" + v.SLO.Window + "]"
	}
	if v.SLO.Vs != "" {
		s += " vs " + v.SLO.Vs
	}
	if v.SLO.Of != "" && v.SLO.Of != OfWorst {
		s += " " + v.SLO.Of
	}
	return s + " " + v.Threshold
}

// Distribution summarises a metric's samples.
type Distribution struct {
	N      int   `json:"n"`
	Min    Value `json:"min"`
	Median Value `json:"median"`
	P90    Value `json:"p90"`
	Max    Value `json:"max"`
}

// Evaluate judges r's SLOs on its overall metrics, computing them with
// default options unless r already carries them. An invalid SLO is an
// error (scenarios validation should have caught it).
func Evaluate(r *Result, slos []SLO) (Evaluation, error) {
	if r.RunError != "" {
		return Evaluation{}, fmt.Errorf("scenario %s did not run: %s", r.Scenario.Name, r.RunError)
	}
	m := r.Metrics
	if m == nil {
		var err error
		if m, err = Compute(r, Options{}); err != nil {
			return Evaluation{}, err
		}
	}
	return EvaluateMetrics(slos, m)
}

// EvaluateMetrics judges SLOs on the pooled samples of one or more runs'
// metrics: with repeated runs each SLO sees every run's samples, and Of
// picks the statistic.
func EvaluateMetrics(slos []SLO, runs ...*Metrics) (Evaluation, error) {
	ev := Evaluation{Pass: true, Verdicts: []Verdict{}}
	for i, s := range slos {
		v, err := judge(s, runs)
		if err != nil {
			return Evaluation{}, fmt.Errorf("slos[%d] %s: %w", i, s.Metric, err)
		}
		ev.Pass = ev.Pass && v.Pass
		ev.Verdicts = append(ev.Verdicts, v)
	}
	return ev, nil
}

// Finish computes r's metrics and judges its SLOs, storing both in r so
// results.json carries them. It is what a Runner calls after a run.
func Finish(r *Result, slos []SLO, opts Options) error {
	if err := checkEffects(r.Faults); err != nil {
		return err
	}
	m, err := Compute(r, opts)
	if err != nil {
		return fmt.Errorf("computing metrics: %w", err)
	}
	r.Metrics = m
	ev, err := EvaluateMetrics(slos, m)
	if err != nil {
		return fmt.Errorf("evaluating SLOs: %w", err)
	}
	r.Evaluation = &ev
	return nil
}

type bound struct {
	max     bool // an upper bound
	limit   float64
	written string
}

func judge(s SLO, runs []*Metrics) (Verdict, error) {
	v := Verdict{SLO: s}
	spec, ok := LookupMetric(s.Metric)
	if !ok {
		return v, fmt.Errorf("unknown metric %q", s.Metric)
	}
	unit := spec.Unit
	if s.Vs != "" {
		unit = UnitRatio
	}
	bounds, err := parseBounds(s, unit)
	if err != nil {
		return v, err
	}
	v.Threshold = thresholdText(bounds)
	var xs []float64
	var terms []RatioParts
	for _, m := range runs {
		wm, err := sloWorkload(m, s.Workload)
		if err != nil {
			return v, err
		}
		if s.Vs != "" {
			ps, err := ratioSamples(wm, spec, s)
			if err != nil {
				return v, err
			}
			for _, p := range ps {
				xs, terms = append(xs, float64(p.Window)/float64(p.Baseline)), append(terms, p)
			}
			continue
		}
		ys, err := samples(wm, spec, s.Window)
		if err != nil {
			return v, err
		}
		xs = append(xs, ys...)
	}
	if len(xs) == 0 {
		v.Pass = Window(s.Window) == WindowRecovery
		v.Display = "n/a"
		v.Detail = "not measured: no samples in the window"
		if s.Vs != "" {
			v.Detail += ", or none in the baseline"
		}
		if v.Pass {
			v.Detail = "no recovery window: IOPS never left steady state after a fault"
		}
		return v, nil
	}
	ratios := slices.Clone(xs) // in terms' order
	sort.Float64s(xs)
	if len(xs) > 1 {
		v.Samples = &Distribution{N: len(xs), Min: Value(xs[0]), Median: Value(rank(xs, 0.5)), P90: Value(rank(xs, 0.9)), Max: Value(xs[len(xs)-1])}
	}
	v.Pass = true
	for i, b := range bounds {
		got := statistic(xs, s.Of, b.max)
		ok := got <= b.limit
		if !b.max {
			ok = got >= b.limit
		}
		if i == 0 || !ok {
			v.Measured = Value(got)
		}
		if !ok {
			v.Pass = false
			v.Detail = fmt.Sprintf("%s %s is %s, want %s", statName(s.Of), s.Metric, FormatValue(unit, Value(got)), thresholdText([]bound{b}))
			if Value(got).Unbounded() {
				v.Detail += " (I/O never resumed, or was not steady again, before the run ended)"
			}
		}
	}
	v.Display = FormatValue(unit, v.Measured)
	if s.Vs != "" {
		i := slices.Index(ratios, float64(v.Measured))
		v.Ratio = &terms[i]
		v.Display += fmt.Sprintf(" (%s in %s / %s in baseline)", FormatValue(spec.Unit, v.Ratio.Window), s.Window,
			FormatValue(spec.Unit, v.Ratio.Baseline))
	}
	return v, nil
}

// sloWorkload is the metrics an SLO judges: the named workload's, or the
// overall combination.
func sloWorkload(m *Metrics, name string) (*WorkloadMetrics, error) {
	if name == "" {
		return &m.Overall, nil
	}
	for i := range m.Workloads {
		if m.Workloads[i].Workload == name {
			return &m.Workloads[i], nil
		}
	}
	return nil, fmt.Errorf("no workload %q in the record", name)
}

// ratioSamples pairs the metric in each of the SLO's windows with the
// same metric in the workload's baseline window. A window or a baseline
// without the metric (no I/O), or a baseline of 0 (a ratio to nothing),
// gives no sample.
func ratioSamples(m *WorkloadMetrics, spec MetricSpec, s SLO) ([]RatioParts, error) {
	if spec.PerFault || spec.Unit == UnitCount {
		return nil, fmt.Errorf("%s has no window to compare with baseline", s.Metric)
	}
	if s.Vs != VsBaseline {
		return nil, fmt.Errorf("vs %q: want %s", s.Vs, VsBaseline)
	}
	if w := Window(s.Window); w == "" || w == WindowBaseline {
		return nil, fmt.Errorf("vs baseline needs another window (%s, %s, %s or %s)", WindowOverlap, WindowFault, WindowRecovery, WindowAll)
	}
	base, err := samples(m, spec, string(WindowBaseline))
	if err != nil || len(base) == 0 || base[0] <= 0 {
		return nil, err
	}
	xs, err := samples(m, spec, s.Window)
	out := make([]RatioParts, 0, len(xs))
	for _, x := range xs {
		out = append(out, RatioParts{Window: Value(x), Baseline: Value(base[0])})
	}
	return out, err
}

func parseBounds(s SLO, unit Unit) ([]bound, error) {
	var bs []bound
	for _, b := range []bound{{max: false, written: s.Min}, {max: true, written: s.Max}} {
		if b.written == "" {
			continue
		}
		x, err := ParseThreshold(unit, b.written)
		if err != nil {
			return nil, err
		}
		b.limit = x
		bs = append(bs, b)
	}
	if len(bs) == 0 {
		return nil, errors.New("needs max or min")
	}
	switch s.Of {
	case "", OfWorst, OfMedian, OfP90:
	default:
		return nil, fmt.Errorf("of %q: want worst, median or p90", s.Of)
	}
	return bs, nil
}

func thresholdText(bs []bound) string {
	if len(bs) == 2 {
		return strings.TrimSpace(bs[0].written) + ".." + strings.TrimSpace(bs[1].written)
	}
	if bs[0].max {
		return "<= " + strings.TrimSpace(bs[0].written)
	}
	return ">= " + strings.TrimSpace(bs[0].written)
}

func statName(of string) string {
	if of == "" {
		return OfWorst
	}
	return of
}

// statistic picks the statistic of sorted xs, "worst" and "p90" read in the
// bound's direction: against a max the p90 is the value 90 % of samples
// are at or below; against a min, the value 90 % are at or above.
func statistic(xs []float64, of string, upper bool) float64 {
	switch of {
	case OfMedian:
		return rank(xs, 0.5)
	case OfP90:
		if upper {
			return rank(xs, 0.9)
		}
		return rank(xs, 0.1)
	}
	if upper {
		return xs[len(xs)-1]
	}
	return xs[0]
}

// rank is the nearest-rank quantile q of sorted xs.
func rank(xs []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

// checkEffects refuses to judge a record with a firing that did not take
// effect: its SLOs would measure a fault that never happened.
func checkEffects(evs []FaultEvent) error {
	var errs []error
	for _, e := range evs {
		if e.Effect != nil && e.Effect.Err != "" {
			errs = append(errs, fmt.Errorf("fault %d (%s on %s) did not take effect: %s", e.Fault, e.Kind, e.Node, e.Effect.Err))
		}
	}
	return errors.Join(errs...)
}
