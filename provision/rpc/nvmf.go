package rpc

import (
	"context"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// NvmfCreateTransport creates a transport (Trtype "TCP"). A second one of
// the same type fails with an error matching ErrExists.
func (c *Client) NvmfCreateTransport(ctx context.Context, p NvmfCreateTransportParams) error {
	return c.callBool(ctx, spdkrpc.MethodNvmfCreateTransport, p)
}

// NvmfGetTransports lists transports, or the one named by p.Trtype
// (ErrNotFound if it does not exist).
func (c *Client) NvmfGetTransports(ctx context.Context, p NvmfGetTransportsParams) ([]Transport, error) {
	var out []Transport
	err := c.Call(ctx, spdkrpc.MethodNvmfGetTransports, p, &out)
	return out, err
}

// NvmfCreateSubsystem creates a subsystem. It must have AnaReporting set
// for NvmfSubsystemListenerSetAnaState to work later.
func (c *Client) NvmfCreateSubsystem(ctx context.Context, p NvmfCreateSubsystemParams) error {
	return c.callBool(ctx, spdkrpc.MethodNvmfCreateSubsystem, p)
}

// NvmfDeleteSubsystem deletes a subsystem with its listeners. SPDK reports
// an unknown NQN only as ErrInvalidParams, so idempotent deletion should
// look the subsystem up first.
func (c *Client) NvmfDeleteSubsystem(ctx context.Context, p NvmfDeleteSubsystemParams) error {
	return c.callBool(ctx, spdkrpc.MethodNvmfDeleteSubsystem, p)
}

// NvmfGetSubsystems lists subsystems (the discovery subsystem included), or
// the one named by p.NQN (ErrNotFound if it does not exist).
func (c *Client) NvmfGetSubsystems(ctx context.Context, p NvmfGetSubsystemsParams) ([]Subsystem, error) {
	var out []Subsystem
	err := c.Call(ctx, spdkrpc.MethodNvmfGetSubsystems, p, &out)
	return out, err
}

// NvmfSubsystemAddNs exports a bdev as a namespace and returns its NSID.
func (c *Client) NvmfSubsystemAddNs(ctx context.Context, p NvmfSubsystemAddNsParams) (uint32, error) {
	var nsid uint32
	err := c.Call(ctx, spdkrpc.MethodNvmfSubsystemAddNs, p, &nsid)
	return nsid, err
}

// NvmfSubsystemRemoveNs removes a namespace.
func (c *Client) NvmfSubsystemRemoveNs(ctx context.Context, p NvmfSubsystemRemoveNsParams) error {
	return c.callBool(ctx, spdkrpc.MethodNvmfSubsystemRemoveNs, p)
}

// NvmfSubsystemAddListener makes the subsystem reachable at an address,
// optionally with an initial ANA state. Adding an existing listener
// succeeds on SPDK v24.01.
func (c *Client) NvmfSubsystemAddListener(ctx context.Context, p NvmfSubsystemListenerParams) error {
	return c.callBool(ctx, spdkrpc.MethodNvmfSubsystemAddListener, p)
}

// NvmfSubsystemRemoveListener removes a listener; hosts connected through
// it are disconnected.
func (c *Client) NvmfSubsystemRemoveListener(ctx context.Context, p NvmfSubsystemListenerParams) error {
	return c.callBool(ctx, spdkrpc.MethodNvmfSubsystemRemoveListener, p)
}

// NvmfSubsystemListenerSetAnaState changes a listener's ANA state, the
// planned-failover fault.
func (c *Client) NvmfSubsystemListenerSetAnaState(ctx context.Context, p NvmfSubsystemListenerSetAnaStateParams) error {
	return c.callBool(ctx, spdkrpc.MethodNvmfSubsystemListenerSetAnaState, p)
}

// NvmfSubsystemAddHost allows a host NQN to connect to the subsystem.
func (c *Client) NvmfSubsystemAddHost(ctx context.Context, p NvmfSubsystemAddHostParams) error {
	return c.callBool(ctx, spdkrpc.MethodNvmfSubsystemAddHost, p)
}
