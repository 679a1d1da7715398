package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestExpandProduct(t *testing.T) {
	doc := minimal + `sweep:
  - {param: host.kato, values: [500ms, 1s]}
  - {param: host.policy, values: [failover, round-robin, queue-depth]}
  - {param: 'faults[0].duration', values: [2s, 4s]}
`
	s, err := ParseScenario("t.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := Expand(s, "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 12 {
		t.Fatalf("%d cells, want 2×3×2", len(cells))
	}
	seen := map[string]bool{}
	for _, c := range cells {
		sc := c.Scenario
		key := fmt.Sprintf("%s/%s/%s", sc.Host.KATO, sc.Host.Policy, sc.Timeline.Faults[0].Duration)
		want := fmt.Sprintf("%s/%s/%s", c.Params["host.kato"], c.Params["host.policy"], c.Params["faults[0].duration"])
		if key != want {
			t.Errorf("cell %v applied as %s", c.Params, key)
		}
		if seen[key] {
			t.Errorf("combination %s twice", key)
		}
		seen[key] = true
		if sc.Sweep != nil {
			t.Error("a cell still carries the sweep")
		}
	}
	// The first axis varies slowest; the original is untouched.
	if cells[0].Params["host.kato"] != "500ms" || cells[1].Params["faults[0].duration"] != "4s" || cells[6].Params["host.kato"] != "1s" {
		t.Errorf("order: %v, %v, %v", cells[0].Params, cells[1].Params, cells[6].Params)
	}
	if s.Host.KATO != 0 || s.Timeline.Faults[0].Duration.D() != 5*time.Second {
		t.Errorf("Expand changed the swept scenario: %+v", s.Host)
	}
}

func TestExpandFaultParamsAndNoSweep(t *testing.T) {
	doc := strings.Replace(minimal, "{at: 5s, kind: process-kill, node: tgt-a, duration: 5s}",
		"{at: 5s, kind: process-kill, node: tgt-a, duration: 5s, params: {restart: \"true\"}}", 1)
	s, err := ParseScenario("t.yaml", []byte(doc+"sweep:\n  - {param: 'faults[0].params.restart', values: [\"true\", \"false\"]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := Expand(s, "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cells[1].Scenario.Timeline.Faults[0].Params["restart"]; got != "false" || s.Timeline.Faults[0].Params["restart"] != "true" {
		t.Errorf("cell param %q; original %v", got, s.Timeline.Faults[0].Params)
	}
	one, err := Expand(mustBuiltin(t, "baseline"), "builtin:baseline")
	if err != nil || len(one) != 1 || len(one[0].Params) != 0 {
		t.Errorf("no sweep: %d cells, %v", len(one), err)
	}
}

// TestSweepErrors: a bad param or value is reported at its line with the
// field, and a cell that breaks a rule names its params.
func TestSweepErrors(t *testing.T) {
	tests := []struct {
		name, sweep string
		field       string
		line        int
		want        string
	}{
		{"unknown host field", "  - {param: host.colour, values: [red]}", "sweep[0].param", 20, "not sweepable"},
		{"fault out of range", "  - {param: 'faults[3].at', values: [1s]}", "sweep[0].param", 20, "N < 1"},
		{"bad duration value", "  - {param: host.kato, values: [1s, fast]}", "sweep[0].values[1]", 20, `duration "fast"`},
		{"bad policy", "  - {param: host.policy, values: [random]}", "sweep[0].values[0]", 20, `policy "random"`},
		{"param the kind lacks", "  - {param: 'faults[0].params.percent', values: [\"5\"]}", "sweep[0].param", 20, `process-kill takes no parameter "percent"`},
		{"bad restart value", "  - {param: 'faults[0].params.restart', values: [maybe]}", "sweep[0].values[0]", 20, `restart "maybe"`},
		{"no values", "  - {param: host.kato, values: []}", "sweep[0].values", 20, "at least one value"},
		{"swept twice", "  - {param: host.kato, values: [1s]}\n  - {param: host.kato, values: [2s]}", "sweep[1].param", 21, "swept twice"},
		{"too many cells", "  - {param: host.kato, values: [1s, 2s, 3s, 4s, 5s, 6s, 7s, 8s, 9s]}\n  - {param: host.io_timeout, values: [1s, 2s, 3s, 4s, 5s, 6s, 7s, 8s]}", "sweep", 20, "72 combinations: at most 64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScenario("t.yaml", []byte(minimal+"sweep:\n"+tc.sweep+"\n"))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want Errors", err)
			}
			for _, e := range errs {
				if e.Field == tc.field && strings.Contains(e.Msg, tc.want) {
					if e.Line != tc.line || e.File != "t.yaml" {
						t.Errorf("%q at %s:%d, want t.yaml:%d", e.Error(), e.File, e.Line, tc.line)
					}
					return
				}
			}
			t.Errorf("errors\n%v\nlack %s: %q", err, tc.field, tc.want)
		})
	}
}

// TestExpandRejectsBadCell: each value parses alone, but one combination
// pushes the fault past the end of the timeline.
func TestExpandRejectsBadCell(t *testing.T) {
	s, err := ParseScenario("t.yaml", []byte(minimal+"sweep:\n  - {param: 'faults[0].duration', values: [5s, 30s]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Expand(s, "t.yaml")
	if err == nil || !strings.Contains(err.Error(), "[faults[0].duration=30s]") || !strings.Contains(err.Error(), "past the end") {
		t.Errorf("err = %v", err)
	}
}
