package local

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// Node is what the local engine knows of a node: everything a fault of any
// local kind may act on. The local provisioner fills it in.
type Node struct {
	NodeNet
	// Host is the harness's address as the node sees it (partitions).
	Host netip.Addr
	// DataPorts are the NVMe/TCP listener ports, RPCPorts the JSON-RPC ones.
	DataPorts, RPCPorts []uint16
	// Links are the interfaces bandwidth shapes: the node's veth end and,
	// to shape both directions, the host's.
	Links []Link
	// Target is the node's target process.
	Target Process
	// Others are the node's other processes, killed with it on node-down.
	Others []Process
	// Proxy is the delaying proxy on the host's path to the node, when the
	// provisioner put one there (latency).
	Proxy Delayer
}

// stressMargin is how long cpu-stress loops may outlive their scheduled
// duration before stopping by themselves.
const stressMargin = 30 * time.Second

// Build makes the local fault of kind for node from a scenario's params
// (missing ones take the defaults of faults.Lookup). duration is the
// fault's scheduled duration, bounding what must stop by itself. Kinds of
// another engine (ana-change, bdev-*) are refused.
func Build(kind faults.Kind, n *Node, params map[string]string, duration time.Duration) (faults.Fault, error) {
	if n == nil {
		return nil, fmt.Errorf("%s: no node", kind)
	}
	spec, ok := faults.Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("unknown fault kind %q", kind)
	}
	p, err := newParams(spec, params)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, n.Node, err)
	}
	if needsTarget[kind] {
		return buildProcessFault(kind, n, p, duration)
	}
	return buildNetFault(kind, n, p)
}

// misuse names the fault in an error the constructors did not name.
func misuse(kind faults.Kind, n *Node, err error) error {
	return fmt.Errorf("%s %s: %w", kind, n.Node, err)
}

// buildProcessFault builds the kinds acting on the node's processes.
func buildProcessFault(kind faults.Kind, n *Node, p params, duration time.Duration) (faults.Fault, error) {
	if n.Target == nil {
		return nil, misuse(kind, n, errors.New("the node has no target process"))
	}
	all := append([]Process{n.Target}, n.Others...)
	switch kind {
	case faults.ProcessKill:
		restart, err := p.bool("restart")
		if err != nil {
			return nil, misuse(kind, n, err)
		}
		return NewKill(n.Node, n.Target, restart), nil
	case faults.ProcessPause:
		return NewPause(n.Node, n.Target), nil
	case faults.ProcessRestart:
		return NewRestart(n.Node, n.Target, DefaultGrace), nil
	case faults.NodeDown:
		return NewNodeDown(n.NodeNet, all...)
	default: // faults.CPUStress
		w, err := p.int("workers")
		if err != nil {
			return nil, misuse(kind, n, err)
		}
		return NewCPUStress(n.Node, w, duration+stressMargin, all...)
	}
}

// buildNetFault builds the kinds acting on the node's network.
func buildNetFault(kind faults.Kind, n *Node, p params) (faults.Fault, error) {
	switch kind {
	case faults.NetworkPartition:
		ports, err := PartitionPorts(p.get("port"), n.DataPorts, n.RPCPorts)
		if err != nil {
			return nil, misuse(kind, n, err)
		}
		return NewPartition(PartitionConfig{NodeNet: n.NodeNet, Host: n.Host, Ports: ports})
	case faults.PacketLoss:
		pct, err := p.int("percent")
		if err != nil {
			return nil, misuse(kind, n, err)
		}
		return NewPacketLoss(n.NodeNet, pct)
	case faults.Bandwidth:
		return NewBandwidth(n.Node, p.get("rate"), n.Links...)
	case faults.Latency:
		d, err := time.ParseDuration(p.get("delay"))
		if err != nil {
			return nil, misuse(kind, n, fmt.Errorf("delay: %w", err))
		}
		if n.Proxy == nil {
			return nil, misuse(kind, n, errors.New("the host does not reach the node through a proxy"))
		}
		return NewLatency(n.Node, n.Proxy, d)
	}
	spec, _ := faults.Lookup(kind)
	return nil, misuse(kind, n, fmt.Errorf("not a local fault: its engines are %v", spec.Engines))
}

// needsTarget lists the kinds that act on the node's target process.
var needsTarget = map[faults.Kind]bool{
	faults.ProcessKill: true, faults.ProcessPause: true, faults.ProcessRestart: true,
	faults.NodeDown: true, faults.CPUStress: true,
}

// params are a fault's parameters with the kind's defaults filled in.
type params map[string]string

func newParams(spec faults.Spec, given map[string]string) (params, error) {
	p := params{}
	for _, d := range spec.Params {
		p[d.Name] = d.Default
	}
	for k, v := range given {
		if _, ok := p[k]; !ok {
			return nil, fmt.Errorf("no parameter %q (allowed: %v)", k, spec.ParamNames())
		}
		p[k] = v
	}
	return p, nil
}

func (p params) get(k string) string { return p[k] }

func (p params) int(k string) (int, error) {
	v, err := strconv.Atoi(p[k])
	if err != nil {
		return 0, fmt.Errorf("%s %q: want an integer", k, p[k])
	}
	return v, nil
}

func (p params) bool(k string) (bool, error) {
	v, err := strconv.ParseBool(p[k])
	if err != nil {
		return false, fmt.Errorf("%s %q: want true or false", k, p[k])
	}
	return v, nil
}
