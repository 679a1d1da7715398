package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"

	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

// ErrSubnetInUse means the root namespace already routes part of the
// cluster's subnet, typically another run's bridge.
var ErrSubnetInUse = errors.New("subnet already in use")

// nodeIf is a node's end of its veth pair, inside the node's namespace.
const nodeIf = "eth0"

// checkSubnet refuses a subnet the root namespace already routes through
// any device but our own bridge: two bridges on one subnet would make
// traffic to a node go to whichever route wins.
func checkSubnet(ctx context.Context, subnet netip.Prefix, bridge string) error {
	out, err := netns.IP(ctx, "-j", "-4", "route", "show")
	if err != nil {
		return err
	}
	var routes []struct {
		Dst string `json:"dst"`
		Dev string `json:"dev"`
	}
	if err := json.Unmarshal(out, &routes); err != nil && len(out) > 0 {
		return fmt.Errorf("ip route show: %w", err)
	}
	for _, r := range routes {
		dst, err := netip.ParsePrefix(r.Dst)
		if err != nil {
			if a, aerr := netip.ParseAddr(r.Dst); aerr == nil {
				dst = netip.PrefixFrom(a, 32)
			} else {
				continue // "default" and other non-prefix destinations
			}
		}
		if dst.Overlaps(subnet) && r.Dev != bridge {
			return fmt.Errorf("%w: %s routes %s via %s; pick another Subnet or run ID", ErrSubnetInUse, subnet, dst, r.Dev)
		}
	}
	return nil
}

// createBridge makes the bridge in the root namespace with the host side's
// address, so the harness reaches every node directly. Idempotent.
func createBridge(ctx context.Context, name string, addr netip.Prefix) error {
	ok, err := netns.HasLink(ctx, "", name)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := netns.IP(ctx, "link", "add", name, "type", "bridge"); err != nil {
			return err
		}
	}
	if _, err := netns.IP(ctx, "addr", "replace", addr.String(), "dev", name); err != nil {
		return err
	}
	_, err = netns.IP(ctx, "link", "set", name, "up")
	return err
}

// createNodeNet makes the node's namespace and a veth pair whose host end
// joins the bridge and whose node end is eth0 with addr. Idempotent.
func createNodeNet(ctx context.Context, ns, hostIf, bridge string, addr netip.Prefix) error {
	if err := netns.AddNamespace(ctx, ns); err != nil {
		return err
	}
	ok, err := netns.HasLink(ctx, "", hostIf)
	if err != nil {
		return err
	}
	if !ok {
		// A half-made pair from an interrupted create may have left eth0
		// behind in the namespace; the pair must be made whole again.
		_, _ = netns.IP(ctx, "-n", ns, "link", "del", nodeIf) // usually absent: nothing to undo
		if _, err := netns.IP(ctx, "link", "add", hostIf, "type", "veth", "peer", "name", nodeIf, "netns", ns); err != nil {
			return err
		}
	}
	steps := [][]string{
		{"link", "set", hostIf, "master", bridge, "up"},
		{"-n", ns, "addr", "replace", addr.String(), "dev", nodeIf},
		{"-n", ns, "link", "set", nodeIf, "up"},
		{"-n", ns, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if _, err := netns.IP(ctx, s...); err != nil {
			return err
		}
	}
	return nil
}
