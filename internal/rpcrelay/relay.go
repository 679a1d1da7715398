// Package rpcrelay carries TCP connections to a unix socket: SPDK's
// nvmf_tgt serves JSON-RPC on a unix socket only, and a Kubernetes
// port-forward reaches TCP ports only, so a target pod running SPDK has
// this relay beside it.
package rpcrelay

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Relay listens on TCP and joins each connection to a new connection to
// the unix socket.
type Relay struct {
	Unix   string // the socket, as SPDK's -r names it
	Listen string // host:port
	// Ready, when set, is told the bound address once Serve listens.
	Ready func(addr net.Addr)
}

// Serve waits until the socket accepts connections (the target has
// started), then listens, so a readiness probe on the TCP port means the
// target's RPC answers; it returns when ctx ends.
func (r *Relay) Serve(ctx context.Context) error {
	if err := r.waitSocket(ctx); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", r.Listen)
	if err != nil {
		return fmt.Errorf("rpc relay: %w", err)
	}
	if r.Ready != nil {
		r.Ready(ln.Addr())
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("rpc relay: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.join(ctx, c)
		}()
	}
}

// waitSocket polls until the socket accepts a connection.
func (r *Relay) waitSocket(ctx context.Context) error {
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", r.Unix)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rpc relay: %s never accepted a connection: %w", r.Unix, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// join copies both ways, passing on each side's end of writing, until
// both ends are done (a reply still flows after the request's side ends).
func (r *Relay) join(ctx context.Context, c net.Conn) {
	defer c.Close()
	var d net.Dialer
	u, err := d.DialContext(ctx, "unix", r.Unix)
	if err != nil {
		return // the target went away: the client sees its connection close
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(u, c)
	go cp(c, u)
	for range 2 {
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
	}
}
