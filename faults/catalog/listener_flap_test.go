package catalog

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/targettest"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
)

// listed reports whether the target lists addr as a listener of nqn.
func listed(t *testing.T, c rpcfault.RPC, nqn, addr string) bool {
	t.Helper()
	subs, err := c.NvmfGetSubsystems(t.Context(), rpc.NvmfGetSubsystemsParams{NQN: nqn})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	for _, s := range subs {
		for _, a := range s.ListenAddresses {
			if a.Trsvcid == port {
				return true
			}
		}
	}
	return false
}

// TestListenerFlapOnTheTarget flaps an embedded target's listener: the
// target lists it and drops it in turn while the fault lasts (both
// phases seen, several times), the inject's effect is confirmed, and after
// Recover the listener is back and stays back. A second firing flaps
// again.
func TestListenerFlapOnTheTarget(t *testing.T) {
	c, _ := targettest.RPC(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	v, err := volume.Create(t.Context(), volume.Spec{Name: "v", RunID: "lf", Size: 8 << 20, Backing: volume.Malloc,
		Paths: []volume.Path{{Node: "tgt-a", RPC: c, Addr: addr}}})
	if err != nil {
		t.Fatal(err)
	}
	const phase = 100 * time.Millisecond
	f, err := config(t, ListenerFlap, map[string]string{"down": "100ms", "up": "100ms"}).
		BuildRPC([]Volume{{L: rpcfault.Listener{Node: "tgt-a", RPC: c, NQN: v.NQN, Addr: addr}}}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for firing := range 2 {
		if err := f.Inject(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), faults.DefaultEffectTimeout)
		err := f.(faults.EffectChecker).TookEffect(ctx)
		cancel()
		if err != nil {
			t.Fatalf("firing %d: TookEffect: %v", firing, err)
		}
		// Sample for ten phases: the listener must come and go.
		changes, prev := 0, false
		for end := time.Now().Add(10 * phase); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if now := listed(t, c, v.NQN, addr); now != prev {
				changes, prev = changes+1, now
			}
		}
		if err := f.Recover(t.Context()); err != nil {
			t.Fatalf("firing %d: Recover: %v", firing, err)
		}
		// Ten phases give ten flips; a loaded machine may sample fewer.
		if changes < 4 {
			t.Errorf("firing %d: the listener changed state %d times in %s of %s phases, want it to keep flapping", firing, changes, 10*phase, phase)
		}
		for range 3 {
			if !listed(t, c, v.NQN, addr) {
				t.Fatalf("firing %d: the listener is gone after Recover", firing)
			}
			time.Sleep(phase)
		}
	}
}

// flakyRPC is a target whose listener add fails from the second call on.
type flakyRPC struct {
	rpcfault.RPC
	adds int
}

func (r *flakyRPC) NvmfSubsystemRemoveListener(context.Context, rpc.NvmfSubsystemListenerParams) error {
	return nil
}

func (r *flakyRPC) NvmfSubsystemAddListener(context.Context, rpc.NvmfSubsystemListenerParams) error {
	r.adds++
	if r.adds > 1 {
		return errors.New("subsystem is being torn down")
	}
	return nil
}

func (r *flakyRPC) NvmfSubsystemListenerSetAnaState(context.Context, rpc.NvmfSubsystemListenerSetAnaStateParams) error {
	return nil
}

// TestListenerFlapReportsAFailedFlip: a flip the target refuses ends the
// flapping, and Recover says so rather than passing a fault that stopped
// half-way.
func TestListenerFlapReportsAFailedFlip(t *testing.T) {
	r := &flakyRPC{}
	f, err := config(t, ListenerFlap, map[string]string{"down": "50ms", "up": "50ms"}).
		BuildRPC([]Volume{{L: rpcfault.Listener{Node: "tgt-a", RPC: r, NQN: "nqn.x", Addr: "198.18.0.2:4420"}}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Flip 1 was the inject's removal; then a re-add, a removal, and the
	// refused re-add, which ends the flapping.
	select {
	case <-f.(*listenerFlapFault).done:
	case <-time.After(5 * time.Second):
		t.Fatal("the flapping went on after a refused flip")
	}
	err = f.Recover(t.Context())
	if err == nil || !strings.Contains(err.Error(), "flip 4: tgt-a: add listener 198.18.0.2:4420 back: subsystem is being torn down") {
		t.Errorf("Recover: %v, want the refused flip 4 reported", err)
	}
}
