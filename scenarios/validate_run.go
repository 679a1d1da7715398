package scenarios

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
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
		v.kubeFaultsFit(s) // validate_kube names what else that backend cannot inject
		return
	}
	target := cmp.Or(s.Cluster.Target, targetEmbedded)
	if n := len(s.Cluster.Nodes); target != targetExternal && n > cluster.MaxNodes {
		v.errorf("cluster.nodes", "%d nodes: a local cluster runs at most %d", n, cluster.MaxNodes)
	}
	for i, f := range s.Timeline.Faults {
		cfg := v.faults[i]
		if cfg.Spec == nil {
			continue // named by timeline
		}
		if target == targetExternal && (cfg.OnProcess || cfg.NeedsRoot) {
			v.errorf(faultField(i, "kind"), "%s: the harness neither runs nor networks an external target; "+
				"use RPC faults (ana-change, listener-remove, bdev-*) or latency", f.Kind)
			continue
		}
		engine := catalog.EngineLocal
		if cfg.PerVolume() {
			engine = catalog.EngineRPC
		}
		v.fits(i, cfg, catalog.Where{SPDK: target == targetSPDK, External: target == targetExternal, Engine: engine})
	}
}

// fits refuses a use of fault i's kind its engine cannot make with its
// params, at the param when the kind names one.
func (v *validator) fits(i int, cfg catalog.Config, w catalog.Where) {
	for _, pe := range catalog.ParamErrors(cfg.Fits(w)) {
		if pe.Name == "" {
			v.errorf(faultField(i, "kind"), "%s", pe.Msg)
		} else {
			v.errorf(faultField(i, "params."+pe.Name), "%s", pe.Msg)
		}
	}
}
