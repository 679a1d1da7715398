package rpcfault

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/targettest"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
)

// setup provisions a malloc volume with delay and error layers on an
// embedded target reached over its RPC socket, and connects a host.
func setup(t *testing.T) (*volume.Volume, *rpc.Client, *nvmetcp.Controller) {
	t.Helper()
	c, _ := targettest.RPC(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	v, err := volume.Create(t.Context(), volume.Spec{Name: "v", RunID: "ft", Size: 8 << 20, Backing: volume.Malloc,
		Delay: true, Errors: true, Paths: []volume.Path{{Node: "tgt-a", RPC: c, Addr: addr}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := v.Delete(context.Background()); err != nil {
			t.Errorf("delete volume: %v", err)
		}
	})
	return v, c, dial(t, addr, v.NQN)
}

func dial(t *testing.T, addr, nqn string) *nvmetcp.Controller {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	h, err := nvmetcp.Dial(ctx, nvmetcp.Config{Addr: addr, SubsysNQN: nqn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func TestBdevDelay(t *testing.T) {
	v, c, h := setup(t)
	f := &BdevDelay{Node: "tgt-a", RPC: c, Bdev: v.DelayBdev(), Latency: 30 * time.Millisecond}
	read := func() time.Duration {
		start := time.Now()
		if err := h.ReadAt(t.Context(), v.NSID, make([]byte, 4096), 0); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	if err := f.Inject(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := read(); d < 30*time.Millisecond {
		t.Fatalf("read took %v under a 30ms delay fault", d)
	}
	if err := f.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := read(); d >= 30*time.Millisecond {
		t.Fatalf("read still takes %v after recovery", d)
	}
}

func TestBdevError(t *testing.T) {
	v, c, h := setup(t)
	f := &BdevError{Node: "tgt-a", RPC: c, Bdev: v.ErrorBdev(), IOType: "write", Num: 100}
	if err := f.Inject(t.Context()); err != nil {
		t.Fatal(err)
	}
	err := h.WriteAt(t.Context(), v.NSID, make([]byte, 4096), 0)
	var se *nvmetcp.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("write under bdev-error: %v, want an NVMe status error", err)
	}
	if err := h.ReadAt(t.Context(), v.NSID, make([]byte, 4096), 0); err != nil {
		t.Fatalf("reads must pass a write-only injection: %v", err)
	}
	if err := f.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteAt(t.Context(), v.NSID, make([]byte, 4096), 0); err != nil {
		t.Fatalf("write after recovery: %v", err)
	}
}

func TestANAChangeAndListenerRemove(t *testing.T) {
	v, c, h := setup(t)
	addr, _ := v.Addr("tgt-a")
	l := Listener{Node: "tgt-a", RPC: c, NQN: v.NQN, Addr: addr, ANA: "optimized"}
	ana := &ANAChange{L: l, State: "inaccessible"}
	state := func() nvme.ANAState {
		log, err := h.ANALog(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return log.Groups[0].State
	}
	if err := ana.Inject(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != nvme.ANAInaccessible {
		t.Fatalf("state after inject %v", s)
	}
	if err := ana.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != nvme.ANAOptimized {
		t.Fatalf("state after recover %v", s)
	}

	lr := &ListenerRemove{L: l}
	short, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := lr.TookEffect(short); err == nil {
		t.Fatal("listener-remove took effect before it was injected")
	}
	if err := lr.Inject(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := lr.TookEffect(t.Context()); err != nil {
		t.Fatalf("TookEffect after inject: %v", err)
	}
	select {
	case <-h.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("host still connected after its listener was removed")
	}
	if err := lr.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	dial(t, addr, v.NQN)
}
