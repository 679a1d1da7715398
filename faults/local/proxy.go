package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/connset"
)

// Proxy sizes: each direction of a connection queues at most proxyQueue
// chunks of proxyChunk bytes (2 MiB), which bounds memory and, through TCP
// flow control, the sender; at a 10 ms delay that still carries 200 MB/s.
const (
	proxyChunk = 32 << 10
	proxyQueue = 64
	// proxyDialTimeout bounds the connection to the upstream.
	proxyDialTimeout = 10 * time.Second
)

// Proxy is a TCP proxy the host connects through to reach a node, adding a
// settable delay to each direction: the latency fault's engine, since this
// kernel has no netem. Bytes are delivered in order, each chunk held until
// its read time plus the delay in force when it was read; a delay change
// applies to data read after it. It is safe for concurrent use.
type Proxy struct {
	ln       net.Listener
	upstream string
	delay    atomic.Int64
	ctx      context.Context
	cancel   context.CancelFunc

	conns connset.Set
	wg    sync.WaitGroup
}

var _ Delayer = (*Proxy)(nil)

// NewProxy listens on listen (e.g. "127.0.0.1:0") and forwards each
// connection to upstream until Close. ctx bounds only the setup.
func NewProxy(ctx context.Context, listen, upstream string) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		return nil, fmt.Errorf("proxy to %q: %w", upstream, err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("proxy to %s: %w", upstream, err)
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{ln: ln, upstream: upstream, ctx: pctx, cancel: cancel}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is the address the host connects to instead of the upstream.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetDelay sets the one-way delay of each direction (0 for none).
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(max(d, 0))) }

// Delay is the delay in force.
func (p *Proxy) Delay() time.Duration { return time.Duration(p.delay.Load()) }

// Close stops listening, cuts every connection and waits for the proxy's
// goroutines. Safe to call twice.
func (p *Proxy) Close() error {
	p.cancel()
	err := p.ln.Close()
	p.conns.Close()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

func (p *Proxy) serve(down net.Conn) {
	if !p.conns.Add(down) {
		down.Close()
		return
	}
	defer p.conns.Remove(down)
	dctx, cancel := context.WithTimeout(p.ctx, proxyDialTimeout)
	up, err := (&net.Dialer{}).DialContext(dctx, "tcp", p.upstream)
	cancel()
	if err != nil || !p.conns.Add(up) {
		if up != nil {
			up.Close()
		}
		return // the host sees its connection closed, as with a dead node
	}
	defer p.conns.Remove(up)
	var wg sync.WaitGroup
	wg.Go(func() { p.pipe(up, down) })
	wg.Go(func() { p.pipe(down, up) })
	wg.Wait()
}

type chunk struct {
	b   []byte
	due time.Time
}

// pipe copies src to dst through a bounded delay queue. On src's EOF it
// half-closes dst, so a request-then-close exchange still works; on any
// error it closes both, which ends the other direction too.
func (p *Proxy) pipe(dst, src net.Conn) {
	q := make(chan chunk, proxyQueue)
	go func() {
		defer close(q)
		for {
			b := make([]byte, proxyChunk)
			n, err := src.Read(b)
			if n > 0 {
				q <- chunk{b[:n], time.Now().Add(p.Delay())}
			}
			if err != nil {
				return
			}
		}
	}()
	failed := false
	t := time.NewTimer(0)
	defer t.Stop()
	for c := range q { // drained to the end so the reader never blocks
		if failed {
			continue
		}
		if wait := time.Until(c.due); wait > 0 {
			t.Reset(wait)
			<-t.C
		}
		if _, err := dst.Write(c.b); err != nil {
			failed = true
			dst.Close()
			src.Close()
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok && !failed {
		_ = tc.CloseWrite()
	}
}
