package catalog

import (
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// NodeDown silently drops all the node's traffic, then kills its
// processes; recovery restores traffic and restarts them.
const NodeDown faults.Kind = "node-down"

var nodeDown = Define(Def[struct{}]{
	Kind:          NodeDown,
	Summary:       "drop all the node's traffic, kill its processes; restore and restart after the duration",
	NeedsDuration: true,
	Immediate:     true,
	NeedsRoot:     true,
	OnProcess:     true,
	Local: func(n *local.Node, _ struct{}, _ time.Duration) (faults.Fault, error) {
		procs, err := processes(n)
		if err != nil {
			return nil, err
		}
		return local.NewNodeDown(n.NodeNet, procs...)
	},
	LocalNeeds: func() error {
		return local.Requires("nftables rules in the node's network namespace", "ip", "nft")
	},
})
