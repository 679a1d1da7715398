package nvmetcp

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// testTimeout bounds every blocking step of a test: no test can hang.
const testTimeout = 20 * time.Second

func hostConfig(p *peer) Config {
	return Config{Addr: p.addr, SubsysNQN: testNQN, IOTimeout: 5 * time.Second, ConnectTimeout: 5 * time.Second}
}

func dial(t testing.TB, cfg Config) *Controller {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func TestDialIdentify(t *testing.T) {
	p := newPeer(t, peerConfig{})
	cfg := hostConfig(p)
	cfg.IOQueues = 3
	c := dial(t, cfg)
	if c.Queues() != 3 || c.Queue(0).Depth() != 127 || c.Queue(2).ID() != 3 {
		t.Fatalf("queues %d depth %d", c.Queues(), c.Queue(0).Depth())
	}
	if id := c.Identify(); id.CNTLID != c.CNTLID() || id.InCapsuleDataSize() != 4096 || id.Model != "scripted peer" {
		t.Fatalf("identify %+v", id)
	}
	ctx := testContext(t)
	nsids, err := c.Namespaces(ctx)
	if err != nil || len(nsids) != 1 || nsids[0] != 1 {
		t.Fatalf("namespaces %v %v", nsids, err)
	}
	ns, err := c.IdentifyNamespace(ctx, 1)
	if err != nil || ns.BlockSize() != 512 || ns.NSZE != 16384 {
		t.Fatalf("namespace %+v %v", ns, err)
	}
	ana, err := c.ANALog(ctx)
	if err != nil || len(ana.Groups) != 1 || ana.Groups[0].State != nvme.ANAOptimized || ana.Groups[0].NSIDs[0] != 1 {
		t.Fatalf("ana %+v %v", ana, err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if !errors.Is(c.Err(), ErrClosed) || !errors.Is(c.Err(), ErrControllerDown) {
		t.Fatalf("Err after Close: %v", c.Err())
	}
	if err := c.Queue(0).Submit(&Request{Opcode: nvme.IOFlush, NSID: 1, Done: func(*Request) {}}); !errors.Is(err, ErrControllerDown) {
		t.Fatalf("submit after close: %v", err)
	}
}

func TestSyncWrappers(t *testing.T) {
	p := newPeer(t, peerConfig{MDTS: 1}) // 8 KiB transfers: ReadAt/WriteAt must split
	c := dial(t, hostConfig(p))
	ctx := testContext(t)
	buf := bytes.Repeat([]byte("nvmf-chaos!"), 6000)[:64<<10]
	if err := c.WriteAt(ctx, 1, buf, 100); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(buf))
	if err := c.ReadAt(ctx, 1, got, 100); err != nil || !bytes.Equal(got, buf) {
		t.Fatalf("read back: %v equal=%v", err, bytes.Equal(got, buf))
	}
	if err := c.Flush(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteZeroes(ctx, 1, 100, 8); err != nil {
		t.Fatal(err)
	}
	if err := c.Deallocate(ctx, 1, 108, 8); err != nil {
		t.Fatal(err)
	}
	if err := c.ReadAt(ctx, 1, got[:8192], 100); err != nil || !bytes.Equal(got[:8192], make([]byte, 8192)) {
		t.Fatalf("zeroed range reads back non-zero (%v)", err)
	}
	if err := c.ReadAt(ctx, 1, got[:100], 0); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("unaligned read: %v", err)
	}
	var se *StatusError
	if err := c.ReadAt(ctx, 1, got[:512], 16384); !errors.As(err, &se) || se.Status.Code() != nvme.StatusLBAOutOfRange {
		t.Fatalf("read past the end: %v", err)
	} else if want := "LBA out of range"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error %q does not name the status", err)
	}
}

// TestDataIntegrity writes random data at random LBAs and reads it back
// through every data-transfer variant, at several queue depths.
func TestDataIntegrity(t *testing.T) {
	tests := []struct {
		name   string
		peer   peerConfig
		hd, dd bool
		noSQFC bool // Config.DisableSQFlowControl
		blocks int  // per I/O
	}{
		{name: "in-capsule", peer: peerConfig{ICD: 8192}, blocks: 8},
		{name: "r2t", peer: peerConfig{}, blocks: 16},
		{name: "r2t-no-icd", peer: peerConfig{ICD: -1}, blocks: 1},
		{name: "r2t-multi", peer: peerConfig{R2TChunk: 8192, MaxH2C: 4096}, blocks: 64},
		{name: "digests", peer: peerConfig{}, hd: true, dd: true, blocks: 16},
		{name: "header-digest-only", peer: peerConfig{R2TChunk: 4096}, hd: true, blocks: 16},
		{name: "c2h-success", peer: peerConfig{C2HSuccess: true}, blocks: 8},
		{name: "c2h-chunked", peer: peerConfig{C2HChunk: 1024}, dd: true, blocks: 8},
		{name: "c2h-chunked-success", peer: peerConfig{C2HChunk: 4096, C2HSuccess: true}, blocks: 32},
		{name: "dissqfc-success", peer: peerConfig{SuccessIfDISSQFC: true, C2HSuccess: false}, noSQFC: true, blocks: 8},
		{name: "dissqfc-off", peer: peerConfig{SuccessIfDISSQFC: true}, blocks: 8},
		{name: "cpda", peer: peerConfig{CPDA: 3, ICD: 8192}, dd: true, blocks: 4},
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t, tt.peer)
			cfg := hostConfig(p)
			cfg.IOQueues, cfg.HeaderDigest, cfg.DataDigest = 3, tt.hd, tt.dd
			cfg.DisableSQFlowControl = tt.noSQFC
			c := dial(t, cfg)
			rng := rand.New(rand.NewPCG(seed, 1))
			for _, qd := range []int{1, 8, 32, 128} {
				verifyRandom(t, c, rng, qd, tt.blocks, p.cfg.Blocks)
			}
			wantSuccess := p.cfg.C2HSuccess || p.cfg.SuccessIfDISSQFC && tt.noSQFC
			checkFlows(t, p, p.cfg, tt.blocks*512, wantSuccess)
		})
	}
}

