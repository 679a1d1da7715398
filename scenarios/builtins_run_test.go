package scenarios

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
)

// shortForm is the measured duration CI runs each built-in scenario at;
// scenarios that cannot be that short run at the shortest Scale allows.
const shortForm = 8 * time.Second

// TestBuiltinsShortForm runs every built-in scenario, scaled down, end to
// end on real target processes, and requires its SLOs to pass: the library
// must stay runnable and its SLOs honest on an ordinary machine. Scenarios
// with faults that need namespaces skip without root.
func TestBuiltinsShortForm(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every built-in scenario for several seconds each")
	}
	bs, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	bin := testbin.Path(t)
	for _, b := range bs {
		t.Run(b.Name, func(t *testing.T) {
			l, err := Load(b.Name)
			if err != nil {
				t.Fatal(err)
			}
			s := l.Scenario
			if s.Cluster.Backend == backendKubernetes {
				t.Skip("runs on a Kubernetes cluster: make e2e-k8s runs it on the test cluster")
			}
			if why := needsRoot(s); why != "" && os.Geteuid() != 0 {
				t.Skipf("skipped: %s needs root (network namespaces); run the tests as root to include it", why)
			}
			d := max(shortForm, shortestScale(s))
			if err := Scale(s, d, l.Source); err != nil {
				t.Fatal(err)
			}
			r := NewRunner(s, RunOptions{Binary: bin, Dir: t.TempDir()})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := r.Run(ctx)
			t.Cleanup(func() { checkNothingLeft(t, r) })
			if err != nil {
				t.Fatalf("could not run: %v", err)
			}
			for _, v := range res.Evaluation.Verdicts {
				if !v.Pass {
					t.Errorf("%s: measured %s", v.Name(), v.Display)
				} else if v.Ratio != nil {
					t.Logf("%v measured: %s: %s", d, v.Name(), v.Display)
				}
			}
			if m := res.Metrics; m != nil && len(m.Overall.Faults) > 0 {
				f := m.Overall.Faults[0]
				t.Logf("%v measured: failover %v, io pause %v", d, time.Duration(f.FailoverTimeNs), time.Duration(f.IOPauseNs))
			}
		})
	}
}

// needsRoot names the first fault of s that needs root, "" if none does.
func needsRoot(s *Scenario) string {
	for _, f := range s.Timeline.Faults {
		if spec, ok := catalog.Lookup(faults.Kind(f.Kind)); ok && spec.NeedsRoot {
			return f.Kind
		}
	}
	return ""
}
