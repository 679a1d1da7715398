package local

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// PartitionConfig says what a network-partition cuts.
type PartitionConfig struct {
	NodeNet
	// Host is the harness's address as the node sees it.
	Host netip.Addr
	// Ports are the node's TCP ports cut off from the host; none cuts all
	// traffic between them.
	Ports []uint16
}

// Partition is network-partition: nftables rules in the node's namespace
// drop traffic between the host and the node (all of it, or the given
// ports). Dropping, not rejecting, is the point: the host sees silence and
// must detect the loss by its timeouts.
type Partition struct{ nftFault }

var _ faults.Fault = (*Partition)(nil)

// NewPartition returns a network-partition.
func NewPartition(c PartitionConfig) (*Partition, error) {
	if !c.Host.IsValid() {
		return nil, fmt.Errorf("network-partition %s: no host address", c.Node)
	}
	h := c.Host.Unmap()
	fam := "ip"
	if h.Is6() {
		fam = "ip6"
	}
	var in, out string
	detail := "from " + h.String()
	if len(c.Ports) == 0 {
		in = fmt.Sprintf("%s saddr %s drop", fam, h)
		out = fmt.Sprintf("%s daddr %s drop", fam, h)
	} else {
		set := portSet(c.Ports)
		in = fmt.Sprintf("%s saddr %s tcp dport %s drop", fam, h, set)
		out = fmt.Sprintf("%s daddr %s tcp sport %s drop", fam, h, set)
		detail = "port " + set + " " + detail
	}
	f, err := newNFTFault("network-partition", c.NodeNet, []string{in}, []string{out}, detail)
	if err != nil {
		return nil, err
	}
	return &Partition{f}, nil
}

// portSet renders ports as an nft anonymous set: { 4420, 5260 }.
func portSet(ports []uint16) string {
	ps := slices.Clone(ports)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprint(p)
	}
	return "{ " + strings.Join(s, ", ") + " }"
}

// PartitionPorts maps a network-partition's params.port to the ports it
// cuts: "data" the NVMe/TCP listeners, "rpc" the JSON-RPC port, "all" (or
// "") everything.
func PartitionPorts(param string, data, rpc []uint16) ([]uint16, error) {
	var ports []uint16
	switch param {
	case "data":
		ports = data
	case "rpc":
		ports = rpc
	case "all", "":
		return nil, nil
	default:
		return nil, fmt.Errorf("port %q: want data, rpc or all", param)
	}
	if len(ports) == 0 {
		return nil, fmt.Errorf("port %s: the node has no %s port", param, param)
	}
	return ports, nil
}

// PacketLoss is packet-loss: each packet the node sends or receives over
// anything but loopback is dropped with the given probability.
type PacketLoss struct{ nftFault }

var _ faults.Fault = (*PacketLoss)(nil)

// NewPacketLoss returns a packet-loss of percent (1-100) % of the node's
// packets.
func NewPacketLoss(n NodeNet, percent int) (*PacketLoss, error) {
	if percent < 1 || percent > 100 {
		return nil, fmt.Errorf("packet-loss %s: percent %d: want 1..100", n.Node, percent)
	}
	// numgen yields 0..99 and nft refuses a comparison with 100, so a
	// total loss is a plain drop.
	match := fmt.Sprintf("numgen random mod 100 < %d ", percent)
	if percent == 100 {
		match = ""
	}
	in := `iifname != "lo" ` + match + "drop"
	out := `oifname != "lo" ` + match + "drop"
	f, err := newNFTFault("packet-loss", n, []string{in}, []string{out}, fmt.Sprintf("%d%%", percent))
	if err != nil {
		return nil, err
	}
	return &PacketLoss{f}, nil
}

// NodeDown is node-down, a silent node loss: first all the node's traffic
// (but loopback) is dropped, so peers see silence rather than resets, then
// its processes are killed. Recovery lets traffic through again and restarts
// them.
type NodeDown struct {
	drop   nftFault
	procs  []Process
	killed []int // the pids the last Inject killed, for TookEffect
}

var _ faults.Fault = (*NodeDown)(nil)

// NewNodeDown returns a node-down of the node's namespace and processes.
func NewNodeDown(n NodeNet, procs ...Process) (*NodeDown, error) {
	f, err := newNFTFault("node-down", n,
		[]string{`iifname != "lo" drop`}, []string{`oifname != "lo" drop`}, "")
	if err != nil {
		return nil, err
	}
	return &NodeDown{drop: f, procs: procs}, nil
}

// Available needs what the traffic drop needs.
func (d *NodeDown) Available() error { return d.drop.Available() }

// Describe names the fault and node.
func (d *NodeDown) Describe() string { return d.drop.Describe() }

// Inject drops the traffic, then kills every process. A process already
// dead is not an error: the node is down either way.
func (d *NodeDown) Inject(ctx context.Context) error {
	if err := d.drop.Inject(ctx); err != nil {
		return err
	}
	var errs []error
	d.killed = d.killed[:0]
	for _, p := range d.procs {
		d.killed = append(d.killed, p.PID())
		if err := killAndWait(ctx, p); err != nil && !errors.Is(err, ErrNotRunning) {
			errs = append(errs, fmt.Errorf("%s: kill: %w", d.Describe(), err))
		}
	}
	return errors.Join(errs...)
}

// Recover removes the drop rules, then restarts every process not running.
func (d *NodeDown) Recover(ctx context.Context) error {
	if err := d.drop.Recover(ctx); err != nil {
		return err
	}
	var errs []error
	for _, p := range d.procs {
		errs = append(errs, startIfStopped(ctx, p, d.Describe()))
	}
	return errors.Join(errs...)
}
