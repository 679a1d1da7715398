package catalog

import (
	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
)

// MemoryStress eats memory beside the target (Chaos Mesh).
const MemoryStress faults.Kind = "memory-stress"

type memoryStressParams struct {
	// Size is per worker, in Chaos Mesh's syntax (256MB, 50%).
	Size    string
	Workers int
}

var memoryStress = Define(Def[memoryStressParams]{
	Kind:    MemoryStress,
	Summary: "eat memory beside the node's target",
	Params: []Param{
		{Name: "size", Help: "memory to eat per worker, e.g. 256MB or 50%", Default: "256MB"},
		{Name: "workers", Help: "stressors", Default: "1"}},
	Parse: func(v *Values) memoryStressParams {
		return memoryStressParams{Size: v.String("size"), Workers: v.Int("workers", 1, 64)}
	},
	NeedsDuration: true,
	Chaos: &Chaos[memoryStressParams]{
		Object: func(t chaosmesh.Target, p memoryStressParams) (chaosmesh.Object, error) {
			return t.StressChaos(v1alpha1.Stressors{MemoryStressor: &v1alpha1.MemoryStressor{
				Stressor: v1alpha1.Stressor{Workers: p.Workers}, Size: p.Size}}), nil
		},
		Needs: chaosmesh.Needs{Resource: "stresschaos", Daemon: true},
	},
})
