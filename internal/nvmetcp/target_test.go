package nvmetcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
)

// These tests run the host against the real embedded target over loopback
// TCP: the same code paths as `nvmf-chaos target` + `nvmf-chaos bench`.

const embeddedNQN = "nqn.2016-06.io.nvmf-chaos:host-test"

func startEmbedded(tb testing.TB, size int64) (*nvmftarget.Target, string) {
	tb.Helper()
	tgt := nvmftarget.New(nvmftarget.Options{})
	tb.Cleanup(func() { _ = tgt.Close() })
	m, err := bdev.NewMalloc("m0", size, 512, [16]byte{})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := tgt.AddSubsystem(nvmftarget.SubsystemConfig{NQN: embeddedNQN, AllowAnyHost: true, ANAReporting: true})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.AddNamespace(nvmftarget.NamespaceConfig{Bdev: m}); err != nil {
		tb.Fatal(err)
	}
	addr, err := tgt.AddListener(embeddedNQN, "127.0.0.1:0", 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tgt.AddListener("discovery", addr, 0); err != nil {
		tb.Fatal(err)
	}
	return tgt, addr
}

func dialEmbedded(tb testing.TB, cfg Config) *Controller {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		tb.Fatalf("dial %s: %v", cfg.Addr, err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// TestEmbeddedRoundTrip writes random data at random LBAs through several
// queues at QD 1..128 and reads every block back, with digests off and on,
// in-capsule (<= 8 KiB) and R2T (larger) writes, C2H SUCCESS on and off.
func TestEmbeddedRoundTrip(t *testing.T) {
	const size = 32 << 20
	tests := []struct {
		name    string
		digests bool
		dissqfc bool
		qd      int
		bs      int
	}{
		{"qd1 4k", false, false, 1, 4096},
		{"qd16 8k in-capsule digests", true, false, 16, 8192},
		{"qd32 64k r2t", false, true, 32, 65536},
		{"qd128 4k success-flag digests", true, true, 128, 4096},
		{"qd128 128k r2t", false, false, 127, 131072},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := startEmbedded(t, size)
			c := dialEmbedded(t, Config{Addr: addr, SubsysNQN: embeddedNQN, IOQueues: 3, HeaderDigest: tc.digests,
				DataDigest: tc.digests, DisableSQFlowControl: tc.dissqfc})
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 7))
			nlb := uint32(tc.bs / 512)
			slots := size / tc.bs
			// Distinct slots so concurrent writes never overlap.
			perm := rng.Perm(slots)[:min(slots, 4*tc.qd*c.Queues())]
			want := make(map[uint64][]byte, len(perm))
			for _, p := range perm {
				b := make([]byte, tc.bs)
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				want[uint64(p)*uint64(nlb)] = b
			}
			run := func(op uint8, bufs map[uint64][]byte) {
				if err := pump(c, tc.qd, op, nlb, bufs); err != nil {
					t.Fatal(err)
				}
			}
			run(nvme.IOWrite, want)
			got := make(map[uint64][]byte, len(want))
			for lba := range want {
				got[lba] = make([]byte, tc.bs)
			}
			run(nvme.IORead, got)
			for lba, b := range want {
				if !bytes.Equal(got[lba], b) {
					t.Fatalf("LBA %d: read back differs from what was written", lba)
				}
			}
		})
	}
}

