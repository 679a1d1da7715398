package scenarios

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

func (v *validator) timeline(s *Scenario) {
	t := &s.Timeline
	if t.Duration <= 0 {
		v.errorf("timeline.duration", "required and positive (the measured run after warmup)")
	} else if t.Duration.D()+t.Warmup.D() > maxDuration {
		v.errorf("timeline.duration", "warmup + duration exceed %s", maxDuration)
	}
	v.faults = make([]catalog.Config, len(t.Faults))
	for i, f := range t.Faults {
		v.faults[i] = v.fault(s, fmt.Sprintf("timeline.faults[%d]", i), f)
	}
}

// fault checks one timeline fault and returns its kind with its params
// parsed, for the run's builders; the zero Config when its kind or params
// are bad.
func (v *validator) fault(s *Scenario, field string, f FaultEvent) catalog.Config {
	spec, err := catalog.ParseKind(f.Kind)
	if err != nil {
		v.errorf(field+".kind", "%v", err)
		return catalog.Config{}
	}
	kind := spec.Kind
	if s.Cluster.Backend != backendKubernetes {
		switch {
		case !spec.Local():
			v.errorf(field+".kind", "%s runs on kubernetes only (cluster.backend: kubernetes)", kind)
		case f.Engine != "":
			v.errorf(field+".engine", "%q: engines are chosen on kubernetes only; remove engine", f.Engine)
		}
	}
	switch {
	case s.Cluster.storageClassOnly():
		// no nodes: validate_kube says what applies
	case f.Node == "":
		v.errorf(field+".node", "required: which node %s hits", kind)
	case !slices.Contains(s.Cluster.Nodes, f.Node):
		v.errorf(field+".node", "node %q is not in cluster.nodes %v", f.Node, s.Cluster.Nodes)
	}
	switch {
	case f.Volume == "":
	case !spec.PerVolume():
		v.errorf(field+".volume", "%s acts on the whole node, not on one volume; remove volume or use a per-volume kind (%s)",
			kind, strings.Join(perVolumeKinds(), ", "))
	case !slices.ContainsFunc(s.Volumes, func(vol Volume) bool { return vol.Name == f.Volume }):
		v.errorf(field+".volume", "volume %q is not defined in volumes", f.Volume)
	}
	if spec.NeedsDuration && f.Duration <= 0 {
		v.errorf(field+".duration", "%s needs a duration: how long the fault lasts", kind)
	}
	cfg, err := spec.Parse(f.Params)
	for _, pe := range catalog.ParamErrors(err) {
		v.errorf(field+".params."+pe.Name, "%s", pe.Msg)
	}
	if f.Jitter < 0 {
		v.errorf(field+".jitter", "%s: want 0 or more", f.Jitter)
	}
	if r := f.Repeat; r != nil {
		if r.Count < 1 || r.Count > 10000 {
			v.errorf(field+".repeat.count", "%d: want 1..10000", r.Count)
		}
		if r.Every <= f.Duration+max(f.Jitter, 0) {
			plus := ""
			if f.Jitter > 0 {
				plus = " plus its jitter " + f.Jitter.String()
			}
			v.errorf(field+".repeat.every", "%s must be longer than the fault's duration %s%s", r.Every, f.Duration, plus)
		}
	}
	if end := faultEnd(f); s.Timeline.Duration > 0 && end > s.Timeline.Duration.D() {
		v.errorf(field+".at", "the fault can end at %s, past the end of the timeline (duration %s)", end, s.Timeline.Duration)
	}
	return cfg
}

// perVolumeKinds lists the kinds a fault's volume can narrow.
func perVolumeKinds() []string {
	var out []string
	for _, k := range catalog.Kinds() {
		if spec, _ := catalog.Lookup(k); spec.PerVolume() {
			out = append(out, string(k))
		}
	}
	return out
}

func (v *validator) slos(s *Scenario) {
	for i, slo := range s.SLOs {
		v.slo(s, fmt.Sprintf("slos[%d]", i), slo)
	}
}

