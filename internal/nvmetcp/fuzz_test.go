package nvmetcp

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// TestRandomPDUs has the peer answer outstanding commands with random but
// well-framed PDUs (wrong CIDs, offsets, lengths, flags) and raw noise.
// Whatever arrives, the host must not panic or hang: every command
// completes, and a controller that failed says why.
func TestRandomPDUs(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for iter := range 60 {
		p := newPeer(t, peerConfig{})
		cfg := hostConfig(p)
		cfg.IOTimeout = time.Second
		c := dial(t, cfg)
		p.silent.Store(true)
		const n = 4
		ch := make(chan *Request, n)
		for i := range n {
			op := []uint8{nvme.IORead, nvme.IOWrite}[i%2]
			r := &Request{Opcode: op, NSID: 1, SLBA: uint64(i), NLB: 16, Buf: make([]byte, 8192), Done: ChanDone(ch)}
			if err := c.Queue(0).Submit(r); err != nil {
				t.Fatalf("iteration %d: %v", iter, err)
			}
		}
		pc := p.ioConns()[0]
		w := pc.snd.lock()
		for range 1 + rng.IntN(6) {
			randomPDU(rng, w)
		}
		pc.snd.release(flushInline)
		for i := range n {
			select {
			case r := <-ch:
				if r.Err != nil && !errors.Is(r.Err, ErrControllerDown) && r.Err.Error() == "" {
					t.Fatalf("iteration %d: completion %d: empty error", iter, i)
				}
			case <-time.After(testTimeout):
				t.Fatalf("iteration %d: completion %d did not arrive", iter, i)
			}
		}
		if err := c.Close(); err != nil && c.Err() == nil {
			t.Fatalf("iteration %d: close: %v", iter, err)
		}
	}
}

// randomPDU queues one PDU with random fields; CIDs favour the ones the
// host has outstanding on a fresh queue (slot 0 served the Connect first).
func randomPDU(rng *rand.Rand, w *pdu.Writer) {
	cid := []uint16{0x2000, 0x1001, 0x1002, 0x1003}[rng.IntN(4)]
	if rng.IntN(4) == 0 {
		cid = uint16(rng.Uint32())
	}
	data := make([]byte, rng.IntN(3)*4096+rng.IntN(2)*100)
	switch rng.IntN(5) {
	case 0:
		w.CapsuleResp(&nvme.Completion{CID: cid, Status: nvme.Status(rng.IntN(3) * 0x80)})
	case 1:
		flags := uint8(rng.IntN(2)) * pdu.FlagLast
		if flags != 0 && rng.IntN(2) == 0 {
			flags |= pdu.FlagSuccess
		}
		w.Data(pdu.TypeC2HData, pdu.DataHeader{CCCID: cid, Offset: uint32(rng.IntN(3) * 4096)}, flags, data)
	case 2:
		w.R2T(pdu.DataHeader{CCCID: cid, TTag: 1, Offset: uint32(rng.IntN(3) * 4096), Length: uint32(rng.IntN(3) * 4096)})
	case 3:
		w.TermReq(pdu.TypeC2HTermReq, uint16(rng.IntN(8)), rng.Uint32(), data[:min(len(data), 30)])
	default:
		w.ICResp(pdu.IC{MaxData: rng.Uint32()})
	}
}

// TestDataDigestError: a C2HData whose data digest does not match fails
// that read with pdu.ErrDataDigest; the stream is still in sync, so the
// controller carries on.
func TestDataDigestError(t *testing.T) {
	p := newPeer(t, peerConfig{})
	cfg := hostConfig(p)
	cfg.DataDigest = true
	c := dial(t, cfg)
	p.silent.Store(true)
	ch := make(chan *Request, 1)
	r := &Request{Opcode: nvme.IORead, NSID: 1, NLB: 1, Buf: make([]byte, 512), Done: ChanDone(ch)}
	if err := c.Queue(0).Submit(r); err != nil {
		t.Fatal(err)
	}
	// Wait until the peer has dropped the command: it must not serve it
	// once it speaks again.
	for deadline := time.Now().Add(testTimeout); p.dropped.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("peer never read the command")
		}
	}
	const cid = 0x2000 // slot 0, second use: the Connect was the first
	var raw bytes.Buffer
	w := pdu.NewWriter(&raw)
	w.SetDigests(false, true)
	w.Data(pdu.TypeC2HData, pdu.DataHeader{CCCID: cid}, pdu.FlagLast, make([]byte, 512))
	w.CapsuleResp(&nvme.Completion{CID: cid})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b := raw.Bytes()
	b[pdu.DataHdrLen+10] ^= 1 // corrupt one data byte after the digest was computed
	if _, err := p.ioConns()[0].conn.Write(b); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		if !errors.Is(r.Err, pdu.ErrDataDigest) {
			t.Fatalf("read error %v, want a data digest error", r.Err)
		}
	case <-time.After(testTimeout):
		t.Fatal("no completion")
	}
	p.silent.Store(false)
	if err := c.ReadAt(testContext(t), 1, make([]byte, 512), 0); err != nil {
		t.Fatalf("controller unusable after a digest error: %v", err)
	}
}
