package catalog

import (
	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
)

// PodFailure makes the target pod fail (Chaos Mesh swaps its image for
// one that never runs) for the duration.
const PodFailure faults.Kind = "pod-failure"

var podFailure = Define(Def[struct{}]{
	Kind:          PodFailure,
	Summary:       "make the target pod fail for the duration (its container image swapped for one that never runs)",
	NeedsDuration: true,
	Immediate:     true,
	Chaos: &Chaos[struct{}]{
		Object: func(t chaosmesh.Target, _ struct{}) (chaosmesh.Object, error) {
			return t.PodChaos(v1alpha1.PodFailureAction), nil
		},
		Needs:     chaosmesh.Needs{Resource: "podchaos"},
		BringBack: true,
	},
})
