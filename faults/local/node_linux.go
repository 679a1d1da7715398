package local

import "net/netip"

// Node is what the local engine knows of a node: everything a fault of any
// local kind may act on. The run fills it in from its cluster; the fault
// catalog's local builders pick what their kind acts on.
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
