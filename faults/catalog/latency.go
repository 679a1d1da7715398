package catalog

import (
	"errors"
	"fmt"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// Latency delays the node's traffic by params.delay: through a userspace
// TCP proxy on the local backend (this kernel has no netem), with netem
// through Chaos Mesh.
const Latency faults.Kind = "latency"

type latencyParams struct {
	Delay time.Duration
	// Text is the delay as written, which Chaos Mesh takes.
	Text string
}

var latency = Define(Def[latencyParams]{
	Kind:    Latency,
	Summary: "delay the node's traffic through a userspace proxy",
	Params:  []Param{{Name: "delay", Help: "one-way delay, Go duration", Default: "5ms"}},
	Parse: func(v *Values) latencyParams {
		return latencyParams{Delay: v.Duration("delay", maxFaultDelay), Text: v.String("delay")}
	},
	NeedsDuration: true,
	LocalProxy:    true,
	Fits: func(w Where, p latencyParams) error {
		if !w.Kube && p.Delay > local.MaxDelay {
			return misplaced("delay", p.Text, fmt.Sprintf("delay %q: the local proxy delays at most %s (longer is an outage: use network-partition)", p.Text, local.MaxDelay))
		}
		return nil
	},
	Local: func(n *local.Node, p latencyParams, _ time.Duration) (faults.Fault, error) {
		if n.Proxy == nil {
			return nil, errors.New("the host does not reach the node through a proxy")
		}
		return local.NewLatency(n.Node, n.Proxy, p.Delay)
	},
	Chaos: &Chaos[latencyParams]{
		Object: func(t chaosmesh.Target, p latencyParams) (chaosmesh.Object, error) {
			return t.NetworkChaos(v1alpha1.DelayAction, v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: p.Text}}), nil
		},
		Needs: chaosmesh.Needs{Resource: "networkchaos", Daemon: true, Netem: true},
	},
})
