package testcluster

import (
	"net/netip"
	"testing"
)

// The address rule: every address the cluster assigns is inside
// 198.18.0.0/15 and inside the block it claims, and no two networks
// overlap.
func TestAddressPlanStaysInItsBlock(t *testing.T) {
	bench := netip.MustParsePrefix("198.18.0.0/15")
	if !bench.Contains(clusterNet.Addr()) || clusterNet.Bits() < bench.Bits() {
		t.Fatalf("cluster block %s is not inside %s", clusterNet, bench)
	}
	nets := []netip.Prefix{nodeNet, serviceNet}
	for i := range MaxNodes {
		n := nodeAt(i)
		for _, a := range []netip.Addr{n.IP, n.PodCIDR.Addr()} {
			if !clusterNet.Contains(a) {
				t.Errorf("node %d: %s outside %s", i, a, clusterNet)
			}
		}
		if !nodeNet.Contains(n.IP) || !podNet.Contains(n.PodCIDR.Addr()) {
			t.Errorf("node %d: ip %s or pods %s outside their network", i, n.IP, n.PodCIDR)
		}
		if len(n.HostVeth) > 15 {
			t.Errorf("node %d: link name %q longer than Linux allows", i, n.HostVeth)
		}
		nets = append(nets, n.PodCIDR)
	}
	for i, a := range nets {
		if !clusterNet.Contains(a.Addr()) {
			t.Errorf("%s outside %s", a, clusterNet)
		}
		for _, b := range nets[i+1:] {
			if a.Overlaps(b) {
				t.Errorf("%s overlaps %s", a, b)
			}
		}
	}
	for _, a := range []netip.Addr{bridgeIP(), serviceIP()} {
		if !clusterNet.Contains(a) {
			t.Errorf("%s outside %s", a, clusterNet)
		}
	}
}

func TestSnapshotDiff(t *testing.T) {
	base := func() *Snapshot {
		return &Snapshot{
			Mounts: []string{"/", "/proc"}, Links: []string{"lo", "eth0"},
			Sysctls: map[string]string{"kernel/panic": "1"},
		}
	}
	tests := []struct {
		name   string
		change func(*Snapshot)
		want   []string
	}{
		{"same", func(*Snapshot) {}, nil},
		{"mount left", func(s *Snapshot) { s.Mounts = append(s.Mounts, "/run/netns/cni-1") }, []string{"+ mount /run/netns/cni-1"}},
		{"link removed", func(s *Snapshot) { s.Links = []string{"lo"} }, []string{"- link eth0"}},
		{"sysctl changed", func(s *Snapshot) { s.Sysctls = map[string]string{"kernel/panic": "10"} }, []string{"~ sysctl kernel/panic: 1 -> 10"}},
		{"process and cgroup", func(s *Snapshot) {
			s.Processes = []string{"42 /c/bin/containerd-shim-runc-v2"}
			s.Cgroups = []string{"/sys/fs/cgroup/pids/nck8s-node-0"}
		}, []string{"+ process 42 /c/bin/containerd-shim-runc-v2", "+ cgroup /sys/fs/cgroup/pids/nck8s-node-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := base()
			tt.change(after)
			got := base().Diff(after)
			if len(got) != len(tt.want) {
				t.Fatalf("Diff = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("Diff[%d] = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/run/netns/cni-1`: "/run/netns/cni-1",
		`/mnt/a\040b`:      "/mnt/a b",
		`/x\134y`:          `/x\y`,
		`/trailing\04`:     `/trailing\04`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

// Down ignores only what carries the local backend's prefix, never the
// cluster's own leftovers.
func TestSplitOthers(t *testing.T) {
	ours, others := splitOthers([]string{
		"+ netns nvmfc-9f9010-tgt-a",
		"+ netns nck8s-node-0",
		"+ mount /run/netns/cni-1234",
		"+ route 198.19.230.0/24 dev nvmfc-9f9010-br proto kernel",
	})
	if len(ours) != 2 || ours[0] != "+ netns nck8s-node-0" || ours[1] != "+ mount /run/netns/cni-1234" {
		t.Errorf("ours = %q", ours)
	}
	if len(others) != 2 {
		t.Errorf("others = %q", others)
	}
}
