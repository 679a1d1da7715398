package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// spanScenario has a workload on part of the timeline and an SLO on the
// other's latency relative to its baseline.
const spanScenario = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t2}
cluster: {nodes: [tgt-a]}
volumes:
  - {name: vol0, size: 64MiB, nodes: [tgt-a]}
workloads:
  - {name: oltp, volume: vol0, rw: randrw, bs: 8k, iodepth: 8}
  - {name: backup, volume: vol0, rw: read, bs: 1m, iodepth: 32, startdelay: 5s, runtime: 5s}
timeline: {warmup: 1s, duration: 20s}
slos:
  - {metric: io_errors, max: 0}
  - {metric: latency.p99, workload: oltp, window: overlap, vs: baseline, max: 2}
`

func TestSpanScenarioValid(t *testing.T) {
	s, err := ParseScenario("t.yaml", []byte(spanScenario))
	if err != nil {
		t.Fatal(err)
	}
	b := s.Workloads[1]
	if b.StartDelay.D() != 5*time.Second || b.Runtime.D() != 5*time.Second || !b.partial(s.Timeline) {
		t.Errorf("backup %+v: want startdelay 5s, runtime 5s, partial", b)
	}
	if _, ok := b.Options["startdelay"]; ok {
		t.Error("startdelay went to the fio options, not the workload's field")
	}
	if s.Workloads[0].partial(s.Timeline) {
		t.Error("oltp runs the whole timeline, yet reads as partial")
	}
}

// TestSpanValidationErrors: each mistake in a workload's part of the
// timeline or in a scoped SLO is reported at the line and column of the
// field it names (at names the text whose first character is the column).
func TestSpanValidationErrors(t *testing.T) {
	tests := []struct {
		name, from, to string
		line           int
		at             string
		want           string
	}{
		{"starts after the end", "startdelay: 5s, runtime: 5s}", "startdelay: 20s}", 9, "20s",
			"workloads[1].startdelay: 20s: the workload would start at or after the end of the timeline (duration 20s)"},
		{"ends after the end", "startdelay: 5s, runtime: 5s}", "startdelay: 10s, runtime: 15s}", 9, "15s",
			"workloads[1].runtime: startdelay 10s + runtime 15s = 25s ends past the end of the timeline (duration 20s)"},
		{"runtime alone past the end", "startdelay: 5s, runtime: 5s}", "runtime: 21s}", 9, "21s",
			"workloads[1].runtime: startdelay 0s + runtime 21s = 21s ends past"},
		{"bare number", "runtime: 5s}", "runtime: 5}", 9, "5}", `workloads[1].runtime: duration "5": want Go syntax`},
		{"negative", "startdelay: 5s,", "startdelay: -5s,", 9, "-5s", `workloads[1].startdelay: duration "-5s": negative`},
		{"fio spelling of a run-owned option", "iodepth: 8}", "iodepth: 8, ramp_time: 2s}", 8, "2s", "set by timeline.warmup"},
		{"unknown workload", "workload: oltp,", "workload: oltpp,", 13, "oltpp", `slos[1].workload: workload "oltpp" is not defined in workloads`},
		{"no overlap to judge", "startdelay: 5s, runtime: 5s}", "runtime: 20s}", 13, "overlap",
			"slos[1].window: no other workload runs for part of the timeline"},
		{"vs an unknown reference", "vs: baseline", "vs: warmup", 13, "warmup", `slos[1].vs: "warmup" is not allowed (want one of baseline)`},
		{"vs on a count", "{metric: latency.p99, workload: oltp, window: overlap,", "{metric: io_errors,", 13, "baseline",
			"slos[1].vs: io_errors has no window to compare with baseline"},
		{"vs without a window", "window: overlap, vs", "vs", 13, "{metric", "slos[1].window: vs baseline compares another window with the baseline"},
		{"vs the baseline itself", "window: overlap, vs", "window: baseline, vs", 13, "baseline, vs",
			"slos[1].window: vs baseline compares another window"},
		{"a duration where a ratio goes", "max: 2}", "max: 2ms}", 13, "2ms", `slos[1].max: "2ms": want a number with an optional suffix x`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(spanScenario, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			doc := strings.Replace(spanScenario, tc.from, tc.to, 1)
			_, err := ParseScenario("t.yaml", []byte(doc))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want Errors", err)
			}
			lineText := strings.Split(doc, "\n")[tc.line-1]
			col := strings.Index(lineText, tc.at) + 1
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.want) {
					if e.Line != tc.line || e.Column != col || e.File != "t.yaml" {
						t.Errorf("%q reported at %s:%d:%d, want t.yaml:%d:%d", e.Error(), e.File, e.Line, e.Column, tc.line, col)
					}
					return
				}
			}
			t.Errorf("errors\n%v\nlack %q", err, tc.want)
		})
	}
}

// TestJobClock: a workload that starts with the run warms up with it; one
// that starts late waits warmup + startdelay with no ramp of its own; each
// runs its runtime or to the end.
func TestJobClock(t *testing.T) {
	s := time.Second
	tl := Timeline{Warmup: Duration(5 * s), Duration: Duration(45 * s)}
	tests := []struct {
		name                 string
		startDelay, runtime  time.Duration
		delay, ramp, running time.Duration
	}{
		{"whole run", 0, 0, 0, 5 * s, 45 * s},
		{"stops early", 0, 10 * s, 0, 5 * s, 10 * s},
		{"window", 15 * s, 15 * s, 20 * s, 0, 15 * s},
		{"starts late, runs to the end", 15 * s, 0, 20 * s, 0, 30 * s},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, r, run := jobClock(tl, Workload{StartDelay: Duration(tc.startDelay), Runtime: Duration(tc.runtime)})
			if d != tc.delay || r != tc.ramp || run != tc.running {
				t.Errorf("startdelay %s ramp %s runtime %s, want %s %s %s", d, r, run, tc.delay, tc.ramp, tc.running)
			}
		})
	}
}

// TestScaleWorkloadSpans: --duration scales a workload's startdelay and
// runtime as it scales a fault's at and duration, with the same baseline
// floor before it, so a fault and a workload that started together still
// do; one that ran to the end still does.
func TestScaleWorkloadSpans(t *testing.T) {
	s, ms := time.Second, time.Millisecond
	doc := strings.Replace(spanScenario, "cluster: {nodes: [tgt-a]}", "cluster: {nodes: [tgt-a]}\nhost: {kato: 1s}", 1)
	doc = strings.Replace(doc, "startdelay: 5s, runtime: 5s}", "startdelay: 6s, runtime: 4s}\n  - {name: tail, volume: vol0, rw: read, bs: 4k, startdelay: 12s, runtime: 8s}", 1)
	doc = strings.Replace(doc, "timeline: {warmup: 1s, duration: 20s}", "timeline:\n  warmup: 1s\n  duration: 20s\n  faults:\n    - {at: 6s, kind: process-pause, node: tgt-a, duration: 1s}", 1)
	tests := []struct {
		to                    time.Duration
		delay, run, tailDelay time.Duration
		tailRun               time.Duration
		wantErr               string
		faultAt               time.Duration
	}{
		// ×0.5: no floor binds.
		{to: 10 * s, delay: 3 * s, run: 2 * s, tailDelay: 6 * s, tailRun: 4 * s, faultAt: 3 * s},
		// ×0.3: startdelay 1.8s keeps the 2s baseline, as the fault's at;
		// runtime 1.2s keeps 2s (two latency slots); tail runs to the end.
		{to: 6 * s, delay: 2 * s, run: 2 * s, tailDelay: 3600 * ms, tailRun: 2400 * ms, faultAt: 2 * s},
		// Stretching doubles everything.
		{to: 40 * s, delay: 12 * s, run: 8 * s, tailDelay: 24 * s, tailRun: 16 * s, faultAt: 12 * s},
		// ×0.175: the fault fits (at 2s, 500ms, 1s after); the backup's
		// floors (2s + 2s) do not.
		{to: 3500 * ms, wantErr: "workloads[1]: scaled to 3.5s, workload backup would start at 2s and run 2s, past the end; the shortest duration this scenario scales to is "},
	}
	for _, tc := range tests {
		t.Run(tc.to.String(), func(t *testing.T) {
			sc, err := ParseScenario("t.yaml", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			err = Scale(sc, tc.to, "t.yaml")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if sc.Workloads[1].StartDelay.D() != 6*s {
					t.Error("a refused Scale changed the workloads")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, tail, f := sc.Workloads[1], sc.Workloads[2], sc.Timeline.Faults[0]
			if b.StartDelay.D() != tc.delay || b.Runtime.D() != tc.run {
				t.Errorf("backup startdelay %s runtime %s, want %s %s", b.StartDelay, b.Runtime, tc.delay, tc.run)
			}
			if tail.StartDelay.D() != tc.tailDelay || tail.Runtime.D() != tc.tailRun {
				t.Errorf("tail startdelay %s runtime %s, want %s %s", tail.StartDelay, tail.Runtime, tc.tailDelay, tc.tailRun)
			}
			if f.At.D() != tc.faultAt || f.At != b.StartDelay {
				t.Errorf("fault at %s, backup starts at %s: want both at %s", f.At, b.StartDelay, tc.faultAt)
			}
		})
	}
}
