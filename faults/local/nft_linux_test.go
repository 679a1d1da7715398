package local

import (
	"net/netip"
	"strings"
	"testing"
)

func TestTableNames(t *testing.T) {
	if got, want := TablePrefix("Run-42/x"), "nvmfchaos_run_42_x_"; got != want {
		t.Errorf("TablePrefix = %q, want %q", got, want)
	}
	a, b := newTableName("r1", "network-partition"), newTableName("r1", "network-partition")
	if a == b || !strings.HasPrefix(a, "nvmfchaos_r1_network_partition_") {
		t.Errorf("table names %q, %q: want unique names under the run's prefix", a, b)
	}
	if got := TablePrefix(""); got != "nvmfchaos_x_" {
		t.Errorf("TablePrefix of an empty run id = %q", got)
	}
}

func TestPartitionRules(t *testing.T) {
	n := NodeNet{RunID: "r", Node: "tgt-a", Netns: "ns-a"}
	for _, tc := range []struct {
		name  string
		host  string
		ports []uint16
		want  []string
	}{
		{"all", "198.18.0.1", nil, []string{"ip saddr 198.18.0.1 drop", "ip daddr 198.18.0.1 drop"}},
		{"ports", "198.18.0.1", []uint16{4421, 4420, 4420}, []string{
			"ip saddr 198.18.0.1 tcp dport { 4420, 4421 } drop", "ip daddr 198.18.0.1 tcp sport { 4420, 4421 } drop"}},
		{"ipv6", "2001:2::1", nil, []string{"ip6 saddr 2001:2::1 drop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPartition(PartitionConfig{NodeNet: n, Host: netip.MustParseAddr(tc.host), Ports: tc.ports})
			if err != nil {
				t.Fatal(err)
			}
			s := p.table.script()
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("script lacks %q:\n%s", w, s)
				}
			}
			if !strings.Contains(s, "table inet nvmfchaos_r_network_partition_") {
				t.Errorf("script does not name the table under the run's prefix:\n%s", s)
			}
		})
	}
}

func TestNetworkFaultsRejectBadInput(t *testing.T) {
	good := NodeNet{RunID: "r", Node: "n", Netns: "ns"}
	host := netip.MustParseAddr("198.18.0.1")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no netns", errOf(NewPartition(PartitionConfig{NodeNet: NodeNet{Node: "n"}, Host: host})), "no network namespace"},
		{"bad netns", errOf(NewPacketLoss(NodeNet{Node: "n", Netns: "../x"}, 5)), "bad network namespace"},
		{"no host", errOf(NewPartition(PartitionConfig{NodeNet: good})), "no host address"},
		{"loss 0", errOf(NewPacketLoss(good, 0)), "want 1..100"},
		{"loss 101", errOf(NewPacketLoss(good, 101)), "want 1..100"},
		{"node-down no netns", errOf(NewNodeDown(NodeNet{Node: "n"})), "no network namespace"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestPartitionPorts(t *testing.T) {
	data, rpc := []uint16{4420}, []uint16{5260}
	for _, tc := range []struct {
		param string
		want  []uint16
		err   bool
	}{
		{"data", data, false}, {"rpc", rpc, false}, {"all", nil, false}, {"", nil, false}, {"mgmt", nil, true},
	} {
		got, err := PartitionPorts(tc.param, data, rpc)
		if (err != nil) != tc.err || len(got) != len(tc.want) || (len(got) == 1 && got[0] != tc.want[0]) {
			t.Errorf("PartitionPorts(%q) = %v, %v; want %v (error %v)", tc.param, got, err, tc.want, tc.err)
		}
	}
	if _, err := PartitionPorts("rpc", data, nil); err == nil {
		t.Error("rpc partition of a node without an RPC port accepted")
	}
}

func TestParseTables(t *testing.T) {
	got := parseTables("table inet filter\ntable ip nvmfchaos_r_x_1\n\n")
	if len(got) != 2 || got[1] != [2]string{"ip", "nvmfchaos_r_x_1"} {
		t.Errorf("parseTables = %v", got)
	}
}

func TestPacketLossRules(t *testing.T) {
	n := NodeNet{RunID: "r", Node: "n", Netns: "ns"}
	for pct, want := range map[int]string{
		30:  `iifname != "lo" numgen random mod 100 < 30 drop`,
		100: `iifname != "lo" drop`, // nft refuses "< 100" on a 0..99 value
	} {
		f, err := NewPacketLoss(n, pct)
		if err != nil {
			t.Fatal(err)
		}
		if s := f.table.script(); !strings.Contains(s, want) {
			t.Errorf("%d%%: script lacks %q:\n%s", pct, want, s)
		}
	}
}
