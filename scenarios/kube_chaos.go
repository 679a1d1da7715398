package scenarios

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// chaosFault is a fault as a Chaos Mesh object acting on the node's target
// pod (and, for network faults, the run's workers on the other side).
func (k *kubeBackend) chaosFault(cfg catalog.Config, n *runNode) (faults.Fault, error) {
	if k.chaos == nil {
		c, err := chaosmesh.NewClient(k.c.Config)
		if err != nil {
			return nil, err
		}
		k.chaos = c
	}
	k.chaosSeq++
	kind := cfg.Kind
	t := chaosmesh.Target{Namespace: k.ns, RunID: k.r.opts.RunID, Node: n.name, Name: fmt.Sprintf("%s-%s-%d", kind, n.name, k.chaosSeq)}
	probe := t
	probe.Machine = "ns/machine" // known only at inject; the rest is checked now
	o, err := cfg.ChaosObject(probe)
	if err != nil {
		return nil, err
	}
	f := &chaosmesh.Fault{C: k.chaos, Kind: kind, Node: n.name,
		What: fmt.Sprintf("%s %s/%s", o.GetObjectKind().GroupVersionKind().Kind, t.Namespace, t.Name),
		New: func(ctx context.Context) (chaosmesh.Object, error) {
			t := t
			if cfg.ChaosNeeds.Machine {
				m, err := k.machineOf(ctx, n.name)
				if err != nil {
					return nil, err
				}
				t.Machine = m
			}
			return cfg.ChaosObject(t)
		}}
	if cfg.BringsBack() {
		// The target pod is bare, so nothing but the run brings it back,
		// and a target that started again is empty: provision it.
		f.AfterRecover = func(ctx context.Context) error { return k.BringBack(ctx, n.name) }
	}
	return f, nil
}

// chaosUses are the kinds the run injects through Chaos Mesh, with what
// each needs of the cluster.
func (k *kubeBackend) chaosUses() []chaosmesh.Use {
	var out []chaosmesh.Use
	for i, ev := range k.r.s.Timeline.Faults {
		cfg := k.r.faults[i]
		e, _ := cfg.KubeEngine(ev.Engine)
		if e == catalog.EngineChaosMesh && !slices.ContainsFunc(out, func(u chaosmesh.Use) bool { return u.Kind == cfg.Kind }) {
			out = append(out, chaosmesh.Use{Kind: cfg.Kind, Needs: cfg.ChaosNeeds})
		}
	}
	return out
}

// machineOf finds the PhysicalMachine of the cluster node the scenario
// node's target pod runs on now.
func (k *kubeBackend) machineOf(ctx context.Context, node string) (string, error) {
	var pod corev1.Pod
	if err := k.c.K.Resources().Get(ctx, kube.TargetPodName(node), k.ns, &pod); err != nil {
		return "", fmt.Errorf("node %s: its target pod: %w", node, err)
	}
	return chaosmesh.Machine(ctx, k.chaos, pod.Spec.NodeName)
}
