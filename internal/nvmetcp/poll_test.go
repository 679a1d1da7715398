package nvmetcp

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

func polledConfig(p *peer) Config {
	cfg := hostConfig(p)
	cfg.PolledIO = true
	return cfg
}

// pollUntil polls q until n requests arrived on ch, as an engine does, and
// returns them.
func pollUntil(t *testing.T, q *Queue, ch chan *Request, n int) []*Request {
	t.Helper()
	var got []*Request
	deadline := time.Now().Add(testTimeout)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d completions arrived", len(got), n)
		}
		select {
		case r := <-ch:
			got = append(got, r)
			continue
		default:
		}
		_ = q.Poll(func() bool { return len(ch) > 0 }, time.Now().Add(50*time.Millisecond))
	}
	return got
}

// TestPolledRoundTrip writes random blocks and reads them back on polled
// queues, in-capsule and by R2T, reads by C2HData with and without
// SUCCESS: the bytes must come back, completions only while polled.
func TestPolledRoundTrip(t *testing.T) {
	for _, pc := range []peerConfig{{}, {ICD: -1, C2HSuccess: true, C2HChunk: 1024}} {
		p := newPeer(t, pc)
		c := dial(t, polledConfig(p))
		q := c.Queue(0)
		if !q.Polled() {
			t.Fatal("queue not polled")
		}
		const qd = 16
		rng := rand.New(rand.NewSource(1))
		ch := make(chan *Request, qd)
		want := make([][]byte, qd)
		for i := range qd {
			want[i] = make([]byte, 4096)
			rng.Read(want[i])
			r := &Request{Opcode: nvme.IOWrite, NSID: 1, SLBA: uint64(i * 8), NLB: 8, Buf: want[i], Done: ChanDone(ch)}
			if err := q.Hold(r); err != nil {
				t.Fatal(err)
			}
		}
		q.Flush()
		for _, r := range pollUntil(t, q, ch, qd) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		for i := range qd {
			r := &Request{Opcode: nvme.IORead, NSID: 1, SLBA: uint64(i * 8), NLB: 8, Buf: make([]byte, 4096), Done: ChanDone(ch), User: i}
			if err := q.Submit(r); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range pollUntil(t, q, ch, qd) {
			if r.Err != nil || !bytes.Equal(r.Buf, want[r.User.(int)]) {
				t.Fatalf("read back block %d: %v", r.User.(int), r.Err)
			}
		}
		// The synchronous wrappers poll for themselves.
		got := make([]byte, 4096)
		if err := c.ReadAt(testContext(t), 1, got, 8); err != nil || !bytes.Equal(got, want[1]) {
			t.Fatalf("ReadAt on a polled queue: %v", err)
		}
	}
}

// TestPolledUnpolledQueue: a queue with a reader goroutine refuses Poll.
func TestPolledUnpolledQueue(t *testing.T) {
	p := newPeer(t, peerConfig{})
	c := dial(t, hostConfig(p))
	if err := c.Queue(0).Poll(nil, time.Time{}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("Poll without PolledIO: %v", err)
	}
}

// TestPolledDeadline: with nothing to receive, Poll returns at its
// deadline, and the queue still works afterwards.
func TestPolledDeadline(t *testing.T) {
	p := newPeer(t, peerConfig{})
	c := dial(t, polledConfig(p))
	q := c.Queue(0)
	start := time.Now()
	if err := q.Poll(nil, start.Add(20*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("Poll returned after %v, before its deadline", d)
	}
	ch := make(chan *Request, 1)
	r := &Request{Opcode: nvme.IORead, NSID: 1, NLB: 1, Buf: make([]byte, 512), Done: ChanDone(ch)}
	if err := q.Submit(r); err != nil {
		t.Fatal(err)
	}
	if r := pollUntil(t, q, ch, 1)[0]; r.Err != nil {
		t.Fatal(r.Err)
	}
}

// TestPolledDroppedConnection: when the target drops the connection, the
// Poll that notices fails every outstanding command and says so.
func TestPolledDroppedConnection(t *testing.T) {
	p := newPeer(t, peerConfig{})
	c := dial(t, polledConfig(p))
	q := c.Queue(0)
	p.silent.Store(true)
	const n = 8
	ch := make(chan *Request, n)
	for i := range n {
		r := &Request{Opcode: nvme.IORead, NSID: 1, SLBA: uint64(i), NLB: 1, Buf: make([]byte, 512), Done: ChanDone(ch)}
		if err := q.Submit(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, pc := range p.ioConns() {
		pc.conn.Close()
	}
	var err error
	for range 100 {
		if err = q.Poll(nil, time.Now().Add(100*time.Millisecond)); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrControllerDown) {
		t.Fatalf("Poll after the connection dropped: %v", err)
	}
	collect(t, ch, n, func(err error) bool { return errors.Is(err, ErrControllerDown) })
	if err := q.Poll(nil, time.Time{}); !errors.Is(err, ErrControllerDown) {
		t.Fatalf("Poll of a failed queue: %v", err)
	}
}

// TestPolledClose: Close completes what is outstanding on a polled queue
// nobody polls.
func TestPolledClose(t *testing.T) {
	p := newPeer(t, peerConfig{})
	c := dial(t, polledConfig(p))
	p.silent.Store(true)
	ch := submitReads(t, c, 8)
	done := make(chan struct{})
	go func() { _ = c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatal("Close hangs")
	}
	collect(t, ch, 8, func(err error) bool { return errors.Is(err, ErrControllerDown) && errors.Is(err, ErrClosed) })
}

// TestPolledAllocs: a polled read or write costs no allocation.
func TestPolledAllocs(t *testing.T) {
	p := newPeer(t, peerConfig{BlockSize: 4096, Blocks: 1024, ICD: 8192})
	c := dial(t, polledConfig(p))
	q := c.Queue(0)
	ch := make(chan *Request, 1)
	ready := func() bool { return len(ch) > 0 }
	for _, op := range []uint8{nvme.IORead, nvme.IOWrite} {
		r := &Request{Opcode: op, NSID: 1, NLB: 1, Buf: make([]byte, 4096), Done: ChanDone(ch)}
		run := func() {
			if err := q.Submit(r); err != nil {
				t.Fatal(err)
			}
			for len(ch) == 0 {
				if err := q.Poll(ready, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			if r := <-ch; r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		run()
		if n := testing.AllocsPerRun(500, run); n > 0 {
			t.Errorf("%s: %.2f allocations per polled I/O, want 0", opName(op), n)
		}
	}
}
