package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// errNotSent marks failures that happened before any byte of the request
// reached the connection, so the target cannot have acted on it.
var errNotSent = errors.New("request not sent")

// streamTransport multiplexes calls over one unix or TCP connection: a
// single reader goroutine decodes replies and hands each to the call
// waiting for its id.
type streamTransport struct {
	conn net.Conn
	wmu  sync.Mutex // one request on the wire at a time

	mu      sync.Mutex
	pending map[uint64]chan *spdkrpc.Response
	err     error         // why the transport stopped; set once
	done    chan struct{} // closed when err is set
	readers sync.WaitGroup
}

func newStreamTransport(conn net.Conn) *streamTransport {
	t := &streamTransport{
		conn:    conn,
		pending: map[uint64]chan *spdkrpc.Response{},
		done:    make(chan struct{}),
	}
	t.readers.Add(1)
	go t.readLoop()
	return t
}

func (t *streamTransport) roundTrip(ctx context.Context, id uint64, req *spdkrpc.Request) (*spdkrpc.Response, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("marshal request: %w", err)
	}
	ch := make(chan *spdkrpc.Response, 1)
	if err := t.register(id, ch); err != nil {
		return nil, err
	}
	defer t.unregister(id)
	if err := t.write(ctx, b); err != nil {
		return nil, err
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-ctx.Done():
	case <-t.done:
	}
	// The reader may have delivered the reply just before the connection
	// closed or the deadline passed; select picks at random among ready
	// cases, so look again: a reply that arrived wins.
	select {
	case resp := <-ch:
		return resp, nil
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, t.err
}

func (t *streamTransport) register(id uint64, ch chan *spdkrpc.Response) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return fmt.Errorf("%w: %w", errNotSent, t.err)
	}
	t.pending[id] = ch
	return nil
}

func (t *streamTransport) unregister(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pending, id)
}

// write sends one request whole. The write deadline follows ctx so a target
// that stopped reading cannot block the caller past its deadline; a write
// cut short leaves half a request on the wire, so the connection is then
// unusable and is failed for everyone.
func (t *streamTransport) write(ctx context.Context, b []byte) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	deadline, _ := ctx.Deadline() // zero: no deadline
	_ = t.conn.SetWriteDeadline(deadline)
	n, err := t.conn.Write(b)
	if err == nil {
		return nil
	}
	var ne net.Error
	if n == 0 && errors.As(err, &ne) && ne.Timeout() {
		// Nothing sent, so the stream is still in sync: only this call fails.
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return context.DeadlineExceeded
	}
	t.fail(fmt.Errorf("%w: write request: %w", ErrConnectionLost, err))
	if n == 0 {
		return fmt.Errorf("%w: %w", errNotSent, t.err)
	}
	return t.err
}

// readLoop decodes replies until the connection fails. Replies to calls
// that already gave up (timeout, cancel) are dropped.
func (t *streamTransport) readLoop() {
	defer t.readers.Done()
	dec := json.NewDecoder(t.conn)
	for {
		var resp spdkrpc.Response
		if err := dec.Decode(&resp); err != nil {
			t.fail(fmt.Errorf("%w: read reply: %w", ErrConnectionLost, err))
			return
		}
		if err := t.deliver(&resp); err != nil {
			t.fail(err)
			return
		}
	}
}

// deliver routes a reply to its call. A reply with a null id means the
// target could not read one of our requests (it answers parse errors and
// invalid requests that way and SPDK closes after a parse error), so the
// stream can no longer be trusted.
func (t *streamTransport) deliver(resp *spdkrpc.Response) error {
	id, err := strconv.ParseUint(string(resp.ID), 10, 64)
	if err != nil {
		if resp.Error != nil {
			return fmt.Errorf("%w: target rejected a request: error %d: %s",
				ErrConnectionLost, resp.Error.Code, resp.Error.Message)
		}
		return fmt.Errorf("%w: reply with unexpected id %.40s", ErrConnectionLost, resp.ID)
	}
	t.mu.Lock()
	ch := t.pending[id]
	delete(t.pending, id)
	t.mu.Unlock()
	if ch != nil {
		ch <- resp // buffered: never blocks
	}
	return nil
}

// fail records why the transport stopped (first reason wins), wakes every
// waiting call and closes the connection so the reader ends too.
func (t *streamTransport) fail(err error) {
	t.mu.Lock()
	if t.err != nil {
		t.mu.Unlock()
		return
	}
	t.err = err
	close(t.done)
	t.mu.Unlock()
	_ = t.conn.SetDeadline(time.Now())
	_ = t.conn.Close()
}

// close fails pending calls with ErrClosed (unless the transport already
// broke, whose error they got) and waits for the reader to exit.
func (t *streamTransport) close() error {
	t.fail(ErrClosed)
	t.readers.Wait()
	return nil
}
