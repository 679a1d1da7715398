package reports

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Threshold is how far one metric may move from the baseline before the
// move is a regression. Up says which direction is worse: latency and
// failover rise, IOPS falls. Either a relative Fraction (0.15 for 15 %) or
// an absolute Amount in the metric's unit.
type Threshold struct {
	Metric   string
	Up       bool
	Fraction float64
	Amount   float64
	Relative bool
	Written  string
}

// Thresholds are the regression rules of a comparison, by metric name.
// A name is a key metric ("latency.p99.baseline") or a metric
// ("latency.p99", applying to every window of it the comparison shows).
type Thresholds map[string]Threshold

// DefaultThresholds are what compare uses without --threshold.
func DefaultThresholds() Thresholds {
	th, err := ParseThresholds("iops=-10%,bw=-10%,latency.p99=+15%,latency.p99.9=+20%,failover_time=+20%," +
		"io_pause=+20%,recovery_time=+20%,io_errors=+0,lost_writes=+0,stale_reads=+0,corrupt_blocks=+0")
	if err != nil {
		panic(err) // a constant: covered by TestDefaultThresholds
	}
	return th
}

// ParseThresholds reads "iops=-10%,latency.p99=+15%,failover_time=+100ms":
// a sign (which direction is worse) and a percentage or an amount in the
// metric's unit.
func ParseThresholds(s string) (Thresholds, error) {
	th := Thresholds{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("threshold %q: want METRIC=+N%% or METRIC=-N%%", item)
		}
		t, err := parseThreshold(strings.TrimSpace(name), strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("threshold %q: %w", item, err)
		}
		th[t.Metric] = t
	}
	return th, nil
}

func parseThreshold(name, val string) (Threshold, error) {
	t := Threshold{Metric: name, Written: val}
	spec, ok := lookupKeyMetric(name)
	if !ok {
		return t, fmt.Errorf("unknown metric %q (known: %s)", name, strings.Join(MetricNames(), ", "))
	}
	switch {
	case strings.HasPrefix(val, "+"):
		t.Up = true
	case strings.HasPrefix(val, "-"):
	default:
		return t, fmt.Errorf("%q: start with + (a rise is worse) or - (a fall is worse)", val)
	}
	body := val[1:]
	if pct, ok := strings.CutSuffix(body, "%"); ok {
		f, err := strconv.ParseFloat(pct, 64)
		if err != nil || f < 0 {
			return t, fmt.Errorf("%q: want a percentage such as 15%%", val)
		}
		t.Fraction, t.Relative = f/100, true
		return t, nil
	}
	x, err := ParseThreshold(spec.Unit, body)
	if err != nil {
		return t, err
	}
	t.Amount = x
	return t, nil
}

// lookupKeyMetric resolves a threshold name: a metric, or a key metric
// name with a window suffix.
func lookupKeyMetric(name string) (MetricSpec, bool) {
	if s, ok := LookupMetric(name); ok {
		return s, true
	}
	for _, w := range Windows() {
		if base, ok := strings.CutSuffix(name, "."+string(w)); ok {
			return LookupMetric(base)
		}
	}
	return MetricSpec{}, false
}

// Delta is one metric of one run, baseline against current.
type Delta struct {
	Run     string `json:"run"`
	Metric  string `json:"metric"`
	Base    Value  `json:"base"`
	Current Value  `json:"current"`
	// Change is (current − base) / base; +Inf when base is 0 and current
	// is not, 0 when both are.
	Change Value `json:"change"`
	// Display reads "1.003s → 1.2s".
	Display    string `json:"display"`
	Threshold  string `json:"threshold,omitempty"`
	Regression bool   `json:"regression"`
}

// Comparison is a baseline run set against a current one.
type Comparison struct {
	Deltas []Delta `json:"deltas"`
	// Unmatched are runs present on one side only.
	Unmatched []string `json:"unmatched,omitempty"`
	Regressed bool     `json:"regressed"`
}

