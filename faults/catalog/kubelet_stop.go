package catalog

import (
	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
)

// KubeletStop stops (SIGSTOP) the kubelet of the target pod's node
// through chaosd on the node (Chaos Mesh PhysicalMachineChaos).
const KubeletStop faults.Kind = "kubelet-stop"

// processStopParams name the process a machine-level kind stops.
type processStopParams struct{ Process string }

var kubeletStop = Define(Def[processStopParams]{
	Kind:          KubeletStop,
	Summary:       "stop the kubelet of the target pod's node (chaosd), continue it after the duration",
	Params:        []Param{{Name: "process", Help: "the kubelet's process name on the node", Default: "kubelet"}},
	Parse:         func(v *Values) processStopParams { return processStopParams{Process: v.String("process")} },
	NeedsDuration: true,
	Chaos: &Chaos[processStopParams]{
		Object: func(t chaosmesh.Target, p processStopParams) (chaosmesh.Object, error) {
			return t.ProcessStop(p.Process)
		},
		Needs: chaosmesh.Needs{Resource: "physicalmachinechaos", Machine: true},
	},
})
