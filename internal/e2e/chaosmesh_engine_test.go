//go:build e2e

package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// chaosKinds are every kind the harness injects through Chaos Mesh, with
// the parameters a scenario would give.
var chaosKinds = map[faults.Kind]map[string]string{
	catalog.ProcessKill:      nil,
	catalog.PodFailure:       nil,
	catalog.ContainerKill:    nil,
	catalog.NetworkPartition: {"port": "data"},
	catalog.PacketLoss:       {"percent": "10"},
	catalog.Latency:          {"delay": "5ms"},
	catalog.Bandwidth:        {"rate": "10mbit"},
	catalog.CPUStress:        {"workers": "2"},
	catalog.MemoryStress:     {"workers": "1", "size": "256MB"},
	catalog.KubeletStop:      nil,
	catalog.RuntimeStop:      nil,
}

// chaosUse is kind as the preflight takes it.
func chaosUse(kind faults.Kind) []chaosmesh.Use {
	s, _ := catalog.Lookup(kind)
	return []chaosmesh.Use{{Kind: kind, Needs: s.ChaosNeeds}}
}

// chaosObject builds kind's object with params, as a run does.
func chaosObject(kind faults.Kind, params map[string]string, t chaosmesh.Target) (chaosmesh.Object, error) {
	s, _ := catalog.Lookup(kind)
	c, err := s.Parse(params)
	if err != nil {
		return nil, err
	}
	return c.ChaosObject(t)
}

// chaosInstalled skips unless the cluster serves the Chaos Mesh API.
func chaosInstalled(ctx context.Context, t *testing.T, cfg *envconf.Config) *kube.Client {
	t.Helper()
	kc, err := kube.Connect(cfg.KubeconfigFile(), "")
	if err != nil {
		t.Fatal(err)
	}
	err = chaosmesh.Preflight(ctx, kc.CS, chaosUse(catalog.ProcessKill))
	if errors.Is(err, chaosmesh.ErrNotInstalled) {
		t.Skipf("Chaos Mesh is not installed here (make k8s-up CHAOS_MESH=1): %v", err)
	}
	return kc
}

func TestChaosMeshEngine(t *testing.T) {
	f := features.New("chaos-mesh engine").
		Assess("every object the harness builds passes the API server's validation", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			kc := chaosInstalled(ctx, t, cfg)
			c, err := chaosmesh.NewClient(kc.Config)
			if err != nil {
				t.Fatal(err)
			}
			for kind, params := range chaosKinds {
				o, err := chaosObject(kind, params, chaosmesh.Target{Namespace: namespace(ctx), RunID: "e2e", Node: "tgt-a", Name: string(kind), Machine: "chaos-mesh/k8s-node-0"})
				if err != nil {
					t.Errorf("%s: %v", kind, err)
					continue
				}
				if err := c.Create(ctx, o, client.DryRunAll); err != nil {
					t.Errorf("%s: the API server refuses the object: %v", kind, err)
				}
			}
			// The control: an action the CRD's schema does not list is
			// refused, so the dry runs above were validated.
			bad, _ := chaosObject(catalog.ProcessKill, nil, chaosmesh.Target{Namespace: namespace(ctx), RunID: "e2e", Node: "tgt-a", Name: "bad"})
			bad.(*v1alpha1.PodChaos).Spec.Action = "pod-explode"
			if err := c.Create(ctx, bad, client.DryRunAll); err == nil {
				t.Error("the API server accepted a PodChaos with action pod-explode: the dry runs prove nothing")
			}
			return ctx
		}).
		Assess("a PodChaos pod-kill is measured on the run clock", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			kc := chaosInstalled(ctx, t, cfg)
			if err := chaosmesh.Preflight(ctx, kc.CS, chaosUse(catalog.ProcessKill)); err != nil {
				t.Skipf("Chaos Mesh cannot inject here: %v", err)
			}
			h := newHarness(t, cfg)
			out := t.TempDir()
			code, text := h.run("run", "k8s-chaos-pod-kill", "--duration", "20s", "--out", out, "--quiet")
			t.Log(text)
			if code != 0 {
				t.Fatalf("k8s-chaos-pod-kill exited %d", code)
			}
			results, _ := filepath.Glob(filepath.Join(out, "k8s-chaos-pod-kill-*", "results.json"))
			if len(results) != 1 {
				t.Fatalf("results.json: %v", results)
			}
			res := readResult(t, results[0])
			checkFailover(t, res)
			inject := res.Faults[0]
			if inject.EngineAtNs == nil || inject.EngineErrorNs <= 0 {
				t.Fatalf("inject event %+v: want the controller's effect time and its error bound", inject)
			}
			if d := time.Duration(*inject.EngineAtNs - inject.AtNs); d.Abs() > 5*time.Second {
				t.Errorf("controller's inject time %v from the harness's call: the clock mapping is off", d)
			}
			h.checkNothingLeft(ctx, res.runID())
			return ctx
		}).
		Assess("a kind the cluster cannot run is refused before anything starts, saying why", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			kc, err := kube.Connect(cfg.KubeconfigFile(), "")
			if err != nil {
				t.Fatal(err)
			}
			perr := chaosmesh.Preflight(ctx, kc.CS, chaosUse(catalog.NetworkPartition))
			if perr == nil {
				t.Skip("this cluster runs chaos-daemon: nothing to refuse")
			}
			h := newHarness(t, cfg)
			code, text := h.run("run", "k8s-data-partition", "--duration", "20s", "--out", t.TempDir(), "--quiet")
			if code != 2 {
				t.Fatalf("k8s-data-partition exited %d, want 2:\n%s", code, text)
			}
			want := "chaos-daemon"
			if errors.Is(perr, chaosmesh.ErrNotInstalled) {
				want = "chaos-mesh.org/v1alpha1"
			}
			if !strings.Contains(text, want) {
				t.Errorf("the refusal does not name %q:\n%s", want, text)
			}
			if left := h.runNamespaces(ctx); len(left) > 0 {
				t.Errorf("a refused run created namespaces: %v", left)
			}
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
