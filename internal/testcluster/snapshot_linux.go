package testcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

// Snapshot is the part of a machine's state a cluster can change: what
// Down must leave as Up found it.
type Snapshot struct {
	Processes []string          `json:"processes"` // running cache binaries, "pid exe"
	Mounts    []string          `json:"mounts"`
	Links     []string          `json:"links"` // root namespace interfaces
	Netns     []string          `json:"netns"`
	Routes    []string          `json:"routes"`   // root namespace IPv4 routes
	Cgroups   []string          `json:"cgroups"`  // folders one level deep in each hierarchy
	Iptables  []string          `json:"iptables"` // root namespace "table chain" pairs
	Nftables  []string          `json:"nftables"` // root namespace tables
	Sysctls   map[string]string `json:"sysctls"`
	Paths     []string          `json:"paths"` // which fixed host paths and cluster folders exist
}

// TakeSnapshot reads the machine's state now.
func TakeSnapshot(ctx context.Context, l Layout) (*Snapshot, error) {
	s := &Snapshot{Sysctls: readSysctls()}
	for _, pid := range processesOf(filepath.Join(l.Cache, "bin")) {
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		s.Processes = append(s.Processes, strconv.Itoa(pid)+" "+exe)
	}
	var err error
	if s.Mounts, err = mountPoints(); err != nil {
		return nil, err
	}
	if s.Links, err = rootLinks(ctx); err != nil {
		return nil, err
	}
	if s.Netns, err = netns.Namespaces(ctx); err != nil {
		return nil, err
	}
	out, err := netns.IP(ctx, "-4", "route", "show")
	if err != nil {
		return nil, err
	}
	s.Routes = nonEmptyLines(string(out))
	// One level deep: where the cluster's node roots, and any kubepods or
	// k8s.io folder a misconfigured kubelet or containerd made, would be;
	// deeper levels churn with whatever else the machine runs.
	for _, h := range cgroupHierarchies() {
		m, _ := filepath.Glob(filepath.Join(h, "*"))
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				s.Cgroups = append(s.Cgroups, p)
			}
		}
	}
	s.Iptables = iptablesChains(ctx)
	s.Nftables = nftTables(ctx)
	for _, p := range append(append([]string{}, fixedHostPaths...), l.Dir) {
		if _, err := os.Lstat(p); err == nil {
			s.Paths = append(s.Paths, p)
		}
	}
	s.sort()
	return s, nil
}

func (s *Snapshot) sort() {
	for _, list := range [][]string{s.Processes, s.Mounts, s.Links, s.Netns, s.Routes, s.Cgroups, s.Iptables, s.Nftables, s.Paths} {
		sort.Strings(list)
	}
}

// Diff lists how after differs from s, one line per item: "+ mount /x"
// for something that appeared, "- link y" for something gone, and
// "~ sysctl k: a -> b" for a changed value. Empty means the same.
func (s *Snapshot) Diff(after *Snapshot) []string {
	var out []string
	sets := []struct {
		what          string
		before, after []string
	}{
		{"process", s.Processes, after.Processes},
		{"mount", s.Mounts, after.Mounts},
		{"link", s.Links, after.Links},
		{"netns", s.Netns, after.Netns},
		{"route", s.Routes, after.Routes},
		{"cgroup", s.Cgroups, after.Cgroups},
		{"iptables chain", s.Iptables, after.Iptables},
		{"nftables table", s.Nftables, after.Nftables},
		{"path", s.Paths, after.Paths},
	}
	for _, set := range sets {
		added, removed := setDiff(set.before, set.after)
		for _, a := range added {
			out = append(out, "+ "+set.what+" "+a)
		}
		for _, r := range removed {
			out = append(out, "- "+set.what+" "+r)
		}
	}
	keys := make([]string, 0, len(s.Sysctls))
	for k := range s.Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := after.Sysctls[k]; v != s.Sysctls[k] {
			out = append(out, fmt.Sprintf("~ sysctl %s: %s -> %s", k, s.Sysctls[k], v))
		}
	}
	return out
}

// setDiff returns the items only in after and those only in before.
func setDiff(before, after []string) (added, removed []string) {
	in := func(list []string) map[string]bool {
		m := make(map[string]bool, len(list))
		for _, x := range list {
			m[x] = true
		}
		return m
	}
	b, a := in(before), in(after)
	for _, x := range after {
		if !b[x] {
			added = append(added, x)
		}
	}
	for _, x := range before {
		if !a[x] {
			removed = append(removed, x)
		}
	}
	return added, removed
}

// iptablesChains lists "table chain" for every chain iptables-save prints
// in the root namespace; none when iptables is not installed.
func iptablesChains(ctx context.Context) []string {
	if _, err := exec.LookPath("iptables-save"); err != nil {
		return nil
	}
	out, err := exec.CommandContext(ctx, "iptables-save").Output()
	if err != nil {
		return []string{"iptables-save failed: " + err.Error()}
	}
	var chains []string
	table := ""
	for _, line := range nonEmptyLines(string(out)) {
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":"):
			chains = append(chains, table+" "+strings.Fields(line[1:])[0])
		}
	}
	return chains
}

// nftTables lists the root namespace's nftables tables; none when nft is
// not installed.
func nftTables(ctx context.Context) []string {
	if _, err := exec.LookPath("nft"); err != nil {
		return nil
	}
	out, err := exec.CommandContext(ctx, "nft", "list", "tables").Output()
	if err != nil {
		return []string{"nft list tables failed: " + err.Error()}
	}
	return nonEmptyLines(string(out))
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
