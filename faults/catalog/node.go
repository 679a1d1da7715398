package catalog

import (
	"errors"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// maxFaultDelay bounds the delays a kind adds (latency, bdev-delay): far
// past any io_timeout, so a longer one can only measure a timeout.
const maxFaultDelay = time.Minute

// processes are the node's target, then its other processes: what a kind
// acting on the node's processes stops, kills or competes with.
func processes(n *local.Node) ([]local.Process, error) {
	if n.Target == nil {
		return nil, errors.New("the node has no target process")
	}
	return append([]local.Process{n.Target}, n.Others...), nil
}

// misplaced is a param error that is not about the value's syntax but
// about where it is used.
func misplaced(name, value, msg string) *ParamError {
	return &ParamError{Name: name, Value: value, Msg: msg}
}