// pump issues one request per buffer, keeping qd outstanding per queue,
// spread over every queue, and returns the first error.
func pump(c *Controller, qd int, op uint8, nlb uint32, bufs map[uint64][]byte) error {
	type job struct {
		lba uint64
		buf []byte
	}
	jobs := make(chan job, len(bufs))
	for lba, b := range bufs {
		jobs <- job{lba, b}
	}
	close(jobs)
	var wg sync.WaitGroup
	errc := make(chan error, c.Queues())
	for qi := range c.Queues() {
		wg.Add(1)
		go func(q *Queue) {
			defer wg.Done()
			qd := min(qd, q.Depth())
			done := make(chan *Request, qd)
			inflight := 0
			for j := range jobs {
				for inflight >= qd {
					r := <-done
					inflight--
					if r.Err != nil {
						errc <- r.Err
						return
					}
				}
				r := &Request{Opcode: op, NSID: 1, SLBA: j.lba, NLB: nlb, Buf: j.buf, Done: ChanDone(done)}
				if err := q.Submit(r); err != nil {
					errc <- fmt.Errorf("submit LBA %d: %w", j.lba, err)
					return
				}
				inflight++
			}
			for ; inflight > 0; inflight-- {
				if r := <-done; r.Err != nil {
					errc <- r.Err
					return
				}
			}
		}(c.Queue(qi))
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func TestEmbeddedErrorsAndDiscovery(t *testing.T) {
	tgt, addr := startEmbedded(t, 1<<20)
	ctx := context.Background()
	entries, err := Discover(ctx, Config{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || entries[0].SubNQN != embeddedNQN {
		t.Fatalf("discovery entries %+v", entries)
	}
	c := dialEmbedded(t, Config{Addr: addr, SubsysNQN: embeddedNQN})
	err = c.ReadAt(ctx, 1, make([]byte, 512), 1<<20)
	var se *StatusError
	if !errors.As(err, &se) || se.Status.Code() != nvme.StatusLBAOutOfRange {
		t.Fatalf("read past the end: %v, want LBA out of range", err)
	}
	if err := tgt.SetANAState(embeddedNQN, addr, 0, nvme.ANAInaccessible); err != nil {
		t.Fatal(err)
	}
	err = c.WriteAt(ctx, 1, make([]byte, 512), 0)
	if !errors.As(err, &se) || !se.Status.IsPathError() {
		t.Fatalf("write on an inaccessible path: %v, want an ANA path error", err)
	}
	log, err := c.ANALog(ctx)
	if err != nil || len(log.Groups) != 1 || log.Groups[0].State != nvme.ANAInaccessible {
		t.Fatalf("ANA log %+v err %v", log, err)
	}
}

// TestEmbeddedTargetGone: a killed target (all sockets closed) fails the
// controller with ErrControllerDown, and a paused one trips the I/O timeout.
func TestEmbeddedTargetGone(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		tgt, addr := startEmbedded(t, 1<<20)
		c := dialEmbedded(t, Config{Addr: addr, SubsysNQN: embeddedNQN})
		_ = tgt.Close()
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("controller not failed after the target closed")
		}
		if err := c.ReadAt(context.Background(), 1, make([]byte, 512), 0); !errors.Is(err, ErrControllerDown) {
			t.Fatalf("I/O after target loss: %v, want ErrControllerDown", err)
		}
	})
	t.Run("hung", func(t *testing.T) {
		tgt, addr := startEmbedded(t, 1<<20)
		c := dialEmbedded(t, Config{Addr: addr, SubsysNQN: embeddedNQN, IOTimeout: 300 * time.Millisecond, KATO: time.Second})
		tgt.Pause()
		defer tgt.Resume()
		err := c.ReadAt(context.Background(), 1, make([]byte, 512), 0)
		if err == nil {
			t.Fatal("read completed on a paused target")
		}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("controller not failed after an I/O timeout")
		}
	})
}

// BenchmarkHostEmbedded is BenchmarkHost's workload against the embedded
// target: 4 KiB random reads and writes at QD 1 and 32 on one queue.
func BenchmarkHostEmbedded(b *testing.B) {
	for _, op := range []struct {
		name string
		code uint8
	}{{"randread", nvme.IORead}, {"randwrite", nvme.IOWrite}} {
		for _, qd := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/qd%d", op.name, qd), func(b *testing.B) {
				_, addr := startEmbedded(b, 256<<20)
				c := dialEmbedded(b, Config{Addr: addr, SubsysNQN: embeddedNQN, DisableSQFlowControl: true})
				benchQueue(b, c.Queue(0), op.code, qd, 256<<20/4096)
			})
		}
	}
}

// benchQueue keeps qd 4 KiB commands in flight on q for b.N completions,
// resubmitting from the completion callback (no allocation per I/O).
func benchQueue(b *testing.B, q *Queue, op uint8, qd int, blocks uint64) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	remaining := b.N
	reqs := make([]Request, qd)
	rng := rand.New(rand.NewPCG(1, 2))
	var submit func(r *Request)
	done := func(r *Request) {
		if r.Err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = r.Err
			}
			mu.Unlock()
		}
		submit(r)
	}
	submit = func(r *Request) {
		mu.Lock()
		if remaining == 0 || firstErr != nil {
			mu.Unlock()
			wg.Done()
			return
		}
		remaining--
		r.SLBA = rng.Uint64N(blocks) * 8
		mu.Unlock()
		if err := q.Submit(r); err != nil {
			mu.Lock()
			firstErr = err
			mu.Unlock()
			wg.Done()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range reqs {
		reqs[i] = Request{Opcode: op, NSID: 1, NLB: 8, Buf: make([]byte, 4096), Done: done}
		wg.Add(1)
		submit(&reqs[i])
	}
	wg.Wait()
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "IOPS")
}
