package scenarios

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
)

// runnable refuses what the run's engines cannot do with this scenario
// and that the file alone decides: the run used to find these out only
// after starting targets. What depends on this machine (root, tools,
// namespaces) stays with the run's preflight.
func (v *validator) runnable(s *Scenario) {
	for i, vol := range s.Volumes {
		if !slices.Contains(validBackings, string(backingOf(vol))) {
			continue // named by volumes
		}
		nodes := len(vol.Nodes)
		if vol.Shared != nil && !*vol.Shared {
			nodes = min(nodes, 1) // each node gets a copy of its own
		}
		if err := volume.CheckSharing(backingOf(vol), nodes); err != nil {
			v.errorf(fmt.Sprintf("volumes[%d].backing", i), "%v", err)
		}
	}
	if s.Cluster.Backend == backendKubernetes {
		return // validate_kube names what that backend cannot inject
	}
	target := cmp.Or(s.Cluster.Target, targetEmbedded)
	if n := len(s.Cluster.Nodes); target != targetExternal && n > cluster.MaxNodes {
		v.errorf("cluster.nodes", "%d nodes: a local cluster runs at most %d", n, cluster.MaxNodes)
	}
	for i, f := range s.Timeline.Faults {
		spec, ok := faults.Lookup(faults.Kind(f.Kind))
		if !ok {
			continue // named by timeline
		}
		switch {
		case target == targetExternal && (needsProcess(spec.Kind) || spec.NeedsRoot):
			v.errorf(faultField(i, "kind"), "%s: the harness neither runs nor networks an external target; "+
				"use RPC faults (ana-change, listener-remove, bdev-*) or latency", f.Kind)
		case target == targetSPDK && spec.Kind == faults.NetworkPartition && f.Params["port"] == "rpc":
			v.errorf(faultField(i, "params.port"), "nvmf_tgt serves RPC only on a unix socket, so there is no management network to partition")
		}
	}
}
