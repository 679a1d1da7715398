package scenarios

import (
	"fmt"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// TestFaultEventsNumberEachFiring: the record numbers firings, not
// descriptions, so faults alike on one node get a number each, and an
// inject and its recover share theirs.
func TestFaultEventsNumberEachFiring(t *testing.T) {
	const pause = "process-pause tgt-a (pid 4242)"
	e := func(index, cycle int, ph faults.Phase, at time.Duration) faults.Event {
		return faults.Event{Fault: pause, Kind: catalog.ProcessPause, Node: "tgt-a", Phase: ph, Index: index, Cycle: cycle, At: at, Planned: at}
	}
	got := faultEvents([]faults.Event{
		e(0, 0, faults.PhaseInject, 1e9), e(0, 0, faults.PhaseRecover, 2e9),
		e(1, 0, faults.PhaseInject, 3e9), e(1, 0, faults.PhaseRecover, 4e9),
		e(0, 1, faults.PhaseInject, 5e9), e(0, 1, faults.PhaseRecover, 6e9),
	})
	var out []string
	for _, fe := range got {
		out = append(out, fmt.Sprintf("%d=%v %s", fe.Fault, *fe.Firing, fe.Phase))
	}
	want := "[1={0 0} inject 1={0 0} recover 2={1 0} inject 2={1 0} recover 3={0 1} inject 3={0 1} recover]"
	if fmt.Sprint(out) != want {
		t.Errorf("events %v,\nwant   %s", out, want)
	}
}

// TestFaultEventsCarryTheEffectCheck: each inject's took-effect check
// reaches the record as it was found; a fault without one has none.
func TestFaultEventsCarryTheEffectCheck(t *testing.T) {
	checks := []*faults.EffectCheck{nil, {Took: 3 * time.Millisecond}, {Took: 5 * time.Second, Err: "pid 42 is in state S"}}
	var evs []faults.Event
	for i, c := range checks {
		evs = append(evs, faults.Event{Kind: catalog.ProcessPause, Node: "tgt-a", Phase: faults.PhaseInject, Index: i, Effect: c})
	}
	got := faultEvents(evs)
	for i, c := range checks {
		e := got[i].Effect
		switch {
		case c == nil && e != nil:
			t.Errorf("faults[%d]: effect %+v from no check", i, e)
		case c != nil && (e == nil || e.TookNs != int64(c.Took) || e.Err != c.Err):
			t.Errorf("faults[%d]: effect %+v, want %+v", i, e, c)
		}
	}
}

// TestRunRepeatedFaultsOfOneKind is issue 18's first bug: faults of one
// kind on one node describe themselves alike, so pairing inject and
// recover by that text merged them and the run failed to compute its
// metrics. Every firing (timeline index and cycle) must come out as its
// own fault, paired, measured and judged.
func TestRunRepeatedFaultsOfOneKind(t *testing.T) {
	type firing struct{ index, cycle int }
	for _, tc := range []struct {
		name   string
		faults string
		want   []firing
	}{
		{name: "two-pauses", // the reproducer of the issue
			faults: `
    - {at: 1s, kind: process-pause, node: tgt-a, duration: 500ms}
    - {at: 3s, kind: process-pause, node: tgt-a, duration: 500ms}`,
			want: []firing{{0, 0}, {1, 0}}},
		{name: "repeated-with-jitter",
			faults: `
    - {at: 300ms, kind: process-pause, node: tgt-a, duration: 200ms, jitter: 100ms, repeat: {count: 2, every: 800ms}}
    - {at: 2s, kind: process-pause, node: tgt-a, duration: 200ms, jitter: 100ms, repeat: {count: 2, every: 800ms}}`,
			want: []firing{{0, 0}, {0, 1}, {1, 0}, {1, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := fmt.Sprintf(`
apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t-repeated-%s}
cluster: {nodes: [tgt-a]}
volumes: [{name: vol0, size: 16MiB, nodes: [tgt-a]}]
workloads: [{name: w, volume: vol0, rw: randread, bs: 4k, iodepth: 4}]
host: {kato: 10s, io_timeout: 30s}
timeline:
  warmup: 300ms
  duration: 4s
  faults:%s
slos:
  - {metric: io_errors, max: "0"}
  - {metric: failover_time, max: "5s"}
`, tc.name, tc.faults)
			res, pass, err := runScenarioYAML(t, doc)
			if err != nil {
				t.Fatal(err)
			}
			if res.Metrics == nil || res.Evaluation == nil {
				t.Fatal("the run was not judged")
			}
			if !pass() {
				t.Errorf("short pauses under a long KATO failed the run: %+v", res.Evaluation.Verdicts)
			}
			// Every firing is recorded with its identity, injected then
			// recovered cleanly, under one fault number of its own.
			type pair struct{ inject, recover int }
			seen := map[firing]*pair{}
			at := map[int][2]int64{} // inject and recover time by fault number
			numbers := map[int]firing{}
			var order []firing
			for i, e := range res.Faults {
				if e.Firing == nil {
					t.Fatalf("faults[%d] %+v: no firing identity", i, e)
				}
				if e.Err != "" {
					t.Errorf("faults[%d]: %s", i, e.Err)
				}
				f := firing{e.Firing.Index, e.Firing.Cycle}
				if other, ok := numbers[e.Fault]; ok && other != f {
					t.Errorf("fault number %d names firings %v and %v", e.Fault, other, f)
				}
				numbers[e.Fault] = f
				p := seen[f]
				if p == nil {
					p = &pair{}
					seen[f] = p
				}
				span := at[e.Fault]
				if e.Phase == reports.FaultInject {
					// process-pause checks its target is stopped.
					if e.Effect == nil || e.Effect.Err != "" {
						t.Errorf("faults[%d]: effect %+v, want confirmed", i, e.Effect)
					}
					p.inject++
					order = append(order, f)
					span[0] = e.AtNs
				} else {
					p.recover++
					span[1] = e.AtNs
				}
				at[e.Fault] = span
			}
			if fmt.Sprint(order) != fmt.Sprint(tc.want) {
				t.Errorf("firings injected %v, want %v", order, tc.want)
			}
			for f, p := range seen {
				if p.inject != 1 || p.recover != 1 {
					t.Errorf("firing %v: %d injects and %d recovers, want one each", f, p.inject, p.recover)
				}
			}
			if got := len(res.Metrics.Overall.Faults); got != len(tc.want) {
				t.Fatalf("%d fault metrics, want one per firing (%d)", got, len(tc.want))
			}
			// Each fault measured is one firing, its own inject to its own
			// recover.
			for _, fm := range res.Metrics.Overall.Faults {
				if want := at[fm.Fault]; fm.InjectNs != want[0] || fm.RecoverNs != want[1] {
					t.Errorf("fault %d measured from %v to %v, want its events' %v to %v", fm.Fault,
						time.Duration(fm.InjectNs), time.Duration(fm.RecoverNs), time.Duration(want[0]), time.Duration(want[1]))
				}
			}
			for _, v := range res.Evaluation.Verdicts {
				if v.SLO.Metric == "failover_time" && (v.Samples == nil || v.Samples.N != len(tc.want)) {
					t.Errorf("failover_time judged on %+v samples, want one per firing (%d)", v.Samples, len(tc.want))
				}
			}
		})
	}
}