// checkFlows makes sure the peer saw the transfer variant the case is about.
func checkFlows(t *testing.T, p *peer, cfg peerConfig, size int, wantSuccess bool) {
	t.Helper()
	switch {
	case cfg.ICD >= size && p.inCap.Load() == 0:
		t.Error("no in-capsule write seen")
	case (cfg.ICD < size) && p.r2ts.Load() == 0:
		t.Error("no R2T sent")
	case wantSuccess != (p.success.Load() > 0):
		t.Errorf("%d reads completed by C2H SUCCESS, want some: %v", p.success.Load(), wantSuccess)
	}
}

// verifyRandom runs qd writes then qd reads of nblk blocks at distinct
// random LBAs, spread over all queues, and compares the data.
func verifyRandom(t *testing.T, c *Controller, rng *rand.Rand, qd, nblk, total int) {
	t.Helper()
	const bs = 512
	region := total / qd
	if region < nblk {
		t.Fatalf("qd %d of %d blocks does not fit", qd, nblk)
	}
	want := make([][]byte, qd)
	lbas := make([]uint64, qd)
	for i := range want {
		want[i] = make([]byte, nblk*bs)
		for j := range want[i] {
			want[i][j] = byte(rng.Uint32())
		}
		lbas[i] = uint64(i*region + rng.IntN(region-nblk+1))
	}
	run := func(op uint8, bufs [][]byte) {
		var wg sync.WaitGroup
		errs := make(chan error, qd)
		for i := range qd {
			wg.Add(1)
			r := &Request{Opcode: op, NSID: 1, SLBA: lbas[i], NLB: uint32(nblk), Buf: bufs[i],
				Done: func(r *Request) { errs <- r.Err; wg.Done() }}
			if err := c.Queue(i % c.Queues()).Submit(r); err != nil {
				t.Fatalf("qd %d submit %s %d: %v", qd, opName(op), i, err)
			}
		}
		waitGroup(t, &wg)
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("qd %d %s: %v", qd, opName(op), err)
			}
		}
	}
	run(nvme.IOWrite, want)
	got := make([][]byte, qd)
	for i := range got {
		got[i] = make([]byte, nblk*bs)
	}
	run(nvme.IORead, got)
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("qd %d: lba %d reads back different data", qd, lbas[i])
		}
	}
}

func waitGroup(t testing.TB, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatal("completions did not arrive")
	}
}
