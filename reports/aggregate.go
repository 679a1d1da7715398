package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Aggregate judges the repeated runs of one scenario, or of one sweep
// cell: each headline metric's distribution over the runs, and the SLOs
// on every run's samples pooled, each SLO's Of picking the statistic
// (worst by default). It is what repeat.json, sweep.json and a suite's
// summary hold per scenario.
type Aggregate struct {
	Name   string            `json:"name"`
	Params map[string]string `json:"params,omitempty"`
	Seeds  []int64           `json:"seeds"`
	Runs   int               `json:"runs"`
	// Errors name the runs that could not run or be judged; any makes the
	// aggregate an error, never a pass.
	Errors []string `json:"errors,omitempty"`
	// Metrics are the headline metrics (KeyMetrics) over the runs that
	// ran, in KeyMetrics order.
	Metrics    []Spread    `json:"metrics"`
	Evaluation *Evaluation `json:"evaluation,omitempty"`

	started time.Time
	elapsed time.Duration
}

// Spread is one headline metric over repeated runs: its distribution and
// the worst value (the lowest for IOPS and bandwidth, else the highest).
type Spread struct {
	Name string `json:"name"`
	Distribution
	Worst   Value         `json:"worst"`
	Display SpreadDisplay `json:"display"`
}

// SpreadDisplay is a Spread for humans, in the metric's unit.
type SpreadDisplay struct {
	Min, Median, P90, Max, Worst string
}

// AggregateRuns judges runs of one scenario against slos. Runs that did
// not run are listed in Errors and left out of the statistics.
func AggregateRuns(runs []*Result, slos []SLO) *Aggregate {
	a := &Aggregate{Runs: len(runs), Seeds: []int64{}, Metrics: []Spread{}}
	var ms []*Metrics
	for i, r := range runs {
		if i == 0 {
			a.Name, a.Params, a.started = r.Scenario.Name, r.Scenario.Params, r.StartedAt
		}
		a.Seeds = append(a.Seeds, r.Scenario.Seed)
		a.elapsed += time.Duration(r.EndNs)
		switch {
		case r.RunError != "":
			a.Errors = append(a.Errors, fmt.Sprintf("run %d (seed %d): %s", i+1, r.Scenario.Seed, r.RunError))
		case r.Metrics == nil:
			a.Errors = append(a.Errors, fmt.Sprintf("run %d (seed %d): no metrics", i+1, r.Scenario.Seed))
		default:
			ms = append(ms, r.Metrics)
		}
	}
	if len(runs) == 0 {
		a.Errors = append(a.Errors, "no run")
	}
	a.Metrics = spreads(ms)
	if len(ms) > 0 {
		ev, err := EvaluateMetrics(slos, ms...)
		if err != nil {
			a.Errors = append(a.Errors, err.Error())
		} else {
			a.Evaluation = &ev
		}
	}
	return a
}

// spreads gathers each key metric's per-run value (worst fault of that
// run) into a distribution.
func spreads(ms []*Metrics) []Spread {
	var order []string
	vals := map[string][]float64{}
	units := map[string]Unit{}
	for _, m := range ms {
		for _, k := range KeyMetrics(m) {
			if _, ok := vals[k.Name]; !ok {
				order = append(order, k.Name)
				spec, _ := LookupMetric(k.Metric)
				units[k.Name] = spec.Unit
			}
			vals[k.Name] = append(vals[k.Name], float64(k.Value))
		}
	}
	out := make([]Spread, 0, len(order))
	for _, name := range order {
		xs := vals[name]
		sort.Float64s(xs)
		s := Spread{Name: name, Distribution: Distribution{N: len(xs), Min: Value(xs[0]),
			Median: Value(rank(xs, 0.5)), P90: Value(rank(xs, 0.9)), Max: Value(xs[len(xs)-1])}}
		s.Worst = s.Max
		if lowerIsWorse(name) {
			s.Worst = s.Min
		}
		u := units[name]
		s.Display = SpreadDisplay{Min: FormatValue(u, s.Min), Median: FormatValue(u, s.Median),
			P90: FormatValue(u, s.P90), Max: FormatValue(u, s.Max), Worst: FormatValue(u, s.Worst)}
		out = append(out, s)
	}
	return out
}

// lowerIsWorse says a key metric is a rate: less throughput is worse.
func lowerIsWorse(name string) bool {
	return strings.HasPrefix(name, "iops") || strings.HasPrefix(name, "bw")
}

// Status is pass, FAIL (an SLO failed) or ERROR (a run did not run or
// could not be judged).
func (a *Aggregate) Status() string {
	switch {
	case len(a.Errors) > 0 || a.Evaluation == nil:
		return "ERROR"
	case a.Evaluation.Pass:
		return "pass"
	}
	return "FAIL"
}

// Spread returns the named key metric's spread ("failover_time",
// "iops.baseline").
func (a *Aggregate) Spread(name string) (Spread, bool) {
	for _, s := range a.Metrics {
		if s.Name == name {
			return s, true
		}
	}
	return Spread{}, false
}

// Result is the aggregate as one Result, for the writers that take runs
// (WriteJUnit): the aggregate verdicts, no record. A run error makes it
// an error.
func (a *Aggregate) Result() *Result {
	r := &Result{SchemaVersion: SchemaVersion, StartedAt: a.started, EndNs: int64(a.elapsed),
		Scenario: ScenarioInfo{Name: a.Name, Params: a.Params}, Evaluation: a.Evaluation}
	if len(a.Seeds) > 0 {
		r.Scenario.Seed = a.Seeds[0]
	}
	if len(a.Errors) > 0 {
		r.RunError = strings.Join(a.Errors, "; ")
	}
	return r
}
