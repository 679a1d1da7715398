package catalog

import (
	"math"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
)

// BdevError makes the backing device fail I/O (bdev_error).
const BdevError faults.Kind = "bdev-error"

type bdevErrorParams struct {
	// IOType is read, write or all.
	IOType string
	// Num is how many I/Os fail.
	Num uint32
}

var bdevError = Define(Def[bdevErrorParams]{
	Kind:    BdevError,
	Summary: "make the backing device fail I/O (bdev_error)",
	Params: []Param{
		{Name: "io_type", Help: "read|write|all", Default: "all"},
		{Name: "num", Help: "number of I/Os to fail", Default: "1000"}},
	Parse: func(v *Values) bdevErrorParams {
		return bdevErrorParams{IOType: v.OneOf("io_type", "read", "write", "all"), Num: uint32(v.Int("num", 1, math.MaxInt32))}
	},
	NeedsDuration: true,
	Stack:         Stack{Errors: true},
	RPC: func(v Volume, p bdevErrorParams, _ time.Duration) (faults.Fault, error) {
		return &rpcfault.BdevError{Node: v.L.Node, RPC: v.L.RPC, Bdev: v.ErrorBdev, IOType: p.IOType, Num: p.Num}, nil
	},
})
