package kube

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// relayTunnel stands in for client-go's forwarder with its one behaviour
// that matters here: a connection the far end refuses ends the whole
// tunnel. It relays to backend over loopback.
func relayTunnel(t *testing.T, backend string, opened *atomic.Int32) tunnelDialer {
	return func(ctx context.Context) (*tunnel, error) {
		opened.Add(1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		tn := &tunnel{addr: ln.Addr().String(), stop: make(chan struct{}), done: make(chan struct{})}
		go func() { <-tn.stop; ln.Close() }()
		go func() {
			defer close(tn.done)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				b, err := net.Dial("tcp", backend)
				if err != nil {
					c.Close()
					ln.Close() // as client-go: the remote error ends the tunnel
					return
				}
				go func() { _, _ = io.Copy(b, c); b.Close() }()
				go func() { _, _ = io.Copy(c, b); c.Close() }()
			}
		}()
		return tn, nil
	}
}

// echoOnce answers one line with the same line.
func echoOnce(t *testing.T, addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return line, err
}

func serveEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
	}
}

func TestForwardSurvivesARefusedConnection(t *testing.T) {
	defer goleak.VerifyNone(t)
	// A port with nothing behind it yet: the worker has not listened.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backend := probe.Addr().String()
	probe.Close()

	var opened atomic.Int32
	f, err := newForward(context.Background(), relayTunnel(t, backend, &opened))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := echoOnce(t, f.Addr); err == nil {
		t.Fatal("a connection to a port nobody listens on answered")
	}

	ln, err := net.Listen("tcp", backend)
	if err != nil {
		t.Skipf("the freed port was taken meanwhile: %v", err)
	}
	defer ln.Close()
	go serveEcho(ln)
	for i := range 3 {
		got, err := echoOnce(t, f.Addr)
		if err != nil || got != "ping\n" {
			t.Fatalf("request %d through the same address after the refusal: %q, %v", i, got, err)
		}
	}
	if n := opened.Load(); n != 2 {
		t.Errorf("opened %d tunnels, want 2 (the first ended by the refusal, one after)", n)
	}
}

func TestForwardCloseEndsOpenConnections(t *testing.T) {
	defer goleak.VerifyNone(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go serveEcho(ln)
	var opened atomic.Int32
	f, err := newForward(context.Background(), relayTunnel(t, ln.Addr().String(), &opened))
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", f.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 16)
	for {
		if _, err = c.Read(buf); err != nil {
			break
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("a connection through a closed forward stayed open")
	}
	if _, err := net.DialTimeout("tcp", f.Addr, time.Second); err == nil {
		t.Fatal("a closed forward still accepts connections")
	}
	f.Close() // twice is fine
}
