package catalog

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

func testNode() *local.Node {
	return &local.Node{
		NodeNet:   local.NodeNet{RunID: "r1", Node: "tgt-a", Netns: "nvc-a"},
		Host:      netip.MustParseAddr("198.18.0.1"),
		DataPorts: []uint16{4420}, RPCPorts: []uint16{5260},
		Links:  []local.Link{{Netns: "nvc-a", Dev: "veth0"}},
		Target: local.NewExecProcess("sleep", "1"), Proxy: &local.Proxy{},
	}
}

func testVolume() Volume {
	return Volume{L: rpcfault.Listener{Node: "tgt-a", NQN: "nqn.2014-08.org.nvmexpress:x", Addr: "198.18.0.2:4420"},
		DelayBdev: "delay0", ErrorBdev: "EE_m0"}
}

// fakeRun is a Kubernetes run for builders that only keep it.
type fakeRun struct{}

func (fakeRun) Client() *kube.Client                    { return &kube.Client{} }
func (fakeRun) Namespace() string                       { return "ns" }
func (fakeRun) RunID() string                           { return "r1" }
func (fakeRun) BringBack(context.Context, string) error { return nil }

// unchecked are the faults whose effect cannot be confirmed, by engine,
// each with the reason: the Schedule records them as unchecked, never as
// confirmed. Every other fault must implement faults.EffectChecker.
var unchecked = map[Engine]map[faults.Kind]string{
	// SPDK's API reports neither a listener's ANA state nor a delay or
	// error bdev's settings (rpcfault/effect.go).
	EngineRPC: {ANAChange: "no ANA state in nvmf_get_subsystems", BdevDelay: "no bdev_delay readback", BdevError: "no bdev_error readback"},
}

// TestBuildEveryKind builds each kind with its default params on every
// engine that can be built without a cluster: the fault names its kind
// and node first, and checks that it took effect unless listed above.
func TestBuildEveryKind(t *testing.T) {
	for _, s := range registry {
		c, err := s.Parse(nil)
		if err != nil {
			t.Fatal(err)
		}
		builds := map[Engine]func() (faults.Fault, error){
			EngineLocal:  func() (faults.Fault, error) { return c.BuildLocal(testNode(), time.Minute) },
			EngineRPC:    func() (faults.Fault, error) { return c.BuildRPC([]Volume{testVolume()}, time.Minute) },
			EngineNative: func() (faults.Fault, error) { return c.BuildNative(fakeRun{}, "tgt-a") },
		}
		for _, e := range []Engine{EngineLocal, EngineRPC, EngineNative} {
			f, err := builds[e]()
			if !slices.Contains(s.Engines, e) {
				if err == nil {
					t.Errorf("%s: built on %s, which it does not list", s.Kind, e)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s on %s: %v", s.Kind, e, err)
				continue
			}
			d := f.Describe()
			if !strings.HasPrefix(d, string(s.Kind)+" ") || (s.Kind != DriverKill && !strings.Contains(d, "tgt-a")) {
				t.Errorf("%s on %s: Describe %q, want the kind and the node", s.Kind, e, d)
			}
			_, checks := f.(faults.EffectChecker)
			if why, ok := unchecked[e][s.Kind]; ok == checks {
				t.Errorf("%s on %s: checks its effect %v, listed unchecked %v (%s)", s.Kind, e, checks, ok, why)
			}
		}
	}
}

// TestBuildLocalRefuses: what the node lacks for a kind is refused when
// the fault is built.
func TestBuildLocalRefuses(t *testing.T) {
	bare := &local.Node{NodeNet: testNode().NodeNet}
	tests := []struct {
		kind   faults.Kind
		node   *local.Node
		params map[string]string
		want   string
	}{
		{ProcessKill, bare, nil, "no target process"},
		{CPUStress, bare, nil, "no target process"},
		{Latency, bare, nil, "through a proxy"},
		{NetworkPartition, bare, map[string]string{"port": "rpc"}, "the node has no rpc port"},
		{ProcessKill, nil, nil, "no node"},
		{ANAChange, testNode(), nil, "not a local fault"},
	}
	for _, tt := range tests {
		_, err := config(t, tt.kind, tt.params).BuildLocal(tt.node, time.Second)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: %v, want %q", tt.kind, tt.params, err, tt.want)
		}
	}
	f, err := config(t, NetworkPartition, map[string]string{"port": "rpc"}).BuildLocal(testNode(), time.Second)
	if err != nil || !strings.Contains(f.Describe(), "5260") {
		t.Errorf("rpc partition: %v, %v: want it to cut the RPC port 5260", err, f)
	}
}

// TestBuildRPCGroups: a node exporting several volumes gets one fault
// acting on each, and none with no volume.
func TestBuildRPCGroups(t *testing.T) {
	c := config(t, ListenerRemove, nil)
	a, b := testVolume(), testVolume()
	b.L.Addr = "198.18.0.2:4421"
	f, err := c.BuildRPC([]Volume{a, b}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Describe(); !strings.Contains(d, ":4420") || !strings.Contains(d, ":4421") {
		t.Errorf("Describe %q: want both listeners", d)
	}
	if _, err := c.BuildRPC(nil, time.Second); err == nil {
		t.Error("built with no volume")
	}
}

// TestLocalNeeds: with no tool anywhere, the kinds that run one say so
// before a run; the others need nothing.
func TestLocalNeeds(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	needs := []faults.Kind{NetworkPartition, PacketLoss, NodeDown, Bandwidth, CPUStress}
	for _, s := range registry {
		c, _ := s.Parse(nil)
		err := c.LocalNeeds()
		if slices.Contains(needs, s.Kind) != (err != nil) {
			t.Errorf("%s: LocalNeeds() = %v with an empty PATH", s.Kind, err)
		}
	}
}
