package spdkrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Handler serves one method. params is nil when the request had no params
// or null params (SPDK treats both alike), otherwise a JSON object or array.
// The returned value is marshalled as the result; a returned error whose
// chain holds an *Error is sent as that error object, any other error as
// {CodeInternalError, err.Error()}. ctx is cancelled when the connection
// closes or the server shuts down.
type Handler func(ctx context.Context, params json.RawMessage) (any, error)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("spdkrpc: server closed")

// DefaultMaxPending is how many bytes of not yet parsed input a connection
// may hold, as SPDK's 32 KiB receive buffer (SPDK_JSONRPC_RECV_BUF_SIZE):
// a request larger than that makes SPDK drop the connection, and so do we.
const DefaultMaxPending = 32 << 10

// maxInFlight bounds the handlers running at once for one connection so a
// client that pipelines without reading cannot grow goroutines unboundedly.
const maxInFlight = 128

// Server answers SPDK-style JSON-RPC on any number of listeners and
// connections. Requests on one connection are dispatched in arrival order,
// each handler on its own goroutine, so replies may come back out of order
// exactly as with SPDK's asynchronous methods: clients match them by id.
// Handlers must therefore be safe for concurrent use.
//
// Register handlers before serving; Register is safe to call at any time.
// Close stops everything and waits for running handlers to return.
type Server struct {
	// MaxPending overrides DefaultMaxPending when positive.
	MaxPending int

	mu        sync.Mutex
	handlers  map[string]Handler
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	https     map[*http.Server]struct{}
	httpConns int        // HTTP connections whose goroutine still runs
	httpGone  *sync.Cond // signalled when httpConns drops to 0; uses mu
	closed    bool
	wg        sync.WaitGroup
	ctx       context.Context
	cancel    context.CancelFunc
}

// NewServer returns a server with no methods registered: every call answers
// SPDK's "Method not found" until handlers are added.
func NewServer() *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		handlers:  map[string]Handler{},
		listeners: map[net.Listener]struct{}{},
		conns:     map[net.Conn]struct{}{},
		https:     map[*http.Server]struct{}{},
		ctx:       ctx,
		cancel:    cancel,
	}
	s.httpGone = sync.NewCond(&s.mu)
	return s
}

// Register makes h serve method, replacing any earlier handler for it.
func (s *Server) Register(method string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[method] = h
}

// Methods lists the registered method names, sorted (what SPDK's
// rpc_get_methods would report).
func (s *Server) Methods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.handlers))
	for n := range s.handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Server) handler(method string) Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handlers[method]
}

// Serve accepts connections on l until Close, serving each on its own
// goroutine. It takes ownership of l and closes it on return. It returns
// ErrServerClosed after Close, or the accept error that stopped it.
func (s *Server) Serve(l net.Listener) error {
	if !s.track(l, true) {
		_ = l.Close()
		return ErrServerClosed
	}
	defer s.track(l, false)
	defer l.Close()
	backoff := 5 * time.Millisecond
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(backoff) // transient (e.g. EMFILE surfaced as timeout): retry
				backoff = min(2*backoff, time.Second)
				continue
			}
			return fmt.Errorf("spdkrpc: accept on %s: %w", l.Addr(), err)
		}
		backoff = 5 * time.Millisecond
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.ServeConn(s.ctx, c)
		}()
	}
}

// ServeConn serves one already accepted connection until the peer closes
// it, the stream turns out not to be JSON, ctx ends or the server closes.
// It closes c before returning.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	if !s.trackConn(c, true) {
		_ = c.Close()
		return
	}
	defer s.trackConn(c, false)
	ctx, cancel := context.WithCancel(ctx)
	sc := &serverConn{srv: s, conn: c, ctx: ctx, slots: make(chan struct{}, maxInFlight)}
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	defer sc.inflight.Wait() // handlers finish (their writes fail fast once c is closed)
	defer cancel()
	defer c.Close()
	sc.readLoop()
}

// Close stops all listeners and connections (HTTP ones included), cancels
// handler contexts and waits for every handler and goroutine the server
// started. It is safe to call twice.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		s.waitHTTPConns()
		return nil
	}
	s.closed = true
	var errs []error
	for l := range s.listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		_ = c.Close()
	}
	for hs := range s.https {
		if err := hs.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.waitHTTPConns()
	return errors.Join(errs...)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track adds or removes a listener; adding fails once the server is closed.
func (s *Server) track(l net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.listeners, l)
		return true
	}
	if s.closed {
		return false
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) trackConn(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) maxPending() int {
	if s.MaxPending > 0 {
		return s.MaxPending
	}
	return DefaultMaxPending
}
