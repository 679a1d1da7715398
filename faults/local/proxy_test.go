package local

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// echoServer echoes every connection on loopback until cleanup.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func newTestProxy(t *testing.T) *Proxy {
	t.Helper()
	p, err := NewProxy(context.Background(), "127.0.0.1:0", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dialProxy(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// roundTrip sends one byte and waits for its echo.
func roundTrip(t *testing.T, c net.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := c.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// TestLatencyAddsDelay: a round trip through the proxy crosses it twice, so
// it takes at least twice the delay. Only the lower bound is asserted.
func TestLatencyAddsDelay(t *testing.T) {
	p := newTestProxy(t)
	c := dialProxy(t, p)
	roundTrip(t, c) // the connection works before the fault
	const delay = 40 * time.Millisecond
	f, err := NewLatency("tgt-a", p, delay)
	if err != nil {
		t.Fatal(err)
	}
	injectRecover(t, f, func() {
		if rtt := roundTrip(t, c); rtt < 2*delay {
			t.Errorf("round trip %s with a %s delay each way: want >= %s", rtt, delay, 2*delay)
		}
	})
	if p.Delay() != 0 {
		t.Errorf("delay %s after recovery, want 0", p.Delay())
	}
	roundTrip(t, c)
}

// TestProxyPreservesOrder streams random data through a delaying proxy and
// checks the echo byte for byte, while the delay changes mid-stream.
func TestProxyPreservesOrder(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	p := newTestProxy(t)
	p.SetDelay(2 * time.Millisecond)
	c := dialProxy(t, p)
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(c); got <- b }()
	for off := 0; off < len(data); off += 100 << 10 {
		if _, err := c.Write(data[off:min(off+100<<10, len(data))]); err != nil {
			t.Fatal(err)
		}
		p.SetDelay(time.Duration(rng.IntN(3)) * time.Millisecond)
	}
	_ = c.(*net.TCPConn).CloseWrite() // the EOF travels through both pipes
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("echo of %d bytes differs from what was sent (%d bytes back)", len(data), len(b))
	}
}

func TestProxyCloseCutsConnections(t *testing.T) {
	p := newTestProxy(t)
	c := dialProxy(t, p)
	roundTrip(t, c)
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after Close")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestProxyUpstreamDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p, err := NewProxy(context.Background(), "127.0.0.1:0", dead)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := dialProxy(t, p)
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("read through a proxy to a dead upstream: %v, want EOF", err)
	}
}

func TestNewLatencyRejects(t *testing.T) {
	p := newTestProxy(t)
	for name, err := range map[string]error{
		"no proxy": errOf(NewLatency("n", nil, time.Millisecond)),
		"zero":     errOf(NewLatency("n", p, 0)),
		"huge":     errOf(NewLatency("n", p, time.Hour)),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewProxy(context.Background(), "127.0.0.1:0", "nohost"); err == nil {
		t.Error("NewProxy accepted an upstream without a port")
	}
}

// TestLatencyRecoveredOnCancel: a run cancelled mid-fault leaves no delay.
func TestLatencyRecoveredOnCancel(t *testing.T) {
	p := newTestProxy(t)
	f, err := NewLatency("tgt-a", p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := faults.NewSchedule(time.Now(), []faults.Timed{{Fault: f, Duration: time.Hour}},
		faults.WithProgress(func(e faults.Event) {
			if e.Phase == faults.PhaseInject {
				cancel()
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	if p.Delay() != 0 {
		t.Errorf("delay %s left after the cancelled run", p.Delay())
	}
}
