package faults

import (
	"fmt"
	"sort"
	"strings"
)

// Kind names a fault in the one vocabulary both engines (local processes and
// namespaces, Kubernetes with Chaos Mesh) understand. Scenario files use these
// strings verbatim.
type Kind string

// The fault kinds of the local engine (engine.go lists every kind's engines).
const (
	// ProcessKill sends SIGKILL to the node's target; recovery restarts it.
	ProcessKill Kind = "process-kill"
	// ProcessPause stops the target with SIGSTOP and resumes it with SIGCONT:
	// a hang with TCP connections still up.
	ProcessPause Kind = "process-pause"
	// ProcessRestart stops the target gracefully (SIGTERM) and starts it again.
	ProcessRestart Kind = "process-restart"
	// NodeDown silently drops all the node's traffic, then kills its
	// processes; recovery restores traffic and restarts them.
	NodeDown Kind = "node-down"
	// NetworkPartition drops traffic between the host and the node (the data
	// path, or only the RPC port with params.port=rpc).
	NetworkPartition Kind = "network-partition"
	// PacketLoss drops a random share of the node's packets (params.percent).
	PacketLoss Kind = "packet-loss"
	// Bandwidth squeezes the node's link to params.rate with tc tbf.
	Bandwidth Kind = "bandwidth"
	// Latency delays the node's traffic by params.delay through a userspace
	// TCP proxy (this kernel has no netem).
	Latency Kind = "latency"
	// ANAChange sets the ANA state of the node's listener (planned failover).
	ANAChange Kind = "ana-change"
	// ListenerRemove removes the node's listener and adds it back on recovery.
	ListenerRemove Kind = "listener-remove"
	// BdevDelay adds params.latency to the backing device's I/O (bdev_delay).
	BdevDelay Kind = "bdev-delay"
	// BdevError makes the backing device fail I/O (bdev_error).
	BdevError Kind = "bdev-error"
	// CPUStress starves the node's target of CPU with busy loops.
	CPUStress Kind = "cpu-stress"
)

// Param describes one parameter a fault kind accepts in a scenario's
// params map.
type Param struct {
	Name    string
	Help    string
	Default string
}

// Spec is what a scenario validator needs to know about a kind.
type Spec struct {
	Kind Kind
	// Summary is one line for `nvmf-chaos list --faults` and error messages.
	Summary string
	// NeedsDuration means the fault has a recover step and a scenario must
	// say how long it lasts.
	NeedsDuration bool
	// NeedsRoot means the local engine needs root (namespaces, nftables, tc).
	NeedsRoot bool
	// Params are the accepted params keys; any other key is an error.
	Params []Param
	// Immediate means the fault acts on I/O the moment it is injected (a
	// dead, stopped or unreachable path): a stall it causes starts then,
	// however long it lasts. The others degrade I/O while they last and may
	// cause a stall at any point.
	Immediate bool
	// Engines can inject the kind (engine.go).
	Engines []Engine
}

var specs = map[Kind]Spec{
	ProcessKill: {Kind: ProcessKill, Immediate: true, Summary: "SIGKILL the node's target, restart it after the duration",
		Params: []Param{{Name: "restart", Help: "restart the target on recovery (true|false)", Default: "true"}}},
	ProcessPause:   {Kind: ProcessPause, Immediate: true, Summary: "SIGSTOP the node's target, SIGCONT after the duration", NeedsDuration: true},
	ProcessRestart: {Kind: ProcessRestart, Immediate: true, Summary: "SIGTERM the node's target, wait for exit, start it again"},
	NodeDown: {Kind: NodeDown, Immediate: true, Summary: "drop all the node's traffic, kill its processes; restore and restart after the duration",
		NeedsDuration: true, NeedsRoot: true},
	NetworkPartition: {Kind: NetworkPartition, Immediate: true, Summary: "drop traffic between host and node (data path or RPC only)",
		NeedsDuration: true, NeedsRoot: true,
		Params: []Param{{Name: "port", Help: "data|rpc|all", Default: "data"}}},
	PacketLoss: {Kind: PacketLoss, Summary: "randomly drop a share of the node's packets", NeedsDuration: true, NeedsRoot: true,
		Params: []Param{{Name: "percent", Help: "share of packets dropped, 1-100", Default: "10"}}},
	Bandwidth: {Kind: Bandwidth, Summary: "limit the node's link rate with tc tbf", NeedsDuration: true, NeedsRoot: true,
		Params: []Param{{Name: "rate", Help: "rate in tc syntax, e.g. 10mbit", Default: "10mbit"}}},
	Latency: {Kind: Latency, Summary: "delay the node's traffic through a userspace proxy", NeedsDuration: true,
		Params: []Param{{Name: "delay", Help: "one-way delay, Go duration", Default: "5ms"}}},
	ANAChange: {Kind: ANAChange, Immediate: true, Summary: "set the node listener's ANA state (planned failover)",
		Params: []Param{
			{Name: "state", Help: "optimized|non-optimized|inaccessible", Default: "inaccessible"},
			{Name: "recover_state", Help: "state restored on recovery (default: the volume's configured state)"}}},
	ListenerRemove: {Kind: ListenerRemove, Immediate: true, Summary: "remove the node's listener, add it back after the duration", NeedsDuration: true},
	BdevDelay: {Kind: BdevDelay, Summary: "add latency to the backing device (bdev_delay)", NeedsDuration: true,
		Params: []Param{{Name: "latency", Help: "added average latency, Go duration", Default: "50ms"}}},
	BdevError: {Kind: BdevError, Summary: "make the backing device fail I/O (bdev_error)", NeedsDuration: true,
		Params: []Param{
			{Name: "io_type", Help: "read|write|all", Default: "all"},
			{Name: "num", Help: "number of I/Os to fail", Default: "1000"}}},
	CPUStress: {Kind: CPUStress, Summary: "starve the node's target of CPU with busy loops", NeedsDuration: true,
		Params: []Param{{Name: "workers", Help: "busy loops per CPU", Default: "2"}}},
}

// Lookup returns the spec of a kind.
func Lookup(k Kind) (Spec, bool) {
	s, ok := specs[k]
	return s, ok
}

// Kinds lists every kind, sorted.
func Kinds() []Kind {
	out := make([]Kind, 0, len(specs))
	for k := range specs {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Param is a parameter's value: the one given, else the kind's default
// for it ("" for a name the kind does not take).
func (s Spec) Param(given map[string]string, name string) string {
	if v, ok := given[name]; ok {
		return v
	}
	for _, p := range s.Params {
		if p.Name == name {
			return p.Default
		}
	}
	return ""
}

// ParamNames lists the params keys a kind accepts, sorted.
func (s Spec) ParamNames() []string {
	out := make([]string, len(s.Params))
	for i, p := range s.Params {
		out[i] = p.Name
	}
	sort.Strings(out)
	return out
}

// ParseKind checks a kind string, listing the known ones when it is not.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if _, ok := specs[k]; ok {
		return k, nil
	}
	names := make([]string, 0, len(specs))
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("unknown fault kind %q (known: %s)", s, strings.Join(names, ", "))
}
