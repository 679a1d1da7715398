package catalog

import (
	"strconv"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// PacketLoss drops a random share of the node's packets (params.percent).
const PacketLoss faults.Kind = "packet-loss"

type packetLossParams struct {
	// Percent of packets dropped, 1-100.
	Percent int
}

var packetLoss = Define(Def[packetLossParams]{
	Kind:          PacketLoss,
	Summary:       "randomly drop a share of the node's packets",
	Params:        []Param{{Name: "percent", Help: "share of packets dropped, 1-100", Default: "10"}},
	Parse:         func(v *Values) packetLossParams { return packetLossParams{Percent: v.Int("percent", 1, 100)} },
	NeedsDuration: true,
	NeedsRoot:     true,
	Local: func(n *local.Node, p packetLossParams, _ time.Duration) (faults.Fault, error) {
		return local.NewPacketLoss(n.NodeNet, p.Percent)
	},
	LocalNeeds: func() error {
		return local.Requires("nftables rules in the node's network namespace", "ip", "nft")
	},
	Chaos: &Chaos[packetLossParams]{
		Object: func(t chaosmesh.Target, p packetLossParams) (chaosmesh.Object, error) {
			return t.NetworkChaos(v1alpha1.LossAction, v1alpha1.TcParameter{Loss: &v1alpha1.LossSpec{Loss: strconv.Itoa(p.Percent)}}), nil
		},
		Needs: chaosmesh.Needs{Resource: "networkchaos", Daemon: true, Netem: true},
	},
})
