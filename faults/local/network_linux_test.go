package local

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

const (
	dataPort = 4420
	rpcPort  = 5260
)

// TestPartitionDataPort cuts the data port only: it times out (silence,
// not a reset) while the RPC port still answers; recovery restores it.
func TestPartitionDataPort(t *testing.T) {
	p := newNSPair(t)
	serve(t, p.node, p.nodeAddr, dataPort)
	serve(t, p.node, p.nodeAddr, rpcPort)
	if err := p.reachable(dataPort); err != nil {
		t.Fatalf("no connectivity before the fault: %v", err)
	}
	ports, err := PartitionPorts("data", []uint16{dataPort}, []uint16{rpcPort})
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewPartition(PartitionConfig{NodeNet: p.nodeNet(), Host: p.hostAddr, Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Available(); err != nil {
		t.Fatalf("Available: %v", err)
	}
	ctx := context.Background()
	if err := f.Inject(ctx); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if tables := p.nodeTables(t); len(tables) != 1 {
		t.Errorf("tables in the node's namespace: %v, want the fault's one", tables)
	}
	if err := p.reachable(dataPort); !isTimeout(err) {
		t.Errorf("data port during the partition: %v, want a timeout", err)
	}
	if err := p.reachable(rpcPort); err != nil {
		t.Errorf("rpc port during a data partition: %v, want reachable", err)
	}
	if err := f.Recover(ctx); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if err := p.reachable(dataPort); err != nil {
		t.Errorf("data port after recovery: %v", err)
	}
	if tables := p.nodeTables(t); len(tables) != 0 {
		t.Errorf("tables left after recovery: %v", tables)
	}
	if err := f.Recover(ctx); err != nil {
		t.Errorf("second Recover (idempotent): %v", err)
	}
}

func TestPartitionAllTraffic(t *testing.T) {
	p := newNSPair(t)
	serve(t, p.node, p.nodeAddr, rpcPort)
	f, err := NewPartition(PartitionConfig{NodeNet: p.nodeNet(), Host: p.hostAddr})
	if err != nil {
		t.Fatal(err)
	}
	injectRecover(t, f, func() {
		if err := p.reachable(rpcPort); !isTimeout(err) {
			t.Errorf("rpc port during a full partition: %v, want a timeout", err)
		}
	})
	if err := p.reachable(rpcPort); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

func TestPacketLossFull(t *testing.T) {
	p := newNSPair(t)
	serve(t, p.node, p.nodeAddr, dataPort)
	f, err := NewPacketLoss(p.nodeNet(), 100)
	if err != nil {
		t.Fatal(err)
	}
	injectRecover(t, f, func() {
		if err := p.reachable(dataPort); !isTimeout(err) {
			t.Errorf("during 100%% packet loss: %v, want a timeout", err)
		}
	})
	if err := p.reachable(dataPort); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

// TestNodeDownSilencesThenKills runs a process inside the node's namespace:
// node-down drops the node's traffic and kills it; recovery brings both back.
func TestNodeDownSilencesThenKills(t *testing.T) {
	p := newNSPair(t)
	serve(t, p.node, p.nodeAddr, dataPort)
	proc := startProcess(t, "ip", "netns", "exec", p.node, "sleep", "300")
	old := proc.PID()
	f, err := NewNodeDown(p.nodeNet(), proc)
	if err != nil {
		t.Fatal(err)
	}
	injectRecover(t, f, func() {
		if err := p.reachable(dataPort); !isTimeout(err) {
			t.Errorf("during node-down: %v, want a timeout", err)
		}
		if proc.PID() != 0 {
			t.Errorf("node process still running (pid %d)", proc.PID())
		}
	})
	if err := p.reachable(dataPort); err != nil {
		t.Errorf("after recovery: %v", err)
	}
	if pid := proc.PID(); pid == 0 || pid == old {
		t.Errorf("node process pid %d after recovery (was %d): want restarted", pid, old)
	}
}

// TestCleanupNetnsRemovesLeftovers leaves two faults injected, as a crashed
// run would, and sweeps them by the run's prefix.
func TestCleanupNetnsRemovesLeftovers(t *testing.T) {
	p := newNSPair(t)
	serve(t, p.node, p.nodeAddr, dataPort)
	ctx := context.Background()
	loss, err := NewPacketLoss(p.nodeNet(), 100)
	if err != nil {
		t.Fatal(err)
	}
	part, err := NewPartition(PartitionConfig{NodeNet: p.nodeNet(), Host: p.hostAddr})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []interface{ Inject(context.Context) error }{loss, part} {
		if err := f.Inject(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := CleanupNetns(ctx, p.node, "nvmfchaos_other_"); err != nil {
		t.Fatal(err)
	}
	if tables := p.nodeTables(t); len(tables) != 2 {
		t.Errorf("another run's cleanup touched this run's tables: %v left", tables)
	}
	if err := CleanupNetns(ctx, p.node, TablePrefix(p.runID)); err != nil {
		t.Fatalf("CleanupNetns: %v", err)
	}
	if tables := p.nodeTables(t); len(tables) != 0 {
		t.Errorf("tables left after cleanup: %v", tables)
	}
	if err := p.reachable(dataPort); err != nil {
		t.Errorf("after cleanup: %v", err)
	}
	if err := CleanupNetns(ctx, p.node, "filter"); err == nil {
		t.Error("CleanupNetns accepted a prefix that is not the harness's")
	}
}

// TestNetworkFaultsRecoveredOnCancel cancels a run while node-down,
// partition, packet loss and bandwidth are all in effect on one node: after
// Run returns the namespace holds none of the harness's tables or qdiscs,
// the node's process runs and traffic flows.
func TestNetworkFaultsRecoveredOnCancel(t *testing.T) {
	p := newNSPair(t)
	serve(t, p.node, p.nodeAddr, dataPort)
	proc := startProcess(t, "ip", "netns", "exec", p.node, "sleep", "300")
	n := &Node{NodeNet: p.nodeNet(), Host: p.hostAddr, DataPorts: []uint16{dataPort},
		Links: []Link{{Netns: p.node, Dev: p.nodeDev}}, Target: proc}
	var items []faults.Timed
	for _, b := range []struct {
		kind  faults.Kind
		build func() (faults.Fault, error)
	}{
		{"node-down", func() (faults.Fault, error) { return NewNodeDown(n.NodeNet, n.Target) }},
		{"network-partition", func() (faults.Fault, error) {
			return NewPartition(PartitionConfig{NodeNet: n.NodeNet, Host: n.Host, Ports: n.DataPorts})
		}},
		{"packet-loss", func() (faults.Fault, error) { return NewPacketLoss(n.NodeNet, 10) }},
		{"bandwidth", func() (faults.Fault, error) { return NewBandwidth(n.Node, "10mbit", n.Links...) }},
	} {
		f, err := b.build()
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, faults.Timed{Fault: f, Kind: b.kind, Node: n.Node, Duration: time.Hour})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	injected := 0
	s, err := faults.NewSchedule(time.Now(), items, faults.WithProgress(func(e faults.Event) {
		if e.Phase == faults.PhaseInject {
			if injected++; injected == len(items) {
				cancel()
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.Run(ctx)
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "recover") {
		t.Errorf("Run: %v, want only context.Canceled", err)
	}
	if len(evs) != 2*len(items) {
		t.Errorf("%d events, want an inject and a recover of each fault: %+v", len(evs), evs)
	}
	if tables := p.nodeTables(t); len(tables) != 0 {
		t.Errorf("tables left: %v", tables)
	}
	if strings.Contains(qdiscs(t, p.node), "tbf "+tbfHandle) {
		t.Error("tbf qdisc left")
	}
	if proc.PID() == 0 {
		t.Error("node process not restarted")
	}
	if err := p.reachable(dataPort); err != nil {
		t.Errorf("node unreachable after the cancelled run: %v", err)
	}
}
