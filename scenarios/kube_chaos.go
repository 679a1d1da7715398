package scenarios

import (
	"context"
	"fmt"
	"slices"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
)

// chaosFault is a fault as a Chaos Mesh object acting on the node's target
// pod (and, for network faults, the run's workers on the other side).
func (k *kubeBackend) chaosFault(kind faults.Kind, n *runNode, param func(string) string) (faults.Fault, error) {
	if k.chaos == nil {
		c, err := chaosmesh.NewClient(k.c.Config)
		if err != nil {
			return nil, err
		}
		k.chaos = c
	}
	k.chaosSeq++
	t := chaosmesh.Target{Namespace: k.ns, RunID: k.r.opts.RunID, Node: n.name, Name: fmt.Sprintf("%s-%s-%d", kind, n.name, k.chaosSeq)}
	if _, err := chaosmesh.Build(kind, t, param); err != nil {
		return nil, err
	}
	f := &chaosmesh.Fault{C: k.chaos, Kind: kind, New: func() chaosmesh.Object {
		o, _ := chaosmesh.Build(kind, t, param) // built once above without error
		return o
	}}
	switch kind {
	case faults.ProcessKill, faults.PodFailure, faults.ContainerKill:
		// The target pod is bare, so nothing but the run brings it back,
		// and a target that started again is empty: provision it.
		f.AfterRecover = func(ctx context.Context) error { return k.BringBack(ctx, n.name) }
	}
	return f, nil
}

// chaosKinds are the kinds the run injects through Chaos Mesh.
func (k *kubeBackend) chaosKinds() []faults.Kind {
	var out []faults.Kind
	for _, ev := range k.r.s.Timeline.Faults {
		spec, _ := faults.Lookup(faults.Kind(ev.Kind))
		if e, _ := spec.KubeEngine(ev.Engine); e == faults.EngineChaosMesh && !slices.Contains(out, spec.Kind) {
			out = append(out, spec.Kind)
		}
	}
	return out
}
