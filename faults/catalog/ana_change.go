package catalog

import (
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
)

// ANAChange sets the ANA state of the node's listener (planned failover).
const ANAChange faults.Kind = "ana-change"

type anaChangeParams struct {
	State string
	// RecoverState is restored on recovery; "" is the volume's
	// configured state.
	RecoverState string
}

var anaChange = Define(Def[anaChangeParams]{
	Kind:    ANAChange,
	Summary: "set the node listener's ANA state (planned failover)",
	Params: []Param{
		{Name: "state", Help: "optimized|non-optimized|inaccessible", Default: "inaccessible"},
		{Name: "recover_state", Help: "state restored on recovery (default: the volume's configured state)"}},
	Parse: func(v *Values) anaChangeParams {
		p := anaChangeParams{State: v.String("state"), RecoverState: v.String("recover_state")}
		if err := rpcfault.CheckANAState(p.State); err != nil {
			v.Fail("state", err)
		}
		if err := rpcfault.CheckANAState(p.RecoverState); p.RecoverState != "" && err != nil {
			v.Fail("recover_state", err)
		}
		return p
	},
	Immediate: true,
	RPC: func(v Volume, p anaChangeParams, _ time.Duration) (faults.Fault, error) {
		return &rpcfault.ANAChange{L: v.L, State: p.State, RecoverState: p.RecoverState}, nil
	},
})
