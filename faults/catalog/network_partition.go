package catalog

import (
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
)

// NetworkPartition drops traffic between the host and the node (the data
// path, or only the RPC port with params.port=rpc).
const NetworkPartition faults.Kind = "network-partition"

type networkPartitionParams struct {
	// Port is the traffic cut: data, rpc or all.
	Port string
}

var networkPartition = Define(Def[networkPartitionParams]{
	Kind:    NetworkPartition,
	Summary: "drop traffic between host and node (data path or RPC only)",
	Params:  []Param{{Name: "port", Help: "data|rpc|all", Default: "data"}},
	Parse: func(v *Values) networkPartitionParams {
		return networkPartitionParams{Port: v.OneOf("port", "data", "rpc", "all")}
	},
	NeedsDuration: true,
	Immediate:     true,
	NeedsRoot:     true,
	Fits: func(w Where, p networkPartitionParams) error {
		switch {
		case p.Port != "rpc":
		case w.Kube:
			return misplaced("port", p.Port, "on Kubernetes the harness reaches the RPC through the API server, which a pod's network rules do not see; use data")
		case w.SPDK:
			return misplaced("port", p.Port, "nvmf_tgt serves RPC only on a unix socket, so there is no management network to partition")
		}
		return nil
	},
	Local: func(n *local.Node, p networkPartitionParams, _ time.Duration) (faults.Fault, error) {
		ports, err := local.PartitionPorts(p.Port, n.DataPorts, n.RPCPorts)
		if err != nil {
			return nil, err
		}
		return local.NewPartition(local.PartitionConfig{NodeNet: n.NodeNet, Host: n.Host, Ports: ports})
	},
	LocalNeeds: func() error {
		return local.Requires("nftables rules in the node's network namespace", "ip", "nft")
	},
	Chaos: &Chaos[networkPartitionParams]{
		Object: func(t chaosmesh.Target, _ networkPartitionParams) (chaosmesh.Object, error) {
			return t.NetworkChaos(v1alpha1.PartitionAction, v1alpha1.TcParameter{}), nil
		},
		Needs: chaosmesh.Needs{Resource: "networkchaos", Daemon: true},
	},
})
