package catalog

import (
	authv1 "k8s.io/api/authorization/v1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/kubeapi"
)

// NodeDrain cordons the node a target pod runs on and evicts the run's
// target pods there; recovery uncordons and brings them back.
const NodeDrain faults.Kind = "node-drain"

var nodeDrain = Define(Def[struct{}]{
	Kind:          NodeDrain,
	Summary:       "cordon the target pod's node, evict the run's target pods there; uncordon and bring them back after the duration",
	NeedsDuration: true,
	Immediate:     true,
	Native: func(run kubeapi.Run, node string, _ struct{}) (faults.Fault, error) {
		return &kubeapi.Drain{Run: run, Node: node}, nil
	},
	NativeAccess: func(struct{}) []authv1.ResourceAttributes {
		return []authv1.ResourceAttributes{{Verb: "get", Resource: "nodes"}, {Verb: "patch", Resource: "nodes"},
			{Verb: "create", Resource: "pods", Subresource: "eviction"}}
	},
})
