package reports

import (
	"encoding/json"
	"strings"
	"testing"
)

// standardSLOs are docs/ARCHITECTURE.md's example objectives.
var standardSLOs = []SLO{
	{Metric: "failover_time", Max: "2s"},
	{Metric: "io_errors", Max: "0"},
	{Metric: "lost_writes", Max: "0"},
	{Metric: "latency.p99", Window: "baseline", Max: "2ms"},
	{Metric: "iops", Window: "baseline", Min: "20000"},
	{Metric: "recovery_time", Max: "10s"},
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		fixture string
		slo     SLO
		pass    bool
		display string
	}{
		{"pause-1s", SLO{Metric: "failover_time", Max: "2s"}, true, "1.003s"},
		{"pause-1s", SLO{Metric: "failover_time", Max: "1s"}, false, "1.003s"},
		{"pause-1s", SLO{Metric: "io_pause", Max: "1s"}, true, "1s"},
		{"pause-1s", SLO{Metric: "latency.p99", Window: "baseline", Max: "400us"}, true, "300µs"},
		{"pause-1s", SLO{Metric: "iops", Window: "baseline", Min: "20k"}, false, "10k"},
		{"pause-1s", SLO{Metric: "iops", Window: "baseline", Min: "9k", Max: "11k"}, true, "10k"},
		{"pause-1s", SLO{Metric: "bw", Window: "baseline", Min: "39MiB/s"}, true, "39.1MiB/s"},
		{"pause-1s", SLO{Metric: "latency.max", Window: "recovery", Max: "100ms"}, false, "1s"},
		{"no-fault", SLO{Metric: "failover_time", Max: "0s"}, true, "0s"},
		{"small-gap", SLO{Metric: "failover_time", Max: "0s"}, true, "0s"},
		{"small-gap", SLO{Metric: "io_pause", Max: "5ms"}, false, "8ms"},
		{"slow-ramp", SLO{Metric: "recovery_time", Max: "5s"}, false, "6s"},
		{"never-resumed", SLO{Metric: "failover_time", Max: "1m"}, false, "unbounded"},
		{"never-resumed", SLO{Metric: "recovery_time", Max: "1m"}, false, "unbounded"},
		{"two-workloads", SLO{Metric: "failover_time", Max: "1s"}, false, "1.5s"},
		{"repeated", SLO{Metric: "failover_time", Max: "1.5s"}, false, "2.001s"},
		{"repeated", SLO{Metric: "failover_time", Max: "1.5s", Of: "median"}, true, "1.001s"},
		{"repeated", SLO{Metric: "failover_time", Max: "1.5s", Of: "p90"}, false, "2.001s"},
		{"repeated", SLO{Metric: "iops", Window: "fault", Min: "1"}, true, "5"}, // 10 I/Os over the 2 s third fault
		{"repeated", SLO{Metric: "io_errors", Max: "0"}, false, "3"},
		{"repeated", SLO{Metric: "lost_writes", Max: "0"}, false, "2"},
		{"repeated", SLO{Metric: "corrupt_blocks", Max: "0"}, true, "0"},
	}
	for _, tt := range tests {
		name := tt.fixture + "/" + tt.slo.Metric + "/" + tt.slo.Max + tt.slo.Min + tt.slo.Of
		t.Run(name, func(t *testing.T) {
			ev, err := Evaluate(loadFixture(t, fixtures[tt.fixture]), []SLO{tt.slo})
			if err != nil {
				t.Fatal(err)
			}
			v := ev.Verdicts[0]
			if v.Pass != tt.pass || v.Display != tt.display || ev.Pass != tt.pass {
				t.Errorf("pass %v display %q (%s), want pass %v display %q", v.Pass, v.Display, v.Detail, tt.pass, tt.display)
			}
		})
	}
}

func TestEvaluateRepeatedRuns(t *testing.T) {
	var runs []*Metrics
	for _, f := range []string{"pause-1s", "slow-ramp", "small-gap"} {
		m, err := Compute(loadFixture(t, fixtures[f]), Options{})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, m)
	}
	ev, err := EvaluateMetrics([]SLO{{Metric: "failover_time", Max: "1.5s", Of: "median"}}, runs...)
	if err != nil {
		t.Fatal(err)
	}
	v := ev.Verdicts[0]
	if !v.Pass || v.Display != "1.003s" || v.Samples == nil || v.Samples.N != 3 || v.Samples.Min != 0 || v.Samples.Max != 2e9 {
		t.Errorf("verdict %+v samples %+v, want the median 1.003s of {0, 1.003s, 2s}", v, v.Samples)
	}
}

func TestEvaluateErrors(t *testing.T) {
	r := loadFixture(t, fixtures["pause-1s"])
	for _, tt := range []struct {
		slo  SLO
		want string
	}{
		{SLO{Metric: "failover", Max: "1s"}, "unknown metric"},
		{SLO{Metric: "failover_time", Max: "fast"}, "want a duration"},
		{SLO{Metric: "failover_time"}, "needs max or min"},
		{SLO{Metric: "failover_time", Max: "1s", Of: "mean"}, "want worst, median or p90"},
		{SLO{Metric: "iops", Window: "steady", Min: "1"}, "unknown window"},
	} {
		if _, err := Evaluate(r, []SLO{tt.slo}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.slo, err, tt.want)
		}
	}
	r.RunError = "provisioning failed"
	if _, err := Evaluate(r, standardSLOs); err == nil {
		t.Error("a run that failed to run was evaluated")
	}
}

func TestVerdictsGolden(t *testing.T) {
	for name, f := range fixtures {
		t.Run(name, func(t *testing.T) {
			r := loadFixture(t, f)
			if err := Finish(r, standardSLOs, Options{}); err != nil {
				t.Fatal(err)
			}
			b, err := json.MarshalIndent(r.Evaluation, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".verdicts.json", append(b, '\n'))
			var back Evaluation
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("verdicts do not read back: %v", err)
			}
		})
	}
}
