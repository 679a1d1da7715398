package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
)

// maxSweepCells bounds a sweep's Cartesian product: every cell is a full
// run (times repeat), so past this a sweep is more likely a typo than a
// plan, and would take hours.
const maxSweepCells = 64

// sweepHostParams are the host fields a sweep may vary.
var sweepHostParams = []string{"kato", "reconnect_delay", "ctrl_loss_tmo", "fast_io_fail_tmo", "io_timeout", "policy", "nr_io_queues", "queue_size"}

// Cell is one combination of a sweep: the scenario with the combination's
// values applied.
type Cell struct {
	// Params maps each swept param to its value in this cell; reports
	// record it as Result.Scenario.Params.
	Params map[string]string
	// Scenario is a deep copy of the swept scenario with Params applied
	// and its sweep removed.
	Scenario *Scenario
}

// Expand returns every combination of s's sweep axes, the first axis
// varying slowest, each validated. A scenario without a sweep is one cell
// with no params. source names s in errors; a combination that breaks a
// rule (a fault that no longer fits, reconnect_delay past ctrl_loss_tmo)
// is reported with its params.
func Expand(s *Scenario, source string) ([]Cell, error) {
	total := 1
	for _, ax := range s.Sweep {
		total *= max(len(ax.Values), 1)
		if total > maxSweepCells {
			return nil, &FieldError{File: source, Field: "sweep", Msg: fmt.Sprintf("more than %d combinations", maxSweepCells)}
		}
	}
	axes := make([]string, len(s.Sweep))
	for i, ax := range s.Sweep {
		axes[i] = ax.Param
	}
	cells := make([]Cell, 0, total)
	for i := range total {
		c, err := cell(s, i)
		if err != nil {
			return nil, fmt.Errorf("%s: sweep cell %s: %w", source, formatParams(axes, c.Params), err)
		}
		if err := Validate(c.Scenario, source); err != nil {
			return nil, fmt.Errorf("sweep cell %s: %w", formatParams(axes, c.Params), err)
		}
		cells = append(cells, c)
	}
	return cells, nil
}

// cell builds combination i, reading i as a mixed-radix number whose last
// digit is the last axis.
func cell(s *Scenario, i int) (Cell, error) {
	c := Cell{Params: map[string]string{}}
	cp, err := Clone(s)
	if err != nil {
		return c, err
	}
	cp.Sweep = nil
	for a := len(s.Sweep) - 1; a >= 0; a-- {
		ax := s.Sweep[a]
		val := ax.Values[i%len(ax.Values)]
		i /= len(ax.Values)
		c.Params[ax.Param] = val
		if err := ApplySweep(cp, ax.Param, val, false); err != nil {
			return c, err
		}
	}
	c.Scenario = cp
	return c, nil
}

