package catalog

import (
	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
)

// RuntimeStop stops (SIGSTOP) the container runtime of the target pod's
// node through chaosd (Chaos Mesh PhysicalMachineChaos).
const RuntimeStop faults.Kind = "runtime-stop"

var runtimeStop = Define(Def[processStopParams]{
	Kind:          RuntimeStop,
	Summary:       "stop the container runtime of the target pod's node (chaosd), continue it after the duration",
	Params:        []Param{{Name: "process", Help: "the runtime's process name on the node", Default: "containerd"}},
	Parse:         func(v *Values) processStopParams { return processStopParams{Process: v.String("process")} },
	NeedsDuration: true,
	Chaos: &Chaos[processStopParams]{
		Object: func(t chaosmesh.Target, p processStopParams) (chaosmesh.Object, error) {
			return t.ProcessStop(p.Process)
		},
		Needs: chaosmesh.Needs{Resource: "physicalmachinechaos", Machine: true},
	},
})
