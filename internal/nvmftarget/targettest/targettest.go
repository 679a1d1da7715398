// Package targettest starts an embedded target with its SPDK-compatible
// JSON-RPC API for tests of the packages that provision through RPC, the
// way `nvmf-chaos target --rpc-socket` runs it, but in-process.
package targettest

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/api"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// RPC starts an empty embedded target serving RPC on a unix socket with
// its TCP transport created, and returns a client connected to it and the
// socket path. Everything stops when the test ends.
func RPC(t testing.TB) (*rpc.Client, string) {
	t.Helper()
	c, sock := Bare(t)
	if err := c.NvmfCreateTransport(t.Context(), rpc.NvmfCreateTransportParams{Trtype: "TCP"}); err != nil {
		t.Fatal(err)
	}
	return c, sock
}

// Bare is RPC without the transport: the target as `nvmf-chaos target
// --rpc-socket` starts it, and as nvmf_tgt does.
func Bare(t testing.TB) (*rpc.Client, string) {
	t.Helper()
	tgt := nvmftarget.New(nvmftarget.Options{})
	a := api.New(tgt, nil, nil)
	srv := spdkrpc.NewServer()
	a.Register(srv)
	sock := filepath.Join(t.TempDir(), "rpc.sock")
	l, err := spdkrpc.ListenUnix(t.Context(), sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	c, err := rpc.Dial(t.Context(), sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); _ = srv.Close(); _ = tgt.Close(); _ = a.Close() })
	return c, sock
}

// FreeAddr is a loopback host:port nothing listens on at this moment.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
