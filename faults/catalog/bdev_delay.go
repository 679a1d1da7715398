package catalog

import (
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
)

// BdevDelay adds params.latency to the backing device's I/O (bdev_delay).
const BdevDelay faults.Kind = "bdev-delay"

type bdevDelayParams struct {
	// Latency is the added average read and write latency.
	Latency time.Duration
}

var bdevDelay = Define(Def[bdevDelayParams]{
	Kind:          BdevDelay,
	Summary:       "add latency to the backing device (bdev_delay)",
	Params:        []Param{{Name: "latency", Help: "added average latency, Go duration", Default: "50ms"}},
	Parse:         func(v *Values) bdevDelayParams { return bdevDelayParams{Latency: v.Duration("latency", maxFaultDelay)} },
	NeedsDuration: true,
	Stack:         Stack{Delay: true},
	RPC: func(v Volume, p bdevDelayParams, _ time.Duration) (faults.Fault, error) {
		return &rpcfault.BdevDelay{Node: v.L.Node, RPC: v.L.RPC, Bdev: v.DelayBdev, Latency: p.Latency}, nil
	},
})
