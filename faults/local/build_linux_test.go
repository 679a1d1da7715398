package local

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

func testNode() *Node {
	p := NewExecProcess("sleep", "1")
	return &Node{
		NodeNet:   NodeNet{RunID: "r1", Node: "tgt-a", Netns: "nvc-a"},
		Host:      netip.MustParseAddr("198.18.0.1"),
		DataPorts: []uint16{4420}, RPCPorts: []uint16{5260},
		Links:  []Link{{Netns: "nvc-a", Dev: "veth0"}},
		Target: p, Proxy: &Proxy{},
	}
}

// TestBuildEveryLocalKind builds each local kind with its default params:
// the defaults of faults.Lookup must be valid for the local engine.
func TestBuildEveryLocalKind(t *testing.T) {
	for _, k := range faults.Kinds() {
		f, err := Build(k, testNode(), nil, time.Minute)
		if spec, _ := faults.Lookup(k); !slices.Contains(spec.Engines, faults.EngineLocal) {
			if err == nil || !strings.Contains(err.Error(), "not a local fault") {
				t.Errorf("%s: %v, want refused as not local", k, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if d := f.Describe(); !strings.HasPrefix(d, string(k)+" tgt-a") {
			t.Errorf("%s: Describe %q, want kind and node first", k, d)
		}
	}
}

func TestBuildParams(t *testing.T) {
	n := testNode()
	f, err := Build(faults.NetworkPartition, n, map[string]string{"port": "rpc"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s := f.(*Partition).table.script(); !strings.Contains(s, "dport { 5260 }") {
		t.Errorf("rpc partition does not cut the RPC port:\n%s", s)
	}
	if f, err := Build(faults.ProcessKill, n, map[string]string{"restart": "false"}, 0); err != nil || f.(*Kill).restart {
		t.Errorf("restart=false: %v, %+v", err, f)
	}
	for _, tc := range []struct {
		kind   faults.Kind
		node   *Node
		params map[string]string
		want   string
	}{
		{faults.PacketLoss, n, map[string]string{"percent": "lots"}, "packet-loss tgt-a: percent \"lots\""},
		{faults.PacketLoss, n, map[string]string{"percent": "0"}, "want 1..100"},
		{faults.PacketLoss, n, map[string]string{"rate": "1"}, "no parameter \"rate\""},
		{faults.ProcessKill, n, map[string]string{"restart": "maybe"}, "want true or false"},
		{faults.ProcessKill, &Node{NodeNet: n.NodeNet}, nil, "no target process"},
		{faults.Latency, &Node{NodeNet: n.NodeNet}, nil, "through a proxy"},
		{faults.Latency, n, map[string]string{"delay": "soon"}, "delay"},
		{faults.Bandwidth, n, map[string]string{"rate": "fast"}, "rate \"fast\""},
		{faults.NetworkPartition, n, map[string]string{"port": "mgmt"}, "want data, rpc or all"},
		{faults.Kind("meteor"), n, nil, "unknown fault kind"},
		{faults.ProcessKill, nil, nil, "no node"},
	} {
		_, err := Build(tc.kind, tc.node, tc.params, time.Second)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(%s, %v): %v, want %q", tc.kind, tc.params, err, tc.want)
		}
	}
}
