package reports_test

import (
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

// TestScenarioSLOConverts keeps reports.SLO convertible from the scenario
// schema's SLO (same fields, same order): the Runner passes a scenario's
// SLOs to Evaluate with a plain conversion. It fails to compile otherwise.
func TestScenarioSLOConverts(t *testing.T) {
	in := scenarios.SLO{Metric: "failover_time", Window: "", Max: "2s", Min: "", Of: "median"}
	if got := reports.SLO(in); got.Metric != in.Metric || got.Max != in.Max || got.Of != in.Of {
		t.Errorf("converted %+v to %+v", in, got)
	}
}
