package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// probeTimeout bounds one health probe when the caller's context has no
// earlier deadline: a hung target must fail a probe, not block it.
const probeTimeout = 2 * time.Second

// CheckRPC asks the target behind a unix socket for spdk_get_version and
// returns the version string, proving the process is up and serving RPC.
func CheckRPC(ctx context.Context, socket string) (string, error) {
	var v spdkrpc.SpdkGetVersion
	if err := rpcCall(ctx, socket, "spdk_get_version", nil, &v); err != nil {
		return "", err
	}
	return v.Version, nil
}

// CheckTCP connects to a listener and closes the connection at once,
// proving the target accepts NVMe/TCP connections there.
func CheckTCP(ctx context.Context, addr netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return fmt.Errorf("connect %s: %w", addr, err)
	}
	return c.Close()
}

// rpcCall sends one request on a fresh connection and decodes the reply's
// result into result (unless nil). SPDK error objects come back as
// *spdkrpc.Error. It is the minimum health checks need, not an RPC client.
func rpcCall(ctx context.Context, socket, method string, params, result any) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return fmt.Errorf("rpc %s: %w", method, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	req, err := spdkrpc.NewRequest(1, method, params)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return fmt.Errorf("rpc %s on %s: send: %w", method, socket, err)
	}
	var resp spdkrpc.Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return fmt.Errorf("rpc %s on %s: reply: %w", method, socket, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("rpc %s on %s: %w", method, socket, resp.Error)
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Result, result); err != nil {
		return fmt.Errorf("rpc %s on %s: result: %w", method, socket, err)
	}
	return nil
}

// ErrExited means a target process died while the harness waited for it.
var ErrExited = errors.New("target process exited")

// pollInterval is how often the waits for a target probe.
const pollInterval = 50 * time.Millisecond

// waitReady calls probe until it succeeds, exited is closed, or ctx ends;
// the error names what and carries the last probe's failure.
func waitReady(ctx context.Context, what string, exited <-chan struct{}, probe func(context.Context) error) error {
	var last error
	return poll.Until(ctx, what, func(ctx context.Context) error {
		select {
		case <-exited:
			return poll.Stop(fmt.Errorf("%w (last probe: %v)", ErrExited, last))
		default:
		}
		last = probe(ctx)
		return last
	}, poll.Every(pollInterval), poll.Within(0))
}
