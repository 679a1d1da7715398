package reports

import (
	"bytes"
	"strings"
	"testing"
)

// repeatedFixtures are three recorded runs of one scenario whose single
// fault measures failover 1.003s, 2s (a slow ramp) and 0 (a gap under the
// stall threshold).
func repeatedFixtures(t *testing.T) []*Result {
	var runs []*Result
	for i, f := range []string{"pause-1s", "slow-ramp", "small-gap"} {
		r := loadFixture(t, fixtures[f])
		m, err := Compute(r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.Metrics = m
		r.Scenario.Name = "flappy"
		r.Scenario.Seed = int64(40 + i)
		runs = append(runs, r)
	}
	return runs
}

func TestAggregateRuns(t *testing.T) {
	tests := []struct {
		name     string
		of       string
		max      string
		wantPass bool
		wantShow string
	}{
		{"worst fails", "", "1.5s", false, "2s"},
		{"median passes", OfMedian, "1.5s", true, "1.003s"},
		{"p90 is the worst of three", OfP90, "1.5s", false, "2s"},
		{"worst under a looser bound", OfWorst, "3s", true, "2s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := AggregateRuns(repeatedFixtures(t), []SLO{{Metric: "failover_time", Max: tc.max, Of: tc.of}})
			if a.Runs != 3 || len(a.Errors) != 0 || a.Evaluation == nil {
				t.Fatalf("aggregate %+v", a)
			}
			v := a.Evaluation.Verdicts[0]
			if v.Pass != tc.wantPass || v.Display != tc.wantShow {
				t.Errorf("verdict pass %v measured %s, want %v %s", v.Pass, v.Display, tc.wantPass, tc.wantShow)
			}
			wantStatus := map[bool]string{true: "pass", false: "FAIL"}[tc.wantPass]
			if a.Status() != wantStatus {
				t.Errorf("status %s, want %s", a.Status(), wantStatus)
			}
			s, ok := a.Spread("failover_time")
			if !ok || s.N != 3 || s.Min != 0 || s.Max != 2e9 || s.Median != 1.003e9 || s.Worst != s.Max {
				t.Errorf("failover_time spread %+v", s)
			}
			iops, ok := a.Spread("iops.baseline")
			if !ok || iops.Worst != iops.Min {
				t.Errorf("iops worst should be its minimum: %+v", iops)
			}
		})
	}
}

// TestAggregateRunError: one run that could not run makes the aggregate an
// error however the others did, and its Result is an error for JUnit.
func TestAggregateRunError(t *testing.T) {
	runs := repeatedFixtures(t)
	runs[1] = &Result{Scenario: ScenarioInfo{Name: "flappy", Seed: 41}, RunError: "provisioning failed"}
	a := AggregateRuns(runs, []SLO{{Metric: "failover_time", Max: "5s"}})
	if a.Status() != "ERROR" || len(a.Errors) != 1 || !strings.Contains(a.Errors[0], "seed 41") {
		t.Fatalf("status %s errors %v", a.Status(), a.Errors)
	}
	if s, _ := a.Spread("failover_time"); s.N != 2 {
		t.Errorf("the failed run counted in the statistics: %+v", s)
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, []*Result{a.Result()}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `errors="1"`) {
		t.Errorf("junit does not count the error:\n%s", buf.String())
	}
	if a := AggregateRuns(nil, nil); a.Status() != "ERROR" {
		t.Errorf("no runs: status %s", a.Status())
	}
}

func TestWriteAggregateTables(t *testing.T) {
	runs := repeatedFixtures(t)
	slos := []SLO{{Metric: "failover_time", Max: "1.5s", Of: OfMedian}, {Metric: "io_errors", Max: "0"}}
	a := AggregateRuns(runs, slos)
	var buf bytes.Buffer
	if err := WriteAggregateSummary(&buf, "repeat flappy", []*Aggregate{a}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 of 1 passed", "| flappy | 3 | pass | 2s |", "| failover_time | 0s | 1.003s | 2s | 2s |", "| failover_time | median | <= 1.5s | 1.003s | pass |"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
	cells := []*Aggregate{a, AggregateRuns(runs[:1], slos)}
	cells[0].Params = map[string]string{"host.kato": "1s"}
	cells[1].Params = map[string]string{"host.kato": "2s"}
	buf.Reset()
	if err := WriteSweepTable(&buf, "flappy", []string{"host.kato"}, cells); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| host.kato | runs | verdict | failover |", "| 1s | 3 | pass | 2s |", "| 2s | 1 | pass | 1.003s |"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("sweep table lacks %q:\n%s", want, buf.String())
		}
	}
}
