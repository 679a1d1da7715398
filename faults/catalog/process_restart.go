package catalog

import (
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/kubeapi"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// ProcessRestart stops the target gracefully (SIGTERM) and starts it
// again.
const ProcessRestart faults.Kind = "process-restart"

// podGrace is the grace period of a restart's pod delete: the target
// closes its connections on SIGTERM well within it.
const podGrace = 5

var processRestart = Define(Def[struct{}]{
	Kind:      ProcessRestart,
	Summary:   "SIGTERM the node's target, wait for exit, start it again",
	Immediate: true,
	OnProcess: true,
	Local: func(n *local.Node, _ struct{}, _ time.Duration) (faults.Fault, error) {
		procs, err := processes(n)
		if err != nil {
			return nil, err
		}
		return local.NewRestart(n.Node, procs[0], local.DefaultGrace), nil
	},
	Native: func(run kubeapi.Run, node string, _ struct{}) (faults.Fault, error) {
		return &kubeapi.Delete{Run: run, Node: node, Grace: podGrace, Restart: true}, nil
	},
})