// Compare compares two runs of one scenario.
func Compare(base, cur *Result, th Thresholds) (Comparison, error) {
	return CompareRuns([]*Result{base}, []*Result{cur}, th)
}

// CompareRuns compares two run sets (a suite, the last release against
// this one), pairing runs by RunName. A run whose metrics are not stored
// has them computed with default options; a run that did not run cannot be
// compared and counts as a regression when it is the current one.
func CompareRuns(base, cur []*Result, th Thresholds) (Comparison, error) {
	var c Comparison
	byName := map[string]*Result{}
	for _, r := range base {
		byName[RunName(r)] = r
	}
	for _, r := range cur {
		name := RunName(r)
		b, ok := byName[name]
		if !ok {
			c.Unmatched = append(c.Unmatched, name+" (current only)")
			continue
		}
		delete(byName, name)
		if err := compareRun(&c, name, b, r, th); err != nil {
			return c, err
		}
	}
	for name := range byName {
		c.Unmatched = append(c.Unmatched, name+" (baseline only)")
	}
	sort.Strings(c.Unmatched)
	return c, nil
}

func compareRun(c *Comparison, name string, base, cur *Result, th Thresholds) error {
	if cur.RunError != "" {
		c.Deltas = append(c.Deltas, Delta{Run: name, Metric: "run", Display: "did not run: " + cur.RunError, Regression: true})
		c.Regressed = true
		return nil
	}
	if base.RunError != "" {
		c.Unmatched = append(c.Unmatched, name+" (baseline did not run)")
		return nil
	}
	bm, err := metricsOf(base)
	if err != nil {
		return fmt.Errorf("baseline %s: %w", name, err)
	}
	cm, err := metricsOf(cur)
	if err != nil {
		return fmt.Errorf("current %s: %w", name, err)
	}
	bk := map[string]KeyMetric{}
	for _, k := range KeyMetrics(bm) {
		bk[k.Name] = k
	}
	for _, k := range KeyMetrics(cm) {
		b, ok := bk[k.Name]
		if !ok {
			continue
		}
		d := delta(name, b, k, th)
		c.Regressed = c.Regressed || d.Regression
		c.Deltas = append(c.Deltas, d)
	}
	return nil
}

func metricsOf(r *Result) (*Metrics, error) {
	if r.Metrics != nil {
		return r.Metrics, nil
	}
	return Compute(r, Options{})
}

func delta(run string, b, k KeyMetric, th Thresholds) Delta {
	d := Delta{Run: run, Metric: k.Name, Base: b.Value, Current: k.Value}
	d.Change = relChange(float64(b.Value), float64(k.Value))
	d.Display = fmt.Sprintf("%s → %s", b.Display, k.Display)
	t, ok := th[k.Name]
	if !ok {
		t, ok = th[k.Metric]
	}
	if !ok {
		return d
	}
	d.Threshold = t.Written
	d.Regression = t.regressed(float64(b.Value), float64(k.Value))
	return d
}

func relChange(b, c float64) Value {
	switch {
	case b == c:
		return 0
	case b == 0 || math.IsInf(b, 1):
		return Value(math.Copysign(math.Inf(1), c-b))
	}
	return Value((c - b) / b)
}

// regressed says whether moving from b to c breaks the threshold.
func (t Threshold) regressed(b, c float64) bool {
	move := c - b
	if !t.Up {
		move = b - c
	}
	if math.IsInf(b, 1) || math.IsInf(c, 1) {
		return move > 0 // NaN (unbounded on both sides) is no move
	}
	if t.Relative {
		if b == 0 {
			return move > 0
		}
		return move > t.Fraction*math.Abs(b)
	}
	return move > t.Amount
}

func formatChange(v Value) string {
	f := float64(v)
	if math.IsInf(f, 0) {
		return fmt.Sprintf("%+.0f%%", f) // "+Inf%": from 0, or from unbounded
	}
	return fmt.Sprintf("%+.1f%%", f*100)
}
