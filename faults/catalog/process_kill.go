package catalog

import (
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/faults/kubeapi"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// ProcessKill sends SIGKILL to the node's target; recovery restarts it.
const ProcessKill faults.Kind = "process-kill"

type processKillParams struct {
	// Restart starts the target again on recovery.
	Restart bool
}

var processKill = Define(Def[processKillParams]{
	Kind:      ProcessKill,
	Summary:   "SIGKILL the node's target, restart it after the duration",
	Params:    []Param{{Name: "restart", Help: "restart the target on recovery (true|false)", Default: "true"}},
	Parse:     func(v *Values) processKillParams { return processKillParams{Restart: v.Bool("restart")} },
	Immediate: true,
	OnProcess: true,
	Local: func(n *local.Node, p processKillParams, _ time.Duration) (faults.Fault, error) {
		procs, err := processes(n)
		if err != nil {
			return nil, err
		}
		return local.NewKill(n.Node, procs[0], p.Restart), nil
	},
	// The pod deleted with no grace: the run brings it back on recovery.
	Native: func(run kubeapi.Run, node string, _ processKillParams) (faults.Fault, error) {
		return &kubeapi.Delete{Run: run, Node: node, Grace: 0}, nil
	},
	Chaos: &Chaos[processKillParams]{
		Object: func(t chaosmesh.Target, _ processKillParams) (chaosmesh.Object, error) {
			return t.PodChaos(v1alpha1.PodKillAction), nil
		},
		Needs:     chaosmesh.Needs{Resource: "podchaos"},
		BringBack: true,
	},
})