func (v *validator) slo(s *Scenario, f string, slo SLO) {
	spec, ok := reports.LookupMetric(slo.Metric)
	if !ok {
		msg := fmt.Sprintf("unknown metric %q", slo.Metric)
		if sug := suggest(slo.Metric, reports.MetricNames()); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		v.errorf(f+".metric", "%s; known: %s", msg, strings.Join(reports.MetricNames(), ", "))
		return
	}
	if slo.Window != "" {
		if spec.PerFault {
			v.errorf(f+".window", "%s is measured per fault and takes no window", slo.Metric)
		} else if spec.Unit == reports.UnitCount {
			// Integrity is checked by the final read-back and errors are
			// judged over the run: a window here would be silently ignored.
			v.errorf(f+".window", "%s is counted over the whole run and takes no window", slo.Metric)
		} else if _, err := reports.ParseWindow(slo.Window); err != nil {
			v.errorf(f+".window", "%v", err)
		}
	}
	if spec.PerFault && len(s.Timeline.Faults) == 0 {
		v.errorf(f+".metric", "%s is measured per fault, and the timeline has no faults", slo.Metric)
	}
	if slo.Max == "" && slo.Min == "" {
		v.errorf(f, "needs max or min")
	}
	unit := spec.Unit
	if slo.Vs != "" {
		unit = reports.UnitRatio
	}
	for _, b := range []struct{ name, val string }{{"max", slo.Max}, {"min", slo.Min}} {
		if b.val == "" {
			continue
		}
		if _, err := reports.ParseThreshold(unit, b.val); err != nil {
			v.errorf(f+"."+b.name, "%v", err)
		}
	}
	v.oneOf(f+".of", slo.Of, validStatistics)
	v.sloScope(s, f, slo, spec)
}

// sloScope checks what narrows an SLO to a workload, an overlap window or
// a ratio to baseline.
func (v *validator) sloScope(s *Scenario, f string, slo SLO, spec reports.MetricSpec) {
	if slo.Workload != "" && !slices.ContainsFunc(s.Workloads, func(w Workload) bool { return w.Name == slo.Workload }) {
		v.errorf(f+".workload", "workload %q is not defined in workloads", slo.Workload)
	}
	if reports.Window(slo.Window) == reports.WindowOverlap && !slices.ContainsFunc(s.Workloads, func(w Workload) bool {
		return w.Name != slo.Workload && w.partial(s.Timeline)
	}) {
		v.errorf(f+".window", "no other workload runs for part of the timeline (startdelay or runtime), so there is no overlap")
	}
	if slo.Vs == "" {
		return
	}
	if !v.oneOf(f+".vs", slo.Vs, []string{reports.VsBaseline}) {
		return
	}
	switch w := reports.Window(slo.Window); {
	case spec.PerFault || spec.Unit == reports.UnitCount:
		v.errorf(f+".vs", "%s has no window to compare with baseline; vs baseline takes iops, bw or latency.*", slo.Metric)
	case w == "" || w == reports.WindowBaseline:
		v.errorf(f+".window", "vs baseline compares another window with the baseline: set window to overlap, fault, recovery or all")
	}
}

func (v *validator) suite(s *Suite, dir string) {
	if s.APIVersion != APIVersion {
		v.errorf("apiVersion", "%q: want %q", s.APIVersion, APIVersion)
	}
	if s.Kind != KindSuite {
		v.errorf("kind", "%q: want %q", s.Kind, KindSuite)
	}
	v.name("metadata.name", s.Metadata.Name, 0)
	if len(s.Scenarios) == 0 {
		v.errorf("scenarios", "at least one scenario is required")
	}
	for i, e := range s.Scenarios {
		f := fmt.Sprintf("scenarios[%d]", i)
		ref := e.Scenario
		if _, ok := builtinData(ref); !ok && !filepath.IsAbs(ref) {
			ref = filepath.Join(dir, ref)
		}
		if _, err := Load(ref); err != nil {
			v.errorf(f+".scenario", "%v", err)
		}
		if e.Host != nil {
			v.host(e.Host, f+".host")
		}
	}
}
