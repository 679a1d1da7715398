package spdkrpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves server goroutines behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startServer serves a server with a few test methods on a unix socket in
// t.TempDir and returns it and the socket path.
func startServer(t *testing.T, configure ...func(*Server)) (*Server, string) {
	t.Helper()
	s := NewServer()
	for _, f := range configure {
		f(s)
	}
	s.Register("echo", func(_ context.Context, p json.RawMessage) (any, error) { return p, nil })
	s.Register("fail_errno", func(context.Context, json.RawMessage) (any, error) {
		return nil, fmt.Errorf("lookup: %w", ErrnoError(syscall.ENODEV))
	})
	s.Register("fail_plain", func(context.Context, json.RawMessage) (any, error) {
		return nil, errors.New("boom")
	})
	s.Register("panic", func(context.Context, json.RawMessage) (any, error) { panic("oops") })
	s.Register("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	path := filepath.Join(t.TempDir(), "spdk.sock")
	l, err := ListenUnix(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return s, path
}

type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, network, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

// line reads one reply; SPDK ends every reply with "\n".
func (rc *rawConn) line() string {
	rc.t.Helper()
	s, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("reading reply: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

func (rc *rawConn) expectEOF() {
	rc.t.Helper()
	if s, err := rc.r.ReadString('\n'); err == nil {
		rc.t.Fatalf("expected the server to close the connection, got %q", s)
	}
}

func TestServerReplies(t *testing.T) {
	_, path := startServer(t)
	tests := []struct {
		name, req, want string
	}{
		{"result", `{"jsonrpc":"2.0","method":"echo","params":{"a":1},"id":1}`,
			`{"jsonrpc":"2.0","id":1,"result":{"a":1}}`},
		{"string id echoed", `{"jsonrpc":"2.0","method":"echo","id":"abc"}`,
			`{"jsonrpc":"2.0","id":"abc","result":null}`},
		{"jsonrpc member optional", `{"method":"echo","params":[1],"id":2}`,
			`{"jsonrpc":"2.0","id":2,"result":[1]}`},
		{"null params are no params", `{"jsonrpc":"2.0","method":"echo","params":null,"id":3}`,
			`{"jsonrpc":"2.0","id":3,"result":null}`},
		{"unknown method", `{"jsonrpc":"2.0","method":"nope","id":4}`,
			`{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"Method not found"}}`},
		{"errno error", `{"jsonrpc":"2.0","method":"fail_errno","id":5}`,
			`{"jsonrpc":"2.0","id":5,"error":{"code":-19,"message":"No such device"}}`},
		{"plain error is internal", `{"jsonrpc":"2.0","method":"fail_plain","id":6}`,
			`{"jsonrpc":"2.0","id":6,"error":{"code":-32603,"message":"boom"}}`},
		{"panic is internal", `{"jsonrpc":"2.0","method":"panic","id":7}`,
			`{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"panic: handler panic: oops"}}`},
		{"batch refused", `[{"jsonrpc":"2.0","method":"echo","id":8}]`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}`},
		// Scalars end only at the next byte, so a request follows this one.
		{"scalar refused", `"hello"{"method":"nope","id":13}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}`},
		{"bad version", `{"jsonrpc":"1.0","method":"echo","id":9}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}`},
		{"missing method", `{"jsonrpc":"2.0","id":10}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}`},
		{"unknown member", `{"jsonrpc":"2.0","method":"echo","id":11,"extra":true}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}`},
		{"object id", `{"jsonrpc":"2.0","method":"echo","id":{}}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}`},
		{"string params", `{"jsonrpc":"2.0","method":"echo","params":"x","id":12}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}`},
		{"failed notification answers with null id", `{"jsonrpc":"2.0","method":"nope"}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"Method not found"}}`},
	}
	rc := dialRaw(t, "unix", path)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc.t = t
			rc.send(tt.req)
			if got := rc.line(); got != tt.want {
				t.Errorf("reply\n got %s\nwant %s", got, tt.want)
			}
			if strings.Contains(tt.req, `"id":13`) {
				_ = rc.line() // the trailing request's own reply
			}
		})
	}
}

// Requests glued together without separators, and one split across writes,
// are parsed as SPDK's incremental parser does.
func TestServerStreamFraming(t *testing.T) {
	_, path := startServer(t)
	rc := dialRaw(t, "unix", path)
	// A successful notification gets no reply, so the next line is id 1's.
	rc.send(`{"jsonrpc":"2.0","method":"echo"}{"jsonrpc":"2.0","method":"echo","id":1}{"jsonrpc":"2.0",`)
	if got := rc.line(); got != `{"jsonrpc":"2.0","id":1,"result":null}` {
		t.Fatalf("got %s", got)
	}
	rc.send(`"method":"echo","id":2}`)
	if got := rc.line(); got != `{"jsonrpc":"2.0","id":2,"result":null}` {
		t.Fatalf("got %s", got)
	}
}

func TestServerParseErrorClosesConnection(t *testing.T) {
	_, path := startServer(t)
	rc := dialRaw(t, "unix", path)
	rc.send(`{"jsonrpc":"2.0","method":"echo","id":1}`)
	if got := rc.line(); got != `{"jsonrpc":"2.0","id":1,"result":null}` {
		t.Fatalf("first reply: %s", got)
	}
	rc.send(`garbage}`)
	if got := rc.line(); got != `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}` {
		t.Fatalf("parse error reply: %s", got)
	}
	rc.expectEOF()
}

func TestServerOversizedRequestClosesConnection(t *testing.T) {
	_, path := startServer(t, func(s *Server) { s.MaxPending = 1024 })
	rc := dialRaw(t, "unix", path)
	// An unterminated string keeps the decoder asking for more input.
	rc.send(`{"jsonrpc":"2.0","method":"echo","params":{"x":"` + strings.Repeat("a", 64<<10))
	rc.expectEOF()
}

func TestServerTCPAndCloseCancelsHandlers(t *testing.T) {
	s := NewServer()
	started := make(chan struct{})
	s.Register("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	l, err := ListenTCP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	rc := dialRaw(t, "tcp", l.Addr().String())
	rc.send(`{"jsonrpc":"2.0","method":"block","id":1}`)
	<-started
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	rc.expectEOF()
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Serve(l); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Close: %v", err)
	}
}

func TestListenUnixStaleSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")
	l, err := ListenUnix(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(context.Background(), path); err == nil {
		t.Fatal("listening on a live socket succeeded")
	}
	// Simulate a crashed server: the file stays, nobody accepts.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	_ = l.Close()
	l2, err := ListenUnix(context.Background(), path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	_ = l2.Close()

	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(context.Background(), regular); err == nil {
		t.Fatal("a regular file was replaced by a socket")
	}
}

func TestNewRequestOmitsNilParams(t *testing.T) {
	tests := []struct {
		params any
		want   string
	}{
		{nil, `{"jsonrpc":"2.0","method":"m","id":7}`},
		{(*BdevDeleteParams)(nil), `{"jsonrpc":"2.0","method":"m","id":7}`},
		{NvmfGetSubsystemsParams{}, `{"jsonrpc":"2.0","method":"m","id":7}`},
		{BdevDeleteParams{Name: "x"}, `{"jsonrpc":"2.0","method":"m","params":{"name":"x"},"id":7}`},
	}
	for _, tt := range tests {
		req, err := NewRequest(7, "m", tt.params)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(req)
		if string(b) != tt.want {
			t.Errorf("got %s want %s", b, tt.want)
		}
	}
}

func TestErrnoErrorText(t *testing.T) {
	tests := []struct {
		errno syscall.Errno
		code  int
		msg   string
	}{
		{syscall.ENODEV, -19, "No such device"},
		{syscall.EEXIST, -17, "File exists"},
		{syscall.ENOSPC, -28, "No space left on device"},
		{syscall.EINVAL, -22, "Invalid argument"},
		{syscall.Errno(200), -200, "Unknown error 200"},
	}
	for _, tt := range tests {
		e := ErrnoError(tt.errno)
		if e.Code != tt.code || e.Message != tt.msg {
			t.Errorf("ErrnoError(%d) = %+v", tt.errno, e)
		}
	}
}
