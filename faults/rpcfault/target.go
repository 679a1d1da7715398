// Package rpcfault injects faults through a target's own JSON-RPC API: the
// same calls against SPDK's nvmf_tgt and the embedded target. ANA state
// changes (planned failover), listener removal, backing-device latency
// (bdev_delay) and backing-device errors (bdev_error).
package rpcfault

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// RPC is the part of the SPDK client these faults use.
type RPC interface {
	NvmfSubsystemListenerSetAnaState(ctx context.Context, p rpc.NvmfSubsystemListenerSetAnaStateParams) error
	NvmfSubsystemAddListener(ctx context.Context, p rpc.NvmfSubsystemListenerParams) error
	NvmfSubsystemRemoveListener(ctx context.Context, p rpc.NvmfSubsystemListenerParams) error
	BdevDelayUpdateLatency(ctx context.Context, p rpc.BdevDelayUpdateLatencyParams) error
	BdevErrorInjectError(ctx context.Context, p rpc.BdevErrorInjectErrorParams) error
	// NvmfGetSubsystems is how a fault checks that it took effect.
	NvmfGetSubsystems(ctx context.Context, p rpc.NvmfGetSubsystemsParams) ([]rpc.Subsystem, error)
}

// Listener is one node's listener of a volume's subsystem.
type Listener struct {
	Node string
	RPC  RPC
	NQN  string
	Addr string // host:port
	// ANA is the listener's configured state, restored on recovery.
	ANA string
}

func (l Listener) address() (rpc.ListenAddress, error) {
	host, port, err := net.SplitHostPort(l.Addr)
	if err != nil {
		return rpc.ListenAddress{}, fmt.Errorf("listener %s of %s: %w", l.Addr, l.Node, err)
	}
	return rpc.ListenAddress{Trtype: "TCP", Adrfam: "IPv4", Traddr: host, Trsvcid: port}, nil
}

func (l Listener) setANA(ctx context.Context, state string) error {
	la, err := l.address()
	if err != nil {
		return err
	}
	if err := l.RPC.NvmfSubsystemListenerSetAnaState(ctx, rpc.NvmfSubsystemListenerSetAnaStateParams{
		NQN: l.NQN, ListenAddress: la, AnaState: state}); err != nil {
		return fmt.Errorf("%s: set ANA state of %s to %s: %w", l.Node, l.Addr, state, err)
	}
	return nil
}

// spdkState turns any spelling nvme.ParseANAState accepts (Non-Optimized,
// nonoptimized...) into SPDK's (non_optimized).
func spdkState(s string) string {
	if s == "" {
		return "optimized"
	}
	if st, err := nvme.ParseANAState(s); err == nil {
		return st.String()
	}
	return s
}

// ANAChange sets a listener's ANA state and restores it on recovery: a
// planned failover as an array performs it.
type ANAChange struct {
	L            Listener
	State        string
	RecoverState string // default: L.ANA
}

var _ faults.Fault = (*ANAChange)(nil)

func (f *ANAChange) Available() error { return nil }
func (f *ANAChange) Describe() string {
	return fmt.Sprintf("ana-change %s %s -> %s", f.L.Node, f.L.Addr, spdkState(f.State))
}
func (f *ANAChange) Inject(ctx context.Context) error { return f.L.setANA(ctx, spdkState(f.State)) }
func (f *ANAChange) Recover(ctx context.Context) error {
	s := f.RecoverState
	if s == "" {
		s = f.L.ANA
	}
	return f.L.setANA(ctx, spdkState(s))
}

// ListenerRemove removes a listener (hosts connected through it are
// disconnected) and adds it back, with its ANA state, on recovery.
type ListenerRemove struct{ L Listener }

var _ faults.Fault = (*ListenerRemove)(nil)

func (f *ListenerRemove) Available() error { return nil }
func (f *ListenerRemove) Describe() string {
	return fmt.Sprintf("listener-remove %s %s", f.L.Node, f.L.Addr)
}

func (f *ListenerRemove) Inject(ctx context.Context) error {
	la, err := f.L.address()
	if err != nil {
		return err
	}
	if err := f.L.RPC.NvmfSubsystemRemoveListener(ctx, rpc.NvmfSubsystemListenerParams{NQN: f.L.NQN, ListenAddress: la}); err != nil {
		return fmt.Errorf("%s: remove listener %s: %w", f.L.Node, f.L.Addr, err)
	}
	return nil
}

