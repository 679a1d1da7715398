package nvmetcp

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// submitReads submits n 1-block reads spread over the I/O queues and
// returns a channel receiving each completed request.
func submitReads(t *testing.T, c *Controller, n int) <-chan *Request {
	t.Helper()
	ch := make(chan *Request, n)
	for i := range n {
		r := &Request{Opcode: nvme.IORead, NSID: 1, SLBA: uint64(i), NLB: 1, Buf: make([]byte, 512), Done: ChanDone(ch)}
		if err := c.Queue(i % c.Queues()).Submit(r); err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	return ch
}

// waitDown waits for the controller to fail and returns its error.
func waitDown(t *testing.T, c *Controller, within time.Duration) error {
	t.Helper()
	select {
	case <-c.Done():
		return c.Err()
	case <-time.After(within):
		t.Fatalf("controller still up after %v", within)
		return nil
	}
}

// collect receives n completions and checks each error with ok.
func collect(t *testing.T, ch <-chan *Request, n int, ok func(error) bool) {
	t.Helper()
	for i := range n {
		select {
		case r := <-ch:
			if !ok(r.Err) {
				t.Fatalf("completion %d: unexpected error %v", i, r.Err)
			}
		case <-time.After(testTimeout):
			t.Fatalf("only %d of %d completions arrived", i, n)
		}
	}
}

func TestCommandTimeout(t *testing.T) {
	p := newPeer(t, peerConfig{})
	cfg := hostConfig(p)
	cfg.IOQueues, cfg.IOTimeout = 2, 200*time.Millisecond
	c := dial(t, cfg)
	p.silent.Store(true)
	start := time.Now()
	ch := submitReads(t, c, 10)
	err := waitDown(t, c, 5*time.Second)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrControllerDown) {
		t.Fatalf("controller error %v, want timeout and controller down", err)
	}
	if d := time.Since(start); d < cfg.IOTimeout {
		t.Fatalf("failed after %v, before the %v timeout", d, cfg.IOTimeout)
	}
	collect(t, ch, 10, func(err error) bool { return errors.Is(err, ErrTimeout) && errors.Is(err, ErrControllerDown) })
	r := &Request{Opcode: nvme.IORead, NSID: 1, NLB: 1, Buf: make([]byte, 512), Done: func(*Request) {}}
	if err := c.Queue(0).Submit(r); !errors.Is(err, ErrControllerDown) {
		t.Fatalf("submit on a failed controller: %v", err)
	}
	if err := c.ReadAt(testContext(t), 1, make([]byte, 512), 0); !errors.Is(err, ErrControllerDown) {
		t.Fatalf("ReadAt on a failed controller: %v", err)
	}
}

func TestMalformedPeer(t *testing.T) {
	tests := []struct {
		name   string
		inject func(pc *peerConn)
		want   string
	}{
		{"garbage", func(pc *peerConn) { _, _ = pc.conn.Write([]byte("\xff\xfe garbage, not a PDU at all......")) }, "unexpected PDU type"},
		{"bad-hlen", func(pc *peerConn) {
			_, _ = pc.conn.Write([]byte{byte(pdu.TypeCapsuleResp), 0, 30, 0, 30, 0, 0, 0})
		}, "HLEN"},
		{"term-req", func(pc *peerConn) {
			w := pc.snd.lock()
			w.TermReq(pdu.TypeC2HTermReq, pdu.FESDataLimitExceeded, 0, nil)
			pc.snd.release(flushInline)
		}, "data transfer limit exceeded"},
		{"unknown-cid", func(pc *peerConn) {
			w := pc.snd.lock()
			w.CapsuleResp(&nvme.Completion{CID: 0x0ABC})
			pc.snd.release(flushInline)
		}, "not outstanding"},
		{"connection-lost", func(pc *peerConn) { _ = pc.conn.Close() }, "queue 2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t, peerConfig{})
			cfg := hostConfig(p)
			cfg.IOQueues = 2
			c := dial(t, cfg)
			p.silent.Store(true)
			ch := submitReads(t, c, 4)
			conns := p.ioConns()
			if len(conns) != 2 {
				t.Fatalf("%d io connections", len(conns))
			}
			tt.inject(conns[1])
			err := waitDown(t, c, 5*time.Second)
			if !errors.Is(err, ErrControllerDown) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("controller error %q, want it to mention %q", err, tt.want)
			}
			collect(t, ch, 4, func(err error) bool { return errors.Is(err, ErrControllerDown) })
		})
	}
}

