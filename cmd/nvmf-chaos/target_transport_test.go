package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/targettest"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// TestTargetTransportByMode is issue 18's second bug: `nvmf-chaos target`
// driven over RPC must start like nvmf_tgt, with no transport, so a setup
// written for SPDK (nvmf_create_transport first) works unchanged, and a
// listener before the transport fails as on SPDK. A target given its
// subsystem on the command line listens over TCP itself: over RPC it has
// a transport, and it serves as it always did.
func TestTargetTransportByMode(t *testing.T) {
	for _, tc := range []struct {
		name string
		// args are the flags after `target`; sock and addr are the RPC
		// socket and the data address to use.
		args func(sock, addr string) []string
		// rpc: the test talks to the target over RPC; transport: the
		// target has a TCP transport at start; serves: the command-line
		// subsystem serves reads at addr.
		rpc, transport, serves bool
	}{
		{name: "rpc only", rpc: true,
			args: func(sock, _ string) []string { return []string{"--rpc-socket", sock} }},
		{name: "rpc and command-line subsystem", rpc: true, transport: true, serves: true,
			args: func(sock, addr string) []string {
				return []string{"--rpc-socket", sock, "--listen", addr, "--nqn", targetNQN, "--malloc", "16MiB"}
			}},
		{name: "command line only", serves: true,
			args: func(_, addr string) []string {
				return []string{"--listen", addr, "--nqn", targetNQN, "--malloc", "16MiB"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sock := filepath.Join(t.TempDir(), "rpc.sock")
			addr := targettest.FreeAddr(t)
			proc := exec.Command(os.Args[0], append([]string{"target", "--log-level", "warn"}, tc.args(sock, addr)...)...)
			proc.Env = append(os.Environ(), beMainEnv+"=1")
			if err := proc.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = proc.Process.Kill(); _ = proc.Wait() })
			if tc.serves {
				readBlock(ctx, t, addr)
			}
			if !tc.rpc {
				return
			}
			c := dialRPC(ctx, t, sock)
			defer c.Close()
			ts, err := c.NvmfGetTransports(ctx, rpc.NvmfGetTransportsParams{})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ts) == 1 && ts[0].Trtype == "TCP"; got != tc.transport || len(ts) > 1 {
				t.Fatalf("transports at start %+v, want TCP: %v", ts, tc.transport)
			}
			if tc.transport {
				err := c.NvmfCreateTransport(ctx, rpc.NvmfCreateTransportParams{Trtype: "TCP"})
				if !errors.Is(err, rpc.ErrExists) {
					t.Fatalf("nvmf_create_transport beside the command's listener: %v, want already exists", err)
				}
				return
			}
			// As on nvmf_tgt: no listener before the transport, then the
			// bring-up written for SPDK.
			const nqn = "nqn.2016-06.io.nvmf-chaos:rpc"
			if err := c.NvmfCreateSubsystem(ctx, rpc.NvmfCreateSubsystemParams{NQN: nqn, AllowAnyHost: true}); err != nil {
				t.Fatal(err)
			}
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				t.Fatal(err)
			}
			la := rpc.ListenAddress{Trtype: "TCP", Adrfam: "IPv4", Traddr: host, Trsvcid: port}
			err = c.NvmfSubsystemAddListener(ctx, rpc.NvmfSubsystemListenerParams{NQN: nqn, ListenAddress: la})
			if !errors.Is(err, rpc.ErrInvalidParams) {
				t.Fatalf("listener before the transport: %v, want SPDK's invalid params", err)
			}
			if err := c.NvmfCreateTransport(ctx, rpc.NvmfCreateTransportParams{Trtype: "TCP"}); err != nil {
				t.Fatalf("nvmf_create_transport on a fresh target: %v", err)
			}
			if err := c.NvmfSubsystemAddListener(ctx, rpc.NvmfSubsystemListenerParams{NQN: nqn, ListenAddress: la}); err != nil {
				t.Fatalf("listener after the transport: %v", err)
			}
		})
	}
}

// targetNQN is the subsystem the command-line cases serve.
const targetNQN = "nqn.2016-06.io.nvmf-chaos:cmdline"

// readBlock connects to the command-line subsystem at addr, retrying while
// the target starts, and reads its first block.
func readBlock(ctx context.Context, t *testing.T, addr string) {
	t.Helper()
	for {
		ctl, err := nvmetcp.Dial(ctx, nvmetcp.Config{Addr: addr, SubsysNQN: targetNQN})
		if err == nil {
			defer ctl.Close()
			if err := ctl.ReadAt(ctx, 1, make([]byte, 512), 0); err != nil {
				t.Fatalf("read from the command-line subsystem: %v", err)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("command-line subsystem at %s: %v", addr, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
