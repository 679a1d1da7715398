package rpc

import (
	"context"
	"errors"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// BdevMallocCreate creates a RAM-backed bdev and returns its name.
func (c *Client) BdevMallocCreate(ctx context.Context, p BdevMallocCreateParams) (string, error) {
	return c.callString(ctx, spdkrpc.MethodBdevMallocCreate, p)
}

// BdevMallocDelete deletes a malloc bdev (ErrNotFound if there is none).
func (c *Client) BdevMallocDelete(ctx context.Context, name string) error {
	return c.callBool(ctx, spdkrpc.MethodBdevMallocDelete, spdkrpc.BdevDeleteParams{Name: name})
}

// BdevAioCreate creates a bdev on a file or block device and returns its
// name.
func (c *Client) BdevAioCreate(ctx context.Context, p BdevAioCreateParams) (string, error) {
	return c.callString(ctx, spdkrpc.MethodBdevAioCreate, p)
}

// BdevNullCreate creates a bdev that discards writes and reads zeroes and
// returns its name.
func (c *Client) BdevNullCreate(ctx context.Context, p BdevNullCreateParams) (string, error) {
	return c.callString(ctx, spdkrpc.MethodBdevNullCreate, p)
}

// BdevGetBdevs lists bdevs, or the one named by p.Name (ErrNotFound if it
// does not appear within p.Timeout ms).
func (c *Client) BdevGetBdevs(ctx context.Context, p BdevGetBdevsParams) ([]Bdev, error) {
	var out []Bdev
	err := c.Call(ctx, spdkrpc.MethodBdevGetBdevs, p, &out)
	return out, err
}

// BdevLvolCreateLvstore creates a logical volume store on a bdev and
// returns its UUID.
func (c *Client) BdevLvolCreateLvstore(ctx context.Context, p BdevLvolCreateLvstoreParams) (string, error) {
	return c.callString(ctx, spdkrpc.MethodBdevLvolCreateLvstore, p)
}

// BdevLvolGetLvstores lists lvstores, or the one p names (ErrNotFound if
// it does not exist).
func (c *Client) BdevLvolGetLvstores(ctx context.Context, p BdevLvolGetLvstoresParams) ([]Lvstore, error) {
	var out []Lvstore
	err := c.Call(ctx, spdkrpc.MethodBdevLvolGetLvstores, p, &out)
	return out, err
}

// BdevLvolCreate creates a logical volume (thin with p.ThinProvision) and
// returns its UUID; its bdev is also reachable as "lvs_name/lvol_name".
func (c *Client) BdevLvolCreate(ctx context.Context, p BdevLvolCreateParams) (string, error) {
	return c.callString(ctx, spdkrpc.MethodBdevLvolCreate, p)
}

// BdevLvolResize grows or shrinks a logical volume.
func (c *Client) BdevLvolResize(ctx context.Context, p BdevLvolResizeParams) error {
	return c.callBool(ctx, spdkrpc.MethodBdevLvolResize, p)
}

// BdevLvolDelete deletes a logical volume by bdev name, alias or UUID
// (ErrNotFound if there is none).
func (c *Client) BdevLvolDelete(ctx context.Context, name string) error {
	return c.callBool(ctx, spdkrpc.MethodBdevLvolDelete, spdkrpc.BdevDeleteParams{Name: name})
}

// BdevDelayCreate stacks a latency-injecting bdev on a base bdev and
// returns its name.
func (c *Client) BdevDelayCreate(ctx context.Context, p BdevDelayCreateParams) (string, error) {
	return c.callString(ctx, spdkrpc.MethodBdevDelayCreate, p)
}

// BdevDelayUpdateLatency changes one latency of a delay bdev; I/O already
// in flight keeps the old value.
func (c *Client) BdevDelayUpdateLatency(ctx context.Context, p BdevDelayUpdateLatencyParams) error {
	return c.callBool(ctx, spdkrpc.MethodBdevDelayUpdateLatency, p)
}

// BdevDelayDelete deletes a delay bdev, leaving its base bdev.
func (c *Client) BdevDelayDelete(ctx context.Context, name string) error {
	return c.callBool(ctx, spdkrpc.MethodBdevDelayDelete, spdkrpc.BdevDeleteParams{Name: name})
}

// BdevErrorCreate stacks an error-injecting bdev named "EE_"+p.BaseName on
// a base bdev.
func (c *Client) BdevErrorCreate(ctx context.Context, p BdevErrorCreateParams) error {
	return c.callBool(ctx, spdkrpc.MethodBdevErrorCreate, p)
}

// BdevErrorInjectError arms (or, with IOType "clear", disarms) error
// injection on an EE_ bdev.
func (c *Client) BdevErrorInjectError(ctx context.Context, p BdevErrorInjectErrorParams) error {
	return c.callBool(ctx, spdkrpc.MethodBdevErrorInjectError, p)
}

// BdevErrorDelete deletes an error bdev, leaving its base bdev.
func (c *Client) BdevErrorDelete(ctx context.Context, name string) error {
	return c.callBool(ctx, spdkrpc.MethodBdevErrorDelete, spdkrpc.BdevDeleteParams{Name: name})
}

// SpdkGetVersion returns the target's version.
func (c *Client) SpdkGetVersion(ctx context.Context) (SpdkGetVersion, error) {
	var v SpdkGetVersion
	err := c.Call(ctx, spdkrpc.MethodSpdkGetVersion, nil, &v)
	return v, err
}

// SpdkKillInstance sends the target process a signal (e.g. "SIGTERM").
// The process may exit before its reply is written, so a connection lost
// after the request went out counts as success, as in SPDK's python client.
func (c *Client) SpdkKillInstance(ctx context.Context, sigName string) error {
	err := c.callBool(ctx, spdkrpc.MethodSpdkKillInstance, spdkrpc.SpdkKillInstanceParams{SigName: sigName})
	if errors.Is(err, ErrConnectionLost) && !errors.Is(err, errNotSent) {
		return nil
	}
	return err
}

// callString is Call for methods whose result is a name or UUID.
func (c *Client) callString(ctx context.Context, method string, params any) (string, error) {
	var s string
	err := c.Call(ctx, method, params, &s)
	return s, err
}