func TestTermReqError(t *testing.T) {
	p := newPeer(t, peerConfig{})
	c := dial(t, hostConfig(p))
	pc := p.ioConns()[0]
	w := pc.snd.lock()
	w.TermReq(pdu.TypeC2HTermReq, pdu.FESInvalidHeaderField, 7, make([]byte, 24))
	pc.snd.release(flushInline)
	var tr *TermReqError
	if err := waitDown(t, c, 5*time.Second); !errors.As(err, &tr) || tr.FES != pdu.FESInvalidHeaderField || tr.FEI != 7 {
		t.Fatalf("got %v", err)
	}
}

func TestHandshakeRejects(t *testing.T) {
	tests := []struct {
		name string
		peer peerConfig
		want string
	}{
		{"small-maxh2cdata", peerConfig{MaxH2C: 1024}, "MAXH2CDATA"},
		{"unrequested-digest", peerConfig{ForceDigests: true}, "did not request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t, tt.peer)
			_, err := Dial(testContext(t), hostConfig(p))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("dial error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDialTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and say nothing
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	start := time.Now()
	_, err = Dial(context.Background(), Config{Addr: ln.Addr().String(), SubsysNQN: testNQN, ConnectTimeout: 200 * time.Millisecond})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("dial against a silent listener: %v after %v", err, time.Since(start))
	}
}

func TestKeepAlive(t *testing.T) {
	p := newPeer(t, peerConfig{})
	cfg := hostConfig(p)
	cfg.KATO = 300 * time.Millisecond
	c := dial(t, cfg)
	start := time.Now()
	time.Sleep(1200 * time.Millisecond)
	kas := p.keepAlives()
	if len(kas) < 3 {
		t.Fatalf("%d keep-alives in 1.2 s with KATO %v", len(kas), cfg.KATO)
	}
	prev := start
	for _, at := range kas {
		if gap := at.Sub(prev); gap > cfg.KATO {
			t.Fatalf("keep-alive gap %v exceeds KATO %v", gap, cfg.KATO)
		}
		prev = at
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
}

func TestKeepAliveUnanswered(t *testing.T) {
	p := newPeer(t, peerConfig{})
	cfg := hostConfig(p)
	cfg.KATO = 300 * time.Millisecond
	c := dial(t, cfg)
	p.dropKA.Store(true)
	start := time.Now()
	err := waitDown(t, c, 5*time.Second)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "keep alive") {
		t.Fatalf("controller error %v, want a keep-alive timeout", err)
	}
	if d := time.Since(start); d > 3*cfg.KATO {
		t.Fatalf("detected after %v, want within about KATO %v", d, cfg.KATO)
	}
}

func TestAsyncEvent(t *testing.T) {
	p := newPeer(t, peerConfig{})
	cfg := hostConfig(p)
	events := make(chan Event, 4)
	var ana atomic.Int32
	var ctrl atomic.Pointer[Controller] // OnEvent needs the controller Dial returns
	cfg.OnEvent = func(ev Event) {
		if l, err := ctrl.Load().ANALog(context.Background()); err == nil { // admin commands work from OnEvent
			ana.Store(int32(len(l.Groups)))
		}
		events <- ev
	}
	ctrl.Store(dial(t, cfg))
	want := nvme.AsyncEvent{Type: nvme.AsyncEventTypeNotice, Info: nvme.AsyncNoticeANAChange, LogPage: nvme.LogANA}
	for i := range 2 { // the AER is posted again after each event
		deadline := time.Now().Add(5 * time.Second)
		for !p.event(want) {
			if time.Now().After(deadline) {
				t.Fatalf("event %d: no AER outstanding at the peer", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		select {
		case ev := <-events:
			if ev.AsyncEvent != want {
				t.Fatalf("event %+v, want %+v", ev, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("OnEvent not called")
		}
	}
	if ana.Load() != 1 {
		t.Fatal("ANALog from OnEvent failed")
	}
}

func TestDiscover(t *testing.T) {
	entries := make([]nvme.DiscoveryEntry, 12) // 13 KiB: several 8 KiB reads
	for i := range entries {
		entries[i] = nvme.DiscoveryEntry{TransportType: nvme.TransportTCP, AddressFamily: nvme.AddressFamilyIPv4,
			Subtype: nvme.SubtypeNVMe, PortID: uint16(i), CNTLID: 0xFFFF, TRSVCID: "4420",
			SubNQN: testNQN + string(rune('a'+i)), TRADDR: "198.18.0.1"}
	}
	tests := []struct {
		name    string
		bumps   int
		wantErr bool
	}{
		{"stable", 0, false},
		{"changes-twice", 2, false},
		{"never-stable", 1000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t, peerConfig{Discovery: entries, GenBumps: tt.bumps, MDTS: 1})
			got, err := Discover(testContext(t), Config{Addr: p.addr})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "kept changing") {
					t.Fatalf("got %v, want a GENCTR error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(entries) || got[11] != entries[11] {
				t.Fatalf("got %d entries, last %+v", len(got), got[len(got)-1])
			}
		})
	}
}

func TestCIDReuse(t *testing.T) {
	// A 4-entry queue holds 3 commands; thousands of mixed reads and R2T
	// writes recycle every CID many times. The peer flags any CID reused
	// while still outstanding.
	p := newPeer(t, peerConfig{R2TChunk: 1024, MaxH2C: 4096})
	cfg := hostConfig(p)
	cfg.QueueSize = 4
	c := dial(t, cfg)
	q := c.Queue(0)
	if q.Depth() != 3 {
		t.Fatalf("depth %d, want 3", q.Depth())
	}
	const total = 3000
	var (
		mu        sync.Mutex
		submitted int
		failed    error
		wg        sync.WaitGroup
	)
	resubmit := func(r *Request) {
		mu.Lock()
		if r.Err != nil && failed == nil {
			failed = r.Err
		}
		if submitted == total || failed != nil {
			mu.Unlock()
			wg.Done()
			return
		}
		submitted++
		r.Opcode = []uint8{nvme.IORead, nvme.IOWrite}[submitted%2]
		mu.Unlock()
		if err := q.Submit(r); err != nil {
			mu.Lock()
			failed = err
			mu.Unlock()
			wg.Done()
		}
	}
	for i := range q.Depth() {
		wg.Add(1)
		r := &Request{Opcode: nvme.IORead, NSID: 1, SLBA: uint64(8 * i), NLB: 8, Buf: make([]byte, 4096), Done: resubmit}
		mu.Lock()
		submitted++
		mu.Unlock()
		if err := q.Submit(r); err != nil {
			t.Fatal(err)
		}
	}
	// No probe of a full queue here (TestQueueFull does that): if a
	// completion had freed a slot, the probe would take it and a resubmit
	// would then fail with ErrQueueFull, the flake this test once had.
	waitGroup(t, &wg)
	if failed != nil {
		t.Fatal(failed)
	}
}

func TestQueueFull(t *testing.T) {
	p := newPeer(t, peerConfig{})
	cfg := hostConfig(p)
	cfg.QueueSize = 3
	c := dial(t, cfg)
	p.silent.Store(true)
	q := c.Queue(0)
	for i := range q.Depth() {
		if err := q.Submit(&Request{Opcode: nvme.IOFlush, NSID: 1, Done: func(*Request) {}}); err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	r := &Request{Opcode: nvme.IOFlush, NSID: 1, Done: func(*Request) {}}
	if err := q.Submit(r); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("submit beyond depth %d: %v", q.Depth(), err)
	}
	busy := &Request{Opcode: nvme.IOFlush, NSID: 1, Done: func(*Request) {}}
	busy.q = q
	if err := q.Submit(busy); !errors.Is(err, ErrRequestBusy) && !errors.Is(err, ErrQueueFull) {
		t.Fatalf("resubmitting an in-flight request: %v", err)
	}
	for _, bad := range []*Request{
		{Opcode: nvme.IORead, NSID: 1, NLB: 1, Done: func(*Request) {}},
		{Opcode: nvme.IORead, NSID: 1, NLB: 0, Buf: make([]byte, 512), Done: func(*Request) {}},
		{Opcode: 0x42, NSID: 1, Done: func(*Request) {}},
		{Opcode: nvme.IODatasetMgmt, NSID: 1, Buf: make([]byte, 17), Done: func(*Request) {}},
		{Opcode: nvme.IOFlush, NSID: 1},
	} {
		if err := q.Submit(bad); !errors.Is(err, ErrInvalidRequest) {
			t.Fatalf("invalid request %+v: %v", bad, err)
		}
	}
}
