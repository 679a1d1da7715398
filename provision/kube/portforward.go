package kube

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

	"github.com/nvmf-chaos/nvmf-chaos/internal/connset"
)

// Forward is a port-forward from 127.0.0.1 to a pod's port through the API
// server, as `kubectl port-forward` does: it works on every cluster,
// whatever its network.
//
// client-go's forwarder ends at the first error from the pod's side (a
// connection refused because the process has not listened yet or is
// restarting): it closes its listener, and every later connection to it is
// refused. A Forward keeps one local address for its whole life and opens
// a new tunnel when the last one ended, so a refused connection costs that
// connection only, never the run.
type Forward struct {
	// Addr is the local end, 127.0.0.1:PORT.
	Addr string

	dial   tunnelDialer
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	cur   *tunnel
	conns connset.Set
}

// tunnelDialer opens one client-go forwarder to the pod.
type tunnelDialer func(ctx context.Context) (*tunnel, error)

// tunnelOpenTimeout bounds opening one tunnel through the API server.
const tunnelOpenTimeout = 30 * time.Second

// Forward opens a port-forward to ns/pod:port. It fails at once when the
// pod cannot be reached (not found, not running, no permission).
func (c *Client) Forward(ctx context.Context, ns, pod string, port int) (*Forward, error) {
	transport, upgrader, err := spdy.RoundTripperFor(c.Config)
	if err != nil {
		return nil, fmt.Errorf("port-forward to %s/%s: %w", ns, pod, err)
	}
	u := c.CS.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	where := fmt.Sprintf("%s/%s:%d", ns, pod, port)
	return newForward(ctx, func(ctx context.Context) (*tunnel, error) {
		return openTunnel(ctx, dialer, where, port)
	})
}

// newForward opens the first tunnel, so a pod that cannot be reached is an
// error here, then listens on the stable local address.
func newForward(ctx context.Context, dial tunnelDialer) (*Forward, error) {
	first, err := dial(ctx)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		first.close()
		return nil, fmt.Errorf("port-forward: %w", err)
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &Forward{Addr: ln.Addr().String(), dial: dial, ln: ln, ctx: fctx, cancel: cancel, cur: first}
	f.wg.Add(1)
	go f.accept()
	return f, nil
}

func (f *Forward) accept() {
	defer f.wg.Done()
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return // closed
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.serve(conn)
		}()
	}
}

// serve splices one local connection through the live tunnel, opening a
// new one when the last has ended.
func (f *Forward) serve(local net.Conn) {
	if !f.conns.Add(local) {
		local.Close()
		return
	}
	defer f.conns.Remove(local)
	var remote net.Conn
	for attempt := 0; attempt < 2 && remote == nil; attempt++ {
		t, err := f.tunnel()
		if err != nil {
			return // the client sees its connection closed
		}
		if remote, err = net.Dial("tcp", t.addr); err != nil {
			t.close() // it ended between the check and the dial
			remote = nil
		}
	}
	if remote == nil {
		return
	}
	defer remote.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(remote, local)
		if tc, ok := remote.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		close(done)
	}()
	_, _ = io.Copy(local, remote)
	local.Close()
	<-done
}

// tunnel returns the live tunnel, opening one if the last has ended.
func (f *Forward) tunnel() (*tunnel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil && f.cur.alive() {
		return f.cur, nil
	}
	if f.ctx.Err() != nil {
		return nil, f.ctx.Err()
	}
	if f.cur != nil {
		f.cur.close()
	}
	ctx, cancel := context.WithTimeout(f.ctx, tunnelOpenTimeout)
	defer cancel()
	t, err := f.dial(ctx)
	f.cur = t
	return t, err
}

// Close stops the forward and every connection through it; safe to call
// twice.
func (f *Forward) Close() {
	f.cancel()
	f.ln.Close()
	f.conns.Close()
	f.mu.Lock()
	t := f.cur
	f.mu.Unlock()
	if t != nil {
		t.close()
	}
	f.wg.Wait()
}

// tunnel is one client-go forwarder on an ephemeral local port.
type tunnel struct {
	addr string
	stop chan struct{}
	once sync.Once
	done chan struct{}
}

func openTunnel(ctx context.Context, dialer httpstream.Dialer, where string, port int) (*tunnel, error) {
	t := &tunnel{stop: make(chan struct{}), done: make(chan struct{})}
	errs := &syncBuffer{}
	ready := make(chan struct{})
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", port)}, t.stop, ready, io.Discard, errs)
	if err != nil {
		return nil, fmt.Errorf("port-forward to %s: %w", where, err)
	}
	runErr := make(chan error, 1)
	go func() {
		defer close(t.done)
		runErr <- pf.ForwardPorts()
	}()
	select {
	case <-ready:
	case err := <-runErr:
		return nil, fmt.Errorf("port-forward to %s: %w %s", where, err, errs.String())
	case <-ctx.Done():
		t.close()
		return nil, fmt.Errorf("port-forward to %s: %w", where, ctx.Err())
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) != 1 {
		t.close()
		return nil, fmt.Errorf("port-forward to %s: no local port: %v", where, err)
	}
	t.addr = fmt.Sprintf("127.0.0.1:%d", ports[0].Local)
	return t, nil
}

func (t *tunnel) alive() bool {
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}

func (t *tunnel) close() {
	t.once.Do(func() { close(t.stop) })
	<-t.done
}

// syncBuffer collects the forwarder's error output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.b.String())
}
