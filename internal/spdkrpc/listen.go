package spdkrpc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"time"
)

// DefaultSocket is SPDK's default RPC socket path (the app's -r option).
const DefaultSocket = "/var/tmp/spdk.sock"

// ListenUnix listens on a unix stream socket at path. A socket file left
// behind by a process that died is removed first, but only when nothing
// answers on it, so a live target is never hijacked.
func ListenUnix(ctx context.Context, path string) (net.Listener, error) {
	if err := removeStale(ctx, path); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("spdkrpc: listen on %s: %w", path, err)
	}
	return l, nil
}

// ListenTCP listens on a TCP address such as "127.0.0.1:5260" (SPDK's
// -r host:port form).
func ListenTCP(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("spdkrpc: listen on %s: %w", addr, err)
	}
	return l, nil
}

func removeStale(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spdkrpc: stat %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("spdkrpc: %s exists and is not a socket", path)
	}
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	var d net.Dialer
	if c, err := d.DialContext(dctx, "unix", path); err == nil {
		_ = c.Close()
		return fmt.Errorf("spdkrpc: %s is in use by a running server", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("spdkrpc: remove stale socket %s: %w", path, err)
	}
	return nil
}
