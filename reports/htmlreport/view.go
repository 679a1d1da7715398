package htmlreport

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// verdictView is the banner at the top of a report.
type verdictView struct {
	Class  string // pass, fail or error: the banner colour
	Text   string
	Detail string
}

func verdictOf(r *reports.Result) verdictView {
	switch {
	case r.RunError != "":
		return verdictView{Class: "error", Text: "Could not run", Detail: r.RunError}
	case r.Evaluation == nil:
		return verdictView{Class: "error", Text: "Not evaluated", Detail: "results.json carries no SLO evaluation"}
	case r.Evaluation.Pass:
		return verdictView{Class: "pass", Text: "Pass",
			Detail: fmt.Sprintf("all %d SLOs passed", len(r.Evaluation.Verdicts))}
	}
	var failed []string
	for _, v := range r.Evaluation.Verdicts {
		if !v.Pass {
			failed = append(failed, v.Name())
		}
	}
	return verdictView{Class: "fail", Text: "SLO failed",
		Detail: fmt.Sprintf("%d of %d SLOs failed: %s", len(failed), len(r.Evaluation.Verdicts), strings.Join(failed, "; "))}
}

// statusText is the one-word verdict of a run, as summary.md spells it.
func statusText(r *reports.Result) string {
	switch verdictOf(r).Class {
	case "pass":
		return "pass"
	case "fail":
		return "FAIL"
	}
	return "ERROR"
}

// sloRow is one SLO verdict.
type sloRow struct {
	Metric, Window, Of, Measured, Threshold, Detail, Samples string
	Pass                                                     bool
}

func sloRows(r *reports.Result) []sloRow {
	if r.Evaluation == nil {
		return nil
	}
	var out []sloRow
	for _, v := range r.Evaluation.Verdicts {
		row := sloRow{Metric: v.SLO.Metric, Window: v.SLO.Window, Of: v.SLO.Of, Measured: v.Display,
			Threshold: v.Threshold, Detail: v.Detail, Pass: v.Pass}
		if v.SLO.Workload != "" {
			row.Metric += " of " + v.SLO.Workload
		}
		if v.SLO.Vs != "" {
			row.Metric += " vs " + v.SLO.Vs
		}
		if spec, ok := reports.LookupMetric(v.SLO.Metric); ok {
			if v.SLO.Vs != "" {
				spec.Unit = reports.UnitRatio
			}
			if row.Window == "" && spec.PerFault {
				row.Window = "per fault"
			}
			if s := v.Samples; s != nil {
				row.Samples = fmt.Sprintf("n=%d, min %s, median %s, max %s", s.N, reports.FormatValue(spec.Unit, s.Min),
					reports.FormatValue(spec.Unit, s.Median), reports.FormatValue(spec.Unit, s.Max))
			}
		}
		if row.Window == "" {
			row.Window = "run"
		}
		if row.Of == "" {
			row.Of = reports.OfWorst
		}
		out = append(out, row)
	}
	return out
}

// kv is one labelled value of a definition table.
type kv struct{ Key, Value string }

func environmentRows(r *reports.Result) []kv {
	e := r.Environment
	out := []kv{
		{"target", joinNonEmpty(" ", e.Target.Kind, e.Target.Version)},
		{"backend", joinNonEmpty(", ", e.Target.Backend, nodesMode(e.Target.Nodes))},
		{"host settings", hostSettings(e.Host)},
		{"machine", joinNonEmpty(", ", e.Machine.OS+"/"+e.Machine.Arch, e.Machine.Kernel,
			plural(e.Machine.CPUs, "CPU"), e.Machine.CPUModel)},
		{"nvmf-chaos", revision(e.Machine)},
		{"seed", strconv.FormatInt(r.Scenario.Seed, 10)},
		{"started", r.StartedAt.UTC().Format(time.RFC3339)},
		{"recorded", dur(r.EndNs)},
	}
	if len(r.Scenario.Params) > 0 {
		out = append(out, kv{"swept parameters", params(r.Scenario.Params)})
	}
	return out
}

