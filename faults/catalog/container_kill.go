package catalog

import (
	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
)

// ContainerKill kills the target container inside its pod; the run brings
// the target back (Chaos Mesh, needs chaos-daemon).
const ContainerKill faults.Kind = "container-kill"

var containerKill = Define(Def[struct{}]{
	Kind:      ContainerKill,
	Summary:   "kill the target container inside its pod; the run brings the target back after",
	Immediate: true,
	Chaos: &Chaos[struct{}]{
		Object: func(t chaosmesh.Target, _ struct{}) (chaosmesh.Object, error) {
			return t.PodChaos(v1alpha1.ContainerKillAction), nil
		},
		Needs:     chaosmesh.Needs{Resource: "podchaos", Daemon: true},
		BringBack: true,
	},
})
