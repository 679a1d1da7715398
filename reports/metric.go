package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Unit says how a metric's value reads and how an SLO threshold on it is
// written.
type Unit uint8

const (
	// UnitDuration values are nanoseconds; thresholds are Go durations ("2s").
	UnitDuration Unit = iota
	// UnitCount values are whole numbers of events ("0").
	UnitCount
	// UnitIOPS values are I/Os per second ("20000", "20k").
	UnitIOPS
	// UnitBytesPerSecond values are bytes per second ("100MiB/s", "1g").
	UnitBytesPerSecond
	// UnitRatio values are a metric divided by its baseline ("2", "1.5x").
	UnitRatio
)

// Window names a stretch of the run a metric is computed over (docs/ARCHITECTURE.md, metric definitions).
type Window string

// The windows of a run; warmup is recorded but never judged.
const (
	WindowBaseline Window = "baseline"
	WindowFault    Window = "fault"
	WindowRecovery Window = "recovery"
	WindowAll      Window = "all"
	// WindowOverlap is, for each workload, the time another workload
	// that runs for part of the timeline ran beside it.
	WindowOverlap Window = "overlap"
)

// Windows lists the windows an SLO may name.
func Windows() []Window {
	return []Window{WindowBaseline, WindowFault, WindowRecovery, WindowOverlap, WindowAll}
}

// MetricSpec is one metric an SLO may gate on.
type MetricSpec struct {
	Name string
	Unit Unit
	// PerFault metrics are computed for each fault (the SLO judges the worst);
	// they take no window.
	PerFault bool
	Help     string
}

var metricSpecs = func() map[string]MetricSpec {
	m := map[string]MetricSpec{
		"failover_time":  {Unit: UnitDuration, PerFault: true, Help: "fault inject to first completion after the longest I/O gap"},
		"io_pause":       {Unit: UnitDuration, PerFault: true, Help: "the longest completion gap around a fault"},
		"recovery_time":  {Unit: UnitDuration, PerFault: true, Help: "inject to 3 s steady at >= 90% of baseline IOPS"},
		"io_errors":      {Unit: UnitCount, Help: "I/Os failed to the workload after retries and failover"},
		"lost_writes":    {Unit: UnitCount, Help: "acknowledged writes not read back"},
		"stale_reads":    {Unit: UnitCount, Help: "reads that returned a superseded write"},
		"corrupt_blocks": {Unit: UnitCount, Help: "blocks with a bad checksum or wrong LBA"},
		"iops":           {Unit: UnitIOPS, Help: "completions per second"},
		"bw":             {Unit: UnitBytesPerSecond, Help: "bytes per second"},
	}
	for _, q := range LatencyQuantiles() {
		m["latency."+q] = MetricSpec{Unit: UnitDuration, Help: "submit to completion latency, " + q}
	}
	for name, s := range m {
		s.Name = name
		m[name] = s
	}
	return m
}()

// LatencyQuantiles are the latency statistics a metric name may end in.
func LatencyQuantiles() []string {
	return []string{"p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"}
}

// LookupMetric returns the spec of a metric name such as "latency.p99".
func LookupMetric(name string) (MetricSpec, bool) {
	s, ok := metricSpecs[name]
	return s, ok
}

// MetricNames lists every metric an SLO may name, sorted.
func MetricNames() []string {
	out := make([]string, 0, len(metricSpecs))
	for n := range metricSpecs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ParseWindow checks a window name.
func ParseWindow(s string) (Window, error) {
	for _, w := range Windows() {
		if string(w) == s {
			return w, nil
		}
	}
	names := make([]string, 0, 4)
	for _, w := range Windows() {
		names = append(names, string(w))
	}
	return "", fmt.Errorf("unknown window %q (known: %s)", s, strings.Join(names, ", "))
}

// ParseThreshold reads an SLO bound written in the metric's unit and returns
// it in the unit values are stored in (ns, count, IOPS, bytes/s).
func ParseThreshold(u Unit, s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch u {
	case UnitDuration:
		d, err := time.ParseDuration(t)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q: want a duration such as 500ms or 2s", s)
		}
		return float64(d), nil
	case UnitCount:
		n, err := strconv.ParseUint(t, 10, 63)
		if err != nil {
			return 0, fmt.Errorf("%q: want a whole number", s)
		}
		return float64(n), nil
	case UnitIOPS:
		return parseScaled(s, strings.ToLower(t), map[string]float64{"": 1, "k": 1e3, "m": 1e6})
	case UnitRatio:
		return parseScaled(s, strings.ToLower(t), map[string]float64{"": 1, "x": 1})
	default:
		t = strings.TrimSuffix(strings.ToLower(t), "/s")
		t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
		return parseScaled(s, t, map[string]float64{"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30})
	}
}

// parseScaled reads a non-negative number with an optional suffix from mult.
func parseScaled(orig, t string, mult map[string]float64) (float64, error) {
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	m, ok := mult[t[i:]]
	if err != nil || !ok || n < 0 {
		keys := make([]string, 0, len(mult))
		for k := range mult {
			if k != "" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		return 0, fmt.Errorf("%q: want a number with an optional suffix %s", orig, strings.Join(keys, ", "))
	}
	return n * m, nil
}
