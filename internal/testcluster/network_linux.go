package testcluster

import (
	"context"
	"fmt"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

// createNetwork makes the bridge in the root namespace, one namespace per
// node joined to it by a veth pair, and the routes that let every node,
// and the harness in the root namespace, reach every pod network and the
// service network.
func createNetwork(ctx context.Context, nodes []Node) error {
	prefixLen := nodeNet.Bits()
	steps := [][]string{
		{"link", "add", bridgeName, "type", "bridge"},
		{"addr", "add", fmt.Sprintf("%s/%d", bridgeIP(), prefixLen), "dev", bridgeName},
		{"link", "set", bridgeName, "up"},
	}
	for _, n := range nodes {
		steps = append(steps,
			[]string{"netns", "add", n.Netns},
			[]string{"link", "add", n.HostVeth, "type", "veth", "peer", "name", "eth0", "netns", n.Netns},
			[]string{"link", "set", n.HostVeth, "master", bridgeName, "up"},
			[]string{"-n", n.Netns, "addr", "add", fmt.Sprintf("%s/%d", n.IP, prefixLen), "dev", "eth0"},
			[]string{"-n", n.Netns, "link", "set", "eth0", "up"},
			[]string{"-n", n.Netns, "link", "set", "lo", "up"},
			[]string{"route", "add", n.PodCIDR.String(), "via", n.IP.String()},
		)
		for _, m := range nodes {
			if m.Index != n.Index {
				steps = append(steps, []string{"-n", n.Netns, "route", "add", m.PodCIDR.String(), "via", m.IP.String()})
			}
		}
	}
	steps = append(steps, []string{"route", "add", serviceNet.String(), "via", nodes[0].IP.String()})
	for _, s := range steps {
		if _, err := netns.IP(ctx, s...); err != nil {
			return fmt.Errorf("cluster network: %w", err)
		}
	}
	// Nodes route for their pods; ip_forward is per namespace, so the
	// host's own setting is untouched.
	for _, n := range nodes {
		if _, err := netns.Exec(ctx, n.Netns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	return nil
}

// deleteNetwork removes every namespace and link named with the cluster's
// prefix; the routes go with the bridge. It works without state, from the
// names alone, and ignores what is already gone.
func deleteNetwork(ctx context.Context) []error {
	var errs []error
	names, err := netns.Namespaces(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, ns := range names {
		if strings.HasPrefix(ns, namePrefix+"-") {
			if _, err := netns.IP(ctx, "netns", "del", ns); err != nil {
				errs = append(errs, err)
			}
		}
	}
	links, err := rootLinks(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, link := range links {
		if strings.HasPrefix(link, namePrefix+"-") {
			if _, err := netns.IP(ctx, "link", "del", link); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// rootLinks lists the root namespace's interface names.
func rootLinks(ctx context.Context) ([]string, error) {
	out, err := netns.IP(ctx, "-o", "link", "show")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		names = append(names, name)
	}
	return names, nil
}