func (f *ListenerRemove) Recover(ctx context.Context) error {
	la, err := f.L.address()
	if err != nil {
		return err
	}
	// Adding an existing listener succeeds, so a half-applied Inject is fine.
	if err := f.L.RPC.NvmfSubsystemAddListener(ctx, rpc.NvmfSubsystemListenerParams{NQN: f.L.NQN, ListenAddress: la}); err != nil {
		return fmt.Errorf("%s: add listener %s back: %w", f.L.Node, f.L.Addr, err)
	}
	return f.L.setANA(ctx, spdkState(f.L.ANA))
}

// BdevDelay raises the average read and write latency of a volume's delay
// bdev and sets it back to zero on recovery.
type BdevDelay struct {
	Node    string
	RPC     RPC
	Bdev    string // the delay bdev
	Latency time.Duration
}

var _ faults.Fault = (*BdevDelay)(nil)

func (f *BdevDelay) Available() error { return nil }
func (f *BdevDelay) Describe() string {
	return fmt.Sprintf("bdev-delay %s %s +%v", f.Node, f.Bdev, f.Latency)
}
func (f *BdevDelay) Inject(ctx context.Context) error { return f.set(ctx, f.Latency) }
func (f *BdevDelay) Recover(ctx context.Context) error {
	return f.set(ctx, 0)
}

func (f *BdevDelay) set(ctx context.Context, d time.Duration) error {
	us := uint64(d / time.Microsecond)
	// SPDK requires p99 >= avg, so raise p99 first and lower it last.
	order := []string{"p99_read", "avg_read", "p99_write", "avg_write"}
	if d == 0 {
		order = []string{"avg_read", "p99_read", "avg_write", "p99_write"}
	}
	for _, lt := range order {
		if err := f.RPC.BdevDelayUpdateLatency(ctx, rpc.BdevDelayUpdateLatencyParams{DelayBdevName: f.Bdev,
			LatencyType: lt, LatencyUs: us}); err != nil {
			return fmt.Errorf("%s: set %s of %s to %v: %w", f.Node, lt, f.Bdev, d, err)
		}
	}
	return nil
}

// BdevError makes a volume's error bdev fail the next Num I/Os of IOType
// and clears the injection on recovery.
type BdevError struct {
	Node   string
	RPC    RPC
	Bdev   string // the EE_ bdev
	IOType string // read, write or all
	Num    uint32
}

var _ faults.Fault = (*BdevError)(nil)

func (f *BdevError) Available() error { return nil }
func (f *BdevError) Describe() string {
	return fmt.Sprintf("bdev-error %s %s %s x%d", f.Node, f.Bdev, f.IOType, f.Num)
}

func (f *BdevError) Inject(ctx context.Context) error {
	if err := f.RPC.BdevErrorInjectError(ctx, rpc.BdevErrorInjectErrorParams{Name: f.Bdev, IOType: f.IOType,
		ErrorType: "failure", Num: f.Num}); err != nil {
		return fmt.Errorf("%s: inject %s errors into %s: %w", f.Node, f.IOType, f.Bdev, err)
	}
	return nil
}

func (f *BdevError) Recover(ctx context.Context) error {
	if err := f.RPC.BdevErrorInjectError(ctx, rpc.BdevErrorInjectErrorParams{Name: f.Bdev, IOType: "clear",
		ErrorType: "failure"}); err != nil {
		return fmt.Errorf("%s: clear errors of %s: %w", f.Node, f.Bdev, err)
	}
	return nil
}

// CheckANAState accepts the ANA states a listener can be told to report:
// SPDK's nvmf_subsystem_listener_set_ana_state takes only these three, in
// any spelling nvme.ParseANAState reads.
func CheckANAState(s string) error {
	st, err := nvme.ParseANAState(s)
	if err != nil {
		return err
	}
	switch st {
	case nvme.ANAOptimized, nvme.ANANonOptimized, nvme.ANAInaccessible:
		return nil
	}
	return fmt.Errorf("ANA state %q cannot be set on a listener (want optimized, non_optimized or inaccessible)", s)
}
