package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// call, timeout and broken connection must clean up after itself.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// badPeer is a unix-socket "target" scripted per test: for each accepted
// connection it reads one request and runs act with it.
func badPeer(t *testing.T, act func(c net.Conn, req map[string]any)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bad.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			var req map[string]any
			if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err == nil {
				act(c, req)
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); <-done })
	return path
}

func TestBadPeer(t *testing.T) {
	tests := []struct {
		name string
		act  func(c net.Conn, req map[string]any)
		is   error
		text string
	}{
		{"closes without reply", func(net.Conn, map[string]any) {}, ErrConnectionLost, "EOF"},
		{"malformed reply", func(c net.Conn, _ map[string]any) {
			_, _ = c.Write([]byte("this is not json\n"))
		}, ErrConnectionLost, "invalid character"},
		{"closes mid-reply", func(c net.Conn, req map[string]any) {
			_, _ = c.Write([]byte(`{"jsonrpc":"2.0","id":1,"res`))
		}, ErrConnectionLost, "unexpected EOF"},
		{"parse error with null id", func(c net.Conn, _ map[string]any) {
			_, _ = c.Write([]byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}` + "\n"))
		}, ErrConnectionLost, "Parse error"},
		{"never answers", func(c net.Conn, _ map[string]any) {
			_, _ = c.Read(make([]byte, 1)) // until the client hangs up
		}, ErrTimeout, "no reply within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, badPeer(t, tt.act), WithTimeout(200*time.Millisecond))
			start := time.Now()
			_, err := c.SpdkGetVersion(testCtx(t))
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("got %v, want %v mentioning %q", err, tt.is, tt.text)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if tt.is == ErrConnectionLost {
				_, err := c.SpdkGetVersion(testCtx(t))
				if !errors.Is(err, ErrConnectionLost) {
					t.Errorf("call after the connection broke: %v", err)
				}
			}
		})
	}
}

func TestKillInstanceToleratesEOF(t *testing.T) {
	reqs := make(chan map[string]any, 2)
	sock := badPeer(t, func(_ net.Conn, req map[string]any) { reqs <- req })
	c := dial(t, sock)
	if err := c.SpdkKillInstance(testCtx(t), "SIGTERM"); err != nil {
		t.Fatalf("kill with EOF instead of a reply: %v", err)
	}
	got := <-reqs
	if p, _ := got["params"].(map[string]any); got["method"] != "spdk_kill_instance" || p["sig_name"] != "SIGTERM" {
		t.Errorf("request %v", got)
	}
	// Now the connection is gone: a kill that cannot be sent is an error.
	if err := c.SpdkKillInstance(testCtx(t), "SIGTERM"); !errors.Is(err, ErrConnectionLost) {
		t.Errorf("kill on a broken connection: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	ctx := testCtx(t)
	missing := filepath.Join(t.TempDir(), "none.sock")
	if _, err := Dial(ctx, missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("dial missing socket: %v", err)
	}
	if _, err := Dial(ctx, "tcp://nohostport"); err == nil {
		t.Error("dial tcp:// without port succeeded")
	}
	if _, err := Dial(ctx, "http://user:secret@"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("dial http without host: %v", err)
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		addr, network, address string
	}{
		{"", "unix", "/var/tmp/spdk.sock"},
		{"/var/tmp/spdk.sock", "unix", "/var/tmp/spdk.sock"},
		{"./spdk.sock", "unix", "./spdk.sock"},
		{"spdk.sock", "unix", "spdk.sock"},
		{"unix:///run/spdk.sock", "unix", "/run/spdk.sock"},
		{"127.0.0.1:5260", "tcp", "127.0.0.1:5260"},
		{"[::1]:5260", "tcp", "[::1]:5260"},
		{"tcp://localhost:5260", "tcp", "localhost:5260"},
		{"http://u:p@127.0.0.1:9009", "http", "http://u:xxxxx@127.0.0.1:9009/"},
		{"https://127.0.0.1:9009/rpc", "http", "https://127.0.0.1:9009/rpc"},
	}
	for _, tt := range tests {
		ep, err := parseAddr(tt.addr)
		if err != nil || ep.network != tt.network || ep.address != tt.address {
			t.Errorf("parseAddr(%q) = %+v, %v; want %s %s", tt.addr, ep, err, tt.network, tt.address)
		}
	}
	for _, bad := range []string{"unix://", "tcp://host", "http://"} {
		if _, err := parseAddr(bad); err == nil {
			t.Errorf("parseAddr(%q) succeeded", bad)
		}
	}
}

// A reply for a call that already gave up must not disturb later calls.
func TestLateReplyIsDropped(t *testing.T) {
	gaveUp := make(chan struct{})
	sock := badPeer(t, func(c net.Conn, req map[string]any) {
		<-gaveUp // reply only once the first call has returned
		dec := json.NewDecoder(c)
		enc := json.NewEncoder(c)
		_ = enc.Encode(map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": "late"})
		var next map[string]any
		if dec.Decode(&next) == nil {
			_ = enc.Encode(map[string]any{"jsonrpc": "2.0", "id": next["id"], "result": "fresh"})
		}
	})
	c := dial(t, sock)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var s string
	err := c.Call(ctx, "m", nil, &s)
	close(gaveUp)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first call: %v", err)
	}
	if err := c.Call(testCtx(t), "m", nil, &s); err != nil || s != "fresh" {
		t.Fatalf("second call = %q, %v", s, err)
	}
}

// A reply that arrived just before the connection closed still counts.
func TestReplyBeforeEOFWins(t *testing.T) {
	sock := badPeer(t, func(c net.Conn, req map[string]any) {
		_ = json.NewEncoder(c).Encode(map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": "ok"})
	})
	for range 50 {
		c := dial(t, sock)
		var s string
		if err := c.Call(testCtx(t), "m", nil, &s); err != nil || s != "ok" {
			t.Fatalf("call = %q, %v", s, err)
		}
		_ = c.Close()
	}
}
