package catalog

import (
	"time"

	authv1 "k8s.io/api/authorization/v1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/kubeapi"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// ProcessPause stops the target with SIGSTOP and resumes it with SIGCONT:
// a hang with TCP connections still up.
const ProcessPause faults.Kind = "process-pause"

var processPause = Define(Def[struct{}]{
	Kind:          ProcessPause,
	Summary:       "SIGSTOP the node's target, SIGCONT after the duration",
	NeedsDuration: true,
	Immediate:     true,
	OnProcess:     true,
	Local: func(n *local.Node, _ struct{}, _ time.Duration) (faults.Fault, error) {
		procs, err := processes(n)
		if err != nil {
			return nil, err
		}
		return local.NewPause(n.Node, procs[0]), nil
	},
	Fits: func(w Where, _ struct{}) error {
		if w.Kube && w.SPDK && w.Engine == EngineNative {
			return &ParamError{Msg: "process-pause on Kubernetes runs nvmf-chaos in the target's container, and an SPDK image has none; " +
				"use pod-failure or container-kill (engine: chaos-mesh) for an SPDK target"}
		}
		return nil
	},
	Native: func(run kubeapi.Run, node string, _ struct{}) (faults.Fault, error) {
		return &kubeapi.Pause{Run: run, Node: node}, nil
	},
	// The signal is sent by a command exec'd in the target's container.
	NativeAccess: func(struct{}) []authv1.ResourceAttributes {
		return []authv1.ResourceAttributes{{Verb: "create", Resource: "pods", Subresource: "exec"}}
	},
})
