package catalog

import (
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
)

// ListenerRemove removes the node's listener and adds it back on recovery.
const ListenerRemove faults.Kind = "listener-remove"

var listenerRemove = Define(Def[struct{}]{
	Kind:          ListenerRemove,
	Summary:       "remove the node's listener, add it back after the duration",
	NeedsDuration: true,
	Immediate:     true,
	RPC: func(v Volume, _ struct{}, _ time.Duration) (faults.Fault, error) {
		return &rpcfault.ListenerRemove{L: v.L}, nil
	},
})
