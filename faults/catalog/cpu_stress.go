package catalog

import (
	"fmt"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// CPUStress starves the node's target of CPU with busy loops.
const CPUStress faults.Kind = "cpu-stress"

// stressMargin is how long cpu-stress loops may outlive their scheduled
// duration before stopping by themselves.
const stressMargin = 30 * time.Second

type cpuStressParams struct {
	// Workers are busy loops per CPU (local) or stressors (Chaos Mesh).
	Workers int
}

var cpuStress = Define(Def[cpuStressParams]{
	Kind:          CPUStress,
	Summary:       "starve the node's target of CPU with busy loops",
	Params:        []Param{{Name: "workers", Help: "busy loops per CPU", Default: "2"}},
	Parse:         func(v *Values) cpuStressParams { return cpuStressParams{Workers: v.Int("workers", 1, 64)} },
	NeedsDuration: true,
	OnProcess:     true,
	Fits: func(w Where, p cpuStressParams) error {
		if !w.Kube && p.Workers > local.MaxStressWorkers {
			return misplaced("workers", fmt.Sprint(p.Workers), fmt.Sprintf("workers %d: the local engine runs at most %d busy loops per CPU", p.Workers, local.MaxStressWorkers))
		}
		return nil
	},
	Local: func(n *local.Node, p cpuStressParams, d time.Duration) (faults.Fault, error) {
		procs, err := processes(n)
		if err != nil {
			return nil, err
		}
		return local.NewCPUStress(n.Node, p.Workers, d+stressMargin, procs...)
	},
	LocalNeeds: func() error { return local.Requires("", "sh") },
	Chaos: &Chaos[cpuStressParams]{
		Object: func(t chaosmesh.Target, p cpuStressParams) (chaosmesh.Object, error) {
			return t.StressChaos(v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: p.Workers}}}), nil
		},
		Needs: chaosmesh.Needs{Resource: "stresschaos", Daemon: true},
	},
})