func hostSettings(h reports.HostSettings) string {
	var parts []string
	add := func(name string, ns int64) {
		if ns != 0 {
			parts = append(parts, name+"="+dur(ns))
		}
	}
	add("kato", h.KATONs)
	add("reconnect_delay", h.ReconnectDelayNs)
	add("ctrl_loss_tmo", h.CtrlLossTmoNs)
	add("fast_io_fail_tmo", h.FastIOFailTmoNs)
	add("io_timeout", h.IOTimeoutNs)
	if h.Policy != "" {
		parts = append(parts, "policy="+h.Policy)
	}
	if h.NrIOQueues != 0 {
		parts = append(parts, fmt.Sprintf("nr_io_queues=%d", h.NrIOQueues))
	}
	if h.QueueSize != 0 {
		parts = append(parts, fmt.Sprintf("queue_size=%d", h.QueueSize))
	}
	if h.HeaderDigest || h.DataDigest {
		parts = append(parts, fmt.Sprintf("hdgst=%t ddgst=%t", h.HeaderDigest, h.DataDigest))
	}
	return strings.Join(parts, " ")
}

func revision(m reports.Machine) string {
	rev := m.Revision
	if rev == "" {
		rev = "unknown revision"
	}
	if m.Modified {
		rev += " (modified)"
	}
	return joinNonEmpty(", ", rev, m.RevisionTime, m.GoVersion)
}

func params(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + p[k]
	}
	return strings.Join(keys, ", ")
}

// faultRow is one fault instance's availability metrics.
type faultRow struct {
	ID                                       int
	Kind, Node, Inject, Recover              string
	Failover, Pause, Recovery, Errors, MaxLt string
	Workload, Err                            string
	Bad                                      bool // unbounded: I/O never resumed or never recovered
}

func faultRows(m *reports.Metrics) []faultRow {
	if m == nil {
		return nil
	}
	var out []faultRow
	for _, f := range m.Overall.Faults {
		row := faultRow{ID: f.Fault, Kind: f.Kind, Node: f.Node, Inject: at(f.InjectNs), Recover: at(f.RecoverNs),
			Failover: dur(f.FailoverTimeNs), Pause: dur(f.IOPauseNs), Recovery: dur(f.RecoveryTimeNs),
			Workload: f.Workload, Err: f.Err, Errors: "–", MaxLt: "–"}
		if !f.IOResumed {
			row.Failover, row.Pause, row.Bad = "unbounded (≥ "+row.Failover+")", "unbounded (≥ "+row.Pause+")", true
		}
		if !f.Recovered {
			row.Recovery, row.Bad = "unbounded (≥ "+row.Recovery+")", true
		}
		for _, w := range m.Overall.Windows {
			if w.Window == reports.WindowFault && w.Fault == f.Fault {
				row.Errors = strconv.FormatInt(w.Errors, 10)
				row.MaxLt = dur(w.Latency.MaxNs)
			}
		}
		out = append(out, row)
	}
	return out
}

// verifyRow is what reading back one workload's data found.
type verifyRow struct {
	Workload, Blocks, Lost, Stale, Corrupt, FirstBad string
	Verified, Bad                                    bool
}

func verifyRows(r *reports.Result) []verifyRow {
	var out []verifyRow
	for i := range r.Workloads {
		w := &r.Workloads[i]
		row := verifyRow{Workload: w.Name}
		if v := w.Verify; v != nil {
			row.Verified = true
			row.Blocks = strconv.FormatInt(v.Blocks, 10)
			row.Lost, row.Stale, row.Corrupt = strconv.FormatInt(v.LostWrites, 10),
				strconv.FormatInt(v.StaleReads, 10), strconv.FormatInt(v.CorruptBlocks, 10)
			row.Bad = v.LostWrites+v.StaleReads+v.CorruptBlocks > 0
			var bad []string
			for _, b := range v.FirstBad {
				bad = append(bad, fmt.Sprintf("LBA %d %s", b.LBA, b.Kind))
			}
			row.FirstBad = strings.Join(bad, ", ")
		}
		out = append(out, row)
	}
	return out
}

// keyRows are the run's headline metrics, as reports.KeyMetrics names them.
func keyRows(m *reports.Metrics) []kv {
	if m == nil {
		return nil
	}
	var out []kv
	for _, k := range reports.KeyMetrics(m) {
		out = append(out, kv{k.Name, k.Display})
	}
	return out
}

func dur(ns int64) string {
	return reports.FormatValue(reports.UnitDuration, reports.Value(ns))
}

// at is a time on the run clock, to the millisecond.
func at(ns int64) string {
	return "t+" + time.Duration(ns).Round(time.Millisecond).String()
}

func plural(n int, what string) string {
	if n == 0 {
		return ""
	}
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" && p != "/" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// nodesMode says how local nodes ran, which decides what faults meant.
func nodesMode(m string) string {
	switch m {
	case "netns":
		return "nodes in network namespaces"
	case "loopback":
		return "nodes on loopback (no network faults)"
	}
	return m
}
