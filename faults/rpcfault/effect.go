package rpcfault

import (
	"context"
	"fmt"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// Of the RPC faults only listener-remove can be checked over SPDK's API:
// neither nvmf_tgt nor the embedded target reports a listener's ANA state
// or a delay or error bdev's settings (SPDK's nvmf_subsystem_get_listeners
// is not served by the embedded target yet), so the others stay unchecked.
var _ faults.EffectChecker = (*ListenerRemove)(nil)

// TookEffect confirms the subsystem no longer lists the listener.
func (f *ListenerRemove) TookEffect(ctx context.Context) error {
	la, err := f.L.address()
	if err != nil {
		return err
	}
	return poll.Until(ctx, f.Describe()+" gone from "+f.L.NQN, func(ctx context.Context) error {
		subs, err := f.L.RPC.NvmfGetSubsystems(ctx, rpc.NvmfGetSubsystemsParams{NQN: f.L.NQN})
		if err != nil {
			return err
		}
		for _, s := range subs {
			for _, a := range s.ListenAddresses {
				if a.Traddr == la.Traddr && a.Trsvcid == la.Trsvcid {
					return fmt.Errorf("the subsystem still lists %s", f.L.Addr)
				}
			}
		}
		return nil
	}, poll.Every(10*time.Millisecond), poll.Within(0))
}
