package faults

import (
	"fmt"
	"slices"
	"strings"
)

// Engine is what injects a fault: each kind lists the engines that can.
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

// Kubernetes-only kinds: they exist only where a cluster does.
const (
	// NodeDrain cordons the node a target pod runs on and evicts the
	// run's target pods there; recovery uncordons and brings them back.
	NodeDrain Kind = "node-drain"
	// DriverKill deletes the storage driver's pods; their controllers
	// bring them back.
	DriverKill Kind = "driver-kill"
	// PodFailure makes the target pod fail (Chaos Mesh swaps its image
	// for one that never runs) for the duration.
	PodFailure Kind = "pod-failure"
	// ContainerKill kills the target container inside its pod; the
	// run brings the target back (Chaos Mesh, needs chaos-daemon).
	ContainerKill Kind = "container-kill"
	// MemoryStress eats memory beside the target (Chaos Mesh).
	MemoryStress Kind = "memory-stress"
	// KubeletStop stops (SIGSTOP) the kubelet of the target pod's node,
	// and RuntimeStop its container runtime, through chaosd on the node
	// (Chaos Mesh PhysicalMachineChaos).
	KubeletStop Kind = "kubelet-stop"
	RuntimeStop Kind = "runtime-stop"
)

// kubeOnly are the specs of the Kubernetes-only kinds.
var kubeOnly = map[Kind]Spec{
	NodeDrain: {Kind: NodeDrain, Immediate: true, NeedsDuration: true,
		Summary: "cordon the target pod's node, evict the run's target pods there; uncordon and bring them back after the duration"},
	DriverKill: {Kind: DriverKill, Summary: "delete the storage driver's pods; their controllers bring them back",
		Params: []Param{
			{Name: "namespace", Help: "namespace of the driver's pods", Default: "kube-system"},
			{Name: "selector", Help: "label selector of the driver's pods", Default: "app in (spdkcsi-controller,spdkcsi-node)"}}},
	PodFailure: {Kind: PodFailure, Immediate: true, NeedsDuration: true,
		Summary: "make the target pod fail for the duration (its container image swapped for one that never runs)"},
	ContainerKill: {Kind: ContainerKill, Immediate: true, Summary: "kill the target container inside its pod; the run brings the target back after"},
	KubeletStop: {Kind: KubeletStop, NeedsDuration: true,
		Summary: "stop the kubelet of the target pod's node (chaosd), continue it after the duration",
		Params:  []Param{{Name: "process", Help: "the kubelet's process name on the node", Default: "kubelet"}}},
	RuntimeStop: {Kind: RuntimeStop, NeedsDuration: true,
		Summary: "stop the container runtime of the target pod's node (chaosd), continue it after the duration",
		Params:  []Param{{Name: "process", Help: "the runtime's process name on the node", Default: "containerd"}}},
	MemoryStress: {Kind: MemoryStress, NeedsDuration: true, Summary: "eat memory beside the node's target",
		Params: []Param{
			{Name: "size", Help: "memory to eat per worker, e.g. 256MB or 50%", Default: "256MB"},
			{Name: "workers", Help: "stressors", Default: "1"}}},
}

func init() {
	for k, s := range kubeOnly {
		specs[k] = s
	}
	for k, es := range engines {
		s := specs[k]
		s.Engines = es
		specs[k] = s
	}
}

// engines lists, per kind, the engines that inject it; on Kubernetes the
// first of native and chaos-mesh listed is the default.
var engines = map[Kind][]Engine{
	ProcessKill:      {EngineLocal, EngineNative, EngineChaosMesh},
	ProcessPause:     {EngineLocal, EngineNative},
	ProcessRestart:   {EngineLocal, EngineNative},
	NodeDown:         {EngineLocal},
	NetworkPartition: {EngineLocal, EngineChaosMesh},
	PacketLoss:       {EngineLocal, EngineChaosMesh},
	Bandwidth:        {EngineLocal, EngineChaosMesh},
	Latency:          {EngineLocal, EngineChaosMesh},
	ANAChange:        {EngineRPC},
	ListenerRemove:   {EngineRPC},
	BdevDelay:        {EngineRPC},
	BdevError:        {EngineRPC},
	CPUStress:        {EngineLocal, EngineChaosMesh},
	NodeDrain:        {EngineNative},
	DriverKill:       {EngineNative},
	PodFailure:       {EngineChaosMesh},
	ContainerKill:    {EngineChaosMesh},
	MemoryStress:     {EngineChaosMesh},
	KubeletStop:      {EngineChaosMesh},
	RuntimeStop:      {EngineChaosMesh},
}

// KubeEngine picks the engine of a fault on Kubernetes: the one asked for
// ("" takes the kind's default), checked against what the kind supports.
func (s Spec) KubeEngine(asked string) (Engine, error) {
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
func (s Spec) Local() bool {
	return slices.Contains(s.Engines, EngineLocal) || slices.Contains(s.Engines, EngineRPC)
}

func engineList(es []Engine) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e)
	}
	return strings.Join(out, " or ")
}
