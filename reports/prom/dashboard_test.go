package prom

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const dashboardPath = "../grafana/nvmf-chaos-dashboard.json"

var metricRef = regexp.MustCompile(`\bnvmfchaos_[a-zA-Z0-9_]+`)

// queries collects every PromQL string of a dashboard: panel targets,
// annotations and template variables.
func queries(v any, into *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "expr" || k == "query" || k == "definition") {
				*into = append(*into, s)
				continue
			}
			queries(e, into)
		}
	case []any:
		for _, e := range x {
			queries(e, into)
		}
	}
}

// TestDashboardUsesExportedMetrics keeps the Grafana dashboard from
// drifting: every metric its queries name is one the collector exposes
// (a histogram through its _bucket, _sum or _count series), and every
// metric the collector exposes is shown somewhere.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Panels []struct {
			ID      int              `json:"id"`
			Title   string           `json:"title"`
			Targets []map[string]any `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	ids := map[int]bool{}
	for _, p := range doc.Panels {
		if len(p.Targets) == 0 || ids[p.ID] {
			t.Errorf("panel %d %q: no query, or a duplicate id", p.ID, p.Title)
		}
		ids[p.ID] = true
	}
	var all any
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatal(err)
	}
	var qs []string
	queries(all, &qs)
	exported := MetricNames()
	used := map[string]bool{}
	for _, q := range qs {
		for _, name := range metricRef.FindAllString(q, -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b := strings.TrimSuffix(name, suffix); b == MetricLatency {
					base = b
				}
			}
			if name == MetricLatency {
				t.Errorf("query %q uses the histogram's base name; Prometheus has only its _bucket, _sum and _count series", q)
			}
			if !slices.Contains(exported, base) {
				t.Errorf("query %q uses %s, which the exporter does not register", q, name)
			}
			used[base] = true
		}
	}
	for _, m := range exported {
		if !used[m] {
			t.Errorf("metric %s is exported but not on the dashboard", m)
		}
	}
}
