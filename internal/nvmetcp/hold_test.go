package nvmetcp

import (
	"bytes"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// countingConn counts the bytes the host writes on one connection.
type countingConn struct {
	net.Conn
	written *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.written.Add(int64(n))
	return n, err
}

// TestHoldFlush: held commands are not sent before Flush, all of them go
// out with it, and their data round-trips like submitted commands'.
func TestHoldFlush(t *testing.T) {
	cases := []struct {
		name  string
		peer  peerConfig
		write bool
		n     int
	}{
		{"one read", peerConfig{}, false, 1},
		{"16 reads", peerConfig{}, false, 16},
		{"8 in-capsule writes", peerConfig{}, true, 8},
		{"8 writes by R2T", peerConfig{ICD: -1}, true, 8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, tc.peer)
			var ioBytes atomic.Int64
			var dials atomic.Int32
			cfg := hostConfig(p)
			cfg.KATO = -1 // nothing but the test's commands on the wire
			cfg.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				c, err := d.DialContext(ctx, network, addr)
				if err != nil || dials.Add(1) == 1 {
					return c, err // the admin queue is not counted
				}
				return countingConn{Conn: c, written: &ioBytes}, nil
			}
			c := dial(t, cfg)
			q := c.Queue(0)
			const bs = 512
			data := make([]byte, tc.n*bs)
			for i := range data {
				data[i] = byte(i*7 + 3)
			}
			if !tc.write {
				p.mu.Lock()
				copy(p.data, data)
				p.mu.Unlock()
			}
			var wg sync.WaitGroup
			reqs := make([]*Request, tc.n)
			for i := range reqs {
				r := &Request{Opcode: nvme.IORead, NSID: 1, SLBA: uint64(i), NLB: 1, Buf: make([]byte, bs),
					Done: func(*Request) { wg.Done() }}
				if tc.write {
					r.Opcode = nvme.IOWrite
					copy(r.Buf, data[i*bs:])
				}
				reqs[i] = r
			}
			before := ioBytes.Load()
			wg.Add(tc.n)
			for _, r := range reqs {
				if err := q.Hold(r); err != nil {
					t.Fatal(err)
				}
			}
			if got := ioBytes.Load(); got != before {
				t.Fatalf("%d bytes sent before Flush", got-before)
			}
			q.Flush()
			if ioBytes.Load() == before {
				t.Fatal("Flush sent nothing")
			}
			wg.Wait()
			for i, r := range reqs {
				if r.Err != nil {
					t.Fatalf("request %d: %v", i, r.Err)
				}
			}
			got := make([]byte, len(data))
			if tc.write {
				p.mu.Lock()
				copy(got, p.data)
				p.mu.Unlock()
			} else {
				for i, r := range reqs {
					copy(got[i*bs:], r.Buf)
				}
			}
			if !bytes.Equal(got, data) {
				t.Fatal("data did not round-trip")
			}
		})
	}
}
