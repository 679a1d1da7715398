package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestDefaultThresholds(t *testing.T) {
	th := DefaultThresholds()
	if got := th["latency.p99"]; !got.Up || !got.Relative || got.Fraction != 0.15 {
		t.Errorf("latency.p99 threshold %+v", got)
	}
	if got := th["iops"]; got.Up || got.Fraction != 0.10 {
		t.Errorf("iops threshold %+v", got)
	}
}

func TestParseThresholds(t *testing.T) {
	th, err := ParseThresholds("iops=-10%, latency.p99.baseline=+15%,failover_time=+100ms")
	if err != nil {
		t.Fatal(err)
	}
	if f := th["failover_time"]; f.Relative || f.Amount != 100e6 || !f.Up {
		t.Errorf("failover_time = %+v, want an absolute +100ms", f)
	}
	if _, ok := th["latency.p99.baseline"]; !ok {
		t.Error("windowed key metric not accepted")
	}
	for _, bad := range []string{"iops", "iops=10%", "iops=-x%", "nope=+1%", "failover_time=+fast", "iops.steady=-1%"} {
		if _, err := ParseThresholds(bad); err == nil {
			t.Errorf("ParseThresholds(%q) accepted", bad)
		}
	}
}

func TestThresholdRegressed(t *testing.T) {
	inf := math.Inf(1)
	up15 := Threshold{Up: true, Relative: true, Fraction: 0.15}
	down10 := Threshold{Relative: true, Fraction: 0.10}
	abs := Threshold{Up: true, Amount: 100e6}
	tests := []struct {
		name string
		t    Threshold
		b, c float64
		want bool
	}{
		{"latency within", up15, 100, 114, false},
		{"latency beyond", up15, 100, 116, true},
		{"latency improved", up15, 100, 50, false},
		{"iops drop within", down10, 1000, 905, false},
		{"iops drop beyond", down10, 1000, 850, true},
		{"iops rise", down10, 1000, 2000, false},
		{"from zero", up15, 0, 1, true},
		{"zero to zero", up15, 0, 0, false},
		{"became unbounded", up15, 1e9, inf, true},
		{"stays unbounded", up15, inf, inf, false},
		{"no longer unbounded", up15, inf, 1e9, false},
		{"absolute within", abs, 1e9, 1.05e9, false},
		{"absolute beyond", abs, 1e9, 1.2e9, true},
	}
	for _, tt := range tests {
		if got := tt.t.regressed(tt.b, tt.c); got != tt.want {
			t.Errorf("%s: regressed(%v, %v) = %v, want %v", tt.name, tt.b, tt.c, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	base := loadFixture(t, fixtures["pause-1s"])
	same := loadFixture(t, fixtures["pause-1s"])
	c, err := Compare(base, same, DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	if c.Regressed || len(c.Deltas) == 0 {
		t.Errorf("a run compared with itself: regressed %v, %d deltas", c.Regressed, len(c.Deltas))
	}
	// Same scenario name, a 2 s failover instead of 1.003 s.
	worse := loadFixture(t, fixtures["gap-before-inject"])
	worse.Scenario.Name = base.Scenario.Name
	c, err = Compare(base, worse, DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Regressed || !hasRegression(c, "failover_time") {
		t.Errorf("a 1.003s → 2s failover was not flagged: %+v", c.Deltas)
	}
	if hasRegression(c, "iops.baseline") {
		t.Errorf("unchanged baseline IOPS flagged")
	}
	var b bytes.Buffer
	if err := WriteComparison(&b, c, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.md", b.Bytes())
}

func TestCompareRunsUnmatched(t *testing.T) {
	a := loadFixture(t, fixtures["pause-1s"])
	b := loadFixture(t, fixtures["small-gap"])
	failed := loadFixture(t, fixtures["pause-1s"])
	failed.RunError = "provisioning failed"
	c, err := CompareRuns([]*Result{a, b}, []*Result{failed}, DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Regressed || len(c.Unmatched) != 1 || !strings.Contains(c.Unmatched[0], "small-gap (baseline only)") {
		t.Errorf("regressed %v unmatched %v, want a regression (run failed) and small-gap unmatched", c.Regressed, c.Unmatched)
	}
}

func hasRegression(c Comparison, metric string) bool {
	for _, d := range c.Deltas {
		if d.Metric == metric && d.Regression {
			return true
		}
	}
	return false
}
