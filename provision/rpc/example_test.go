package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// The bring-up spdk-csi performs, through the typed client: transport,
// thin lvol, subsystem with ANA reporting, namespace, listener.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := rpc.Dial(ctx, "/var/tmp/spdk.sock", rpc.WithTimeout(20*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	err = c.NvmfCreateTransport(ctx, rpc.NvmfCreateTransportParams{Trtype: "TCP"})
	if err != nil && !errors.Is(err, rpc.ErrExists) { // one TCP transport per target
		fmt.Println(err)
		return
	}
	lvol, err := c.BdevLvolCreate(ctx, rpc.BdevLvolCreateParams{
		LvsName: "lvs0", LvolName: "run42-vol0", SizeInMiB: 1024, ThinProvision: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	nqn := "nqn.2026-11.io.nvmf-chaos:run42-vol0"
	steps := []func() error{
		func() error {
			return c.NvmfCreateSubsystem(ctx, rpc.NvmfCreateSubsystemParams{
				NQN: nqn, SerialNumber: "run42vol0", AllowAnyHost: true, AnaReporting: true})
		},
		func() error {
			_, err := c.NvmfSubsystemAddNs(ctx, rpc.NvmfSubsystemAddNsParams{
				NQN: nqn, Namespace: rpc.NamespaceParams{BdevName: lvol}})
			return err
		},
		func() error {
			return c.NvmfSubsystemAddListener(ctx, rpc.NvmfSubsystemListenerParams{NQN: nqn,
				ListenAddress: rpc.ListenAddress{Trtype: "TCP", Adrfam: "IPv4", Traddr: "198.18.0.2", Trsvcid: "4420"}})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			fmt.Println(err)
			return
		}
	}
}