// formatParams writes a cell's params in axis order: "host.kato=1s,policy=...".
func formatParams(axes []string, p map[string]string) string {
	parts := make([]string, 0, len(axes))
	for _, ax := range axes {
		if v, ok := p[ax]; ok {
			parts = append(parts, ax+"="+v)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Clone deep-copies a scenario through YAML, its own format, so every
// field (maps, pointers, inline fio options) is copied without a
// hand-written list that a new field could silently miss.
func Clone(s *Scenario) (*Scenario, error) {
	data, err := yaml.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("copy scenario %s: %w", s.Metadata.Name, err)
	}
	var cp Scenario
	if err := yaml.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("copy scenario %s: %w", s.Metadata.Name, err)
	}
	return &cp, nil
}

func (v *validator) sweep(s *Scenario) {
	cells := 1
	seen := map[string]bool{}
	for i, ax := range s.Sweep {
		f := fmt.Sprintf("sweep[%d]", i)
		if seen[ax.Param] {
			v.errorf(f+".param", "%q is swept twice; give all its values in one axis", ax.Param)
		}
		seen[ax.Param] = true
		if len(ax.Values) == 0 {
			v.errorf(f+".values", "at least one value is required")
		}
		cells *= max(len(ax.Values), 1)
		if err := checkSweepParam(s, ax.Param); err != nil {
			v.errorf(f+".param", "%v", err)
			continue
		}
		for j, val := range ax.Values {
			if err := ApplySweep(s, ax.Param, val, true); err != nil {
				v.errorf(fmt.Sprintf("%s.values[%d]", f, j), "%v", err)
			}
		}
	}
	if cells > maxSweepCells {
		v.errorf("sweep", "%d combinations: at most %d per scenario (each is a full run); drop values or split the sweep", cells, maxSweepCells)
	}
}

// ApplySweep sets one swept parameter on s: a host field ("host.kato") or
// a fault field ("faults[0].duration", "faults[0].at",
// "faults[0].params.percent"). With dryRun it only checks that param
// names a sweepable field and value parses for it.
func ApplySweep(s *Scenario, param, value string, dryRun bool) error {
	if err := checkSweepParam(s, param); err != nil {
		return err
	}
	if name, ok := strings.CutPrefix(param, "host."); ok {
		h := s.Host
		if err := setHostField(&h, name, value); err != nil {
			return fmt.Errorf("param %s: %w", param, err)
		}
		if !dryRun {
			s.Host = h
		}
		return nil
	}
	idx, field, _ := parseFaultParam(param)
	f := &s.Timeline.Faults[idx]
	if name, ok := strings.CutPrefix(field, "params."); ok {
		if spec, ok := catalog.Lookup(faults.Kind(f.Kind)); ok {
			if err := spec.CheckParam(name, value); err != nil {
				return fmt.Errorf("param %s: %w", param, err)
			}
		}
		if !dryRun {
			p := make(map[string]string, len(f.Params)+1)
			for k, v := range f.Params {
				p[k] = v
			}
			p[name] = value
			f.Params = p
		}
		return nil
	}
	d, err := ParseDuration(value)
	if err != nil {
		return fmt.Errorf("param %s: %w", param, err)
	}
	if !dryRun && field == "at" {
		f.At = Duration(d)
	} else if !dryRun {
		f.Duration = Duration(d)
	}
	return nil
}

// checkSweepParam checks that param names a field a sweep may vary.
func checkSweepParam(s *Scenario, param string) error {
	if name, ok := strings.CutPrefix(param, "host."); ok {
		if !slices.Contains(sweepHostParams, name) {
			return fmt.Errorf("param %q: host field not sweepable (allowed: host.%s)", param, strings.Join(sweepHostParams, ", host."))
		}
		return nil
	}
	idx, field, ok := parseFaultParam(param)
	if !ok || idx >= len(s.Timeline.Faults) {
		return fmt.Errorf("param %q: want host.FIELD or faults[N].duration|at|params.NAME with N < %d", param, len(s.Timeline.Faults))
	}
	if name, ok := strings.CutPrefix(field, "params."); ok {
		kind := faults.Kind(s.Timeline.Faults[idx].Kind)
		if spec, ok := catalog.Lookup(kind); ok && !slices.Contains(spec.ParamNames(), name) {
			return fmt.Errorf("param %q: %s takes no parameter %q (allowed: %s)", param, kind, name, strings.Join(spec.ParamNames(), ", "))
		}
		return nil
	}
	if field != "duration" && field != "at" {
		return fmt.Errorf("param %q: a fault field may be duration, at or params.NAME", param)
	}
	return nil
}

func parseFaultParam(p string) (int, string, bool) {
	rest, ok := strings.CutPrefix(p, "faults[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, "].")
	if !ok {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	return n, rest, err == nil && n >= 0
}

func setHostField(h *Host, name, value string) error {
	switch name {
	case "policy":
		if !slices.Contains(validPolicies, value) {
			return fmt.Errorf("policy %q: want one of %s", value, strings.Join(validPolicies, ", "))
		}
		h.Policy = value
		return nil
	case "nr_io_queues", "queue_size":
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%s %q: want a whole number", name, value)
		}
		if name == "queue_size" {
			h.QueueSize = n
		} else {
			h.NrIOQueues = n
		}
		return nil
	}
	d, err := ParseDuration(value)
	if err != nil {
		return err
	}
	fields := map[string]*Duration{"kato": &h.KATO, "reconnect_delay": &h.ReconnectDelay,
		"ctrl_loss_tmo": &h.CtrlLossTmo, "fast_io_fail_tmo": &h.FastIOFailTmo, "io_timeout": &h.IOTimeout}
	*fields[name] = Duration(d)
	return nil
}
