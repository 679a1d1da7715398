package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// Engine is what injects a fault: each kind lists the engines that can,
// the ones its Def gives a builder for.
type Engine string

// The engines.
const (
	// EngineLocal: processes, network namespaces, nftables and tc on this
	// machine (the local backend).
	EngineLocal Engine = "local"
	// EngineRPC: the target's own JSON-RPC, on every backend.
	EngineRPC Engine = "rpc"
	// EngineNative: the Kubernetes API only (pods, evictions, exec):
	// works on every cluster, nothing to install.
	EngineNative Engine = "native"
	// EngineChaosMesh: Chaos Mesh objects; needs Chaos Mesh installed.
	EngineChaosMesh Engine = "chaos-mesh"
)

// KubeEngine picks the engine of a fault on Kubernetes: the one asked for
// ("" takes the kind's default: the target's RPC when the kind goes
// through it, else native, else chaos-mesh), checked against what the kind
// supports.
func (s *Spec) KubeEngine(asked string) (Engine, error) {
	var ok []Engine
	for _, e := range s.Engines {
		if e == EngineRPC && asked == "" {
			return EngineRPC, nil // the target's RPC works the same everywhere
		}
		if e == EngineNative || e == EngineChaosMesh {
			ok = append(ok, e)
		}
	}
	switch {
	case len(ok) == 0 && asked == "":
		return "", fmt.Errorf("%s has no Kubernetes engine", s.Kind)
	case asked == "":
		return ok[0], nil
	case slices.Contains(ok, Engine(asked)):
		return Engine(asked), nil
	case len(ok) == 0:
		return "", fmt.Errorf("engine %q: %s has no Kubernetes engine (it goes through the target's RPC, leave engine out)", asked, s.Kind)
	}
	return "", fmt.Errorf("engine %q: %s runs on %s", asked, s.Kind, engineList(ok))
}

// Local reports whether the local backend can inject the kind.
func (s *Spec) Local() bool {
	return slices.Contains(s.Engines, EngineLocal) || slices.Contains(s.Engines, EngineRPC)
}

// PerVolume reports whether the kind acts on a node's volumes one by one
// (through the target's RPC), so that a fault's volume can narrow it.
func (s *Spec) PerVolume() bool { return slices.Contains(s.Engines, EngineRPC) }

func engineList(es []Engine) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e)
	}
	return strings.Join(out, " or ")
}
