package catalog

import (
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// Bandwidth squeezes the node's link to params.rate with tc tbf.
const Bandwidth faults.Kind = "bandwidth"

type bandwidthParams struct {
	// Rate in tc syntax, checked by local.ParseRate; both engines take
	// the text.
	Rate string
}

var bandwidth = Define(Def[bandwidthParams]{
	Kind:    Bandwidth,
	Summary: "limit the node's link rate with tc tbf",
	Params:  []Param{{Name: "rate", Help: "rate in tc syntax, e.g. 10mbit", Default: "10mbit"}},
	Parse: func(v *Values) bandwidthParams {
		if _, err := local.ParseRate(v.String("rate")); err != nil {
			v.Fail("rate", err)
		}
		return bandwidthParams{Rate: v.String("rate")}
	},
	NeedsDuration: true,
	NeedsRoot:     true,
	Local: func(n *local.Node, p bandwidthParams, _ time.Duration) (faults.Fault, error) {
		return local.NewBandwidth(n.Node, p.Rate, n.Links...)
	},
	LocalNeeds: func() error { return local.Requires("tc qdiscs on the node's links", "ip", "tc") },
	Chaos: &Chaos[bandwidthParams]{
		// limit (bytes queued) and buffer (bucket bytes) are tbf's; the
		// values are Chaos Mesh's documented example.
		Object: func(t chaosmesh.Target, p bandwidthParams) (chaosmesh.Object, error) {
			return t.NetworkChaos(v1alpha1.BandwidthAction, v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{
				Rate: p.Rate, Limit: 20971520, Buffer: 10000,
			}}), nil
		},
		Needs: chaosmesh.Needs{Resource: "networkchaos", Daemon: true},
	},
})
