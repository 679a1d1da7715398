package nvmetcp

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// benchTarget returns the controller to benchmark: the one named by
// NVMETCP_BENCH_ADDR / NVMETCP_BENCH_NQN / NVMETCP_BENCH_NSID (default 1)
// when set, the scripted peer otherwise.
func benchTarget(b *testing.B) (Config, uint32) {
	if addr := os.Getenv("NVMETCP_BENCH_ADDR"); addr != "" {
		nsid, _ := strconv.Atoi(os.Getenv("NVMETCP_BENCH_NSID"))
		return Config{Addr: addr, SubsysNQN: os.Getenv("NVMETCP_BENCH_NQN")}, uint32(max(nsid, 1))
	}
	p := newPeer(b, peerConfig{BlockSize: 4096, Blocks: 16384})
	return hostConfig(p), 1
}

// BenchmarkHost measures 4 KiB random reads and writes at QD1 and QD32 on
// one I/O queue, completions resubmitting from the callback as an I/O
// engine does. It reports IOPS; allocs/op is per I/O.
func BenchmarkHost(b *testing.B) {
	cfg, nsid := benchTarget(b)
	for _, op := range []struct {
		name string
		op   uint8
	}{{"randread", nvme.IORead}, {"randwrite", nvme.IOWrite}} {
		for _, qd := range []int{1, 32} {
			b.Run(op.name+"/qd"+strconv.Itoa(qd), func(b *testing.B) {
				benchIO(b, cfg, nsid, op.op, qd)
			})
		}
	}
}

// benchIO runs b.N I/Os of 4 KiB at random aligned offsets of nsid with
// qd outstanding on the controller cfg describes.
func benchIO(b *testing.B, cfg Config, nsid uint32, op uint8, qd int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ns, err := c.IdentifyNamespace(ctx, nsid)
	if err != nil || ns.BlockSize() == 0 || ns.BlockSize() > 4096 {
		b.Fatalf("namespace %d: block size %d (%v)", nsid, ns.BlockSize(), err)
	}
	nlb := uint32(4096 / ns.BlockSize())
	slots := ns.NSZE / uint64(nlb)
	q := c.Queue(0)
	qd = min(qd, q.Depth())
	var issued, completed atomic.Int64
	var failed atomic.Bool
	var failMu sync.Mutex
	var failErr error
	fail := func(err error) { // not inlined into onDone: keeps err off the heap there
		failMu.Lock()
		if failErr == nil {
			failErr = err
		}
		failMu.Unlock()
		failed.Store(true)
	}
	done := make(chan struct{})
	rng := uint64(0x9E3779B97F4A7C15)
	next := func(r *Request) bool { // runs on one goroutine at a time: the submitter, then the reader
		if issued.Add(1) > int64(b.N) {
			return false
		}
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		r.SLBA = rng % slots * uint64(nlb)
		return true
	}
	onDone := func(r *Request) {
		if r.Err != nil {
			fail(r.Err)
		}
		if completed.Add(1) == int64(b.N) {
			close(done)
			return
		}
		if !failed.Load() && next(r) {
			if err := q.Submit(r); err != nil {
				fail(err)
			}
		}
	}
	reqs := make([]Request, qd)
	for i := range reqs {
		reqs[i] = Request{Opcode: op, NSID: nsid, NLB: nlb, Buf: make([]byte, 4096), Done: onDone}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range reqs {
		if !next(&reqs[i]) {
			break
		}
		if err := q.Submit(&reqs[i]); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-c.Done():
		b.Fatal(c.Err())
	case <-ctx.Done():
		b.Fatal("benchmark timed out")
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if failErr != nil {
		b.Fatal(failErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "IOPS")
}

// TestSubmitAllocs checks the hot path: a submitted and completed 4 KiB
// read or write costs no allocation in the host (nor in the peer).
func TestSubmitAllocs(t *testing.T) {
	p := newPeer(t, peerConfig{BlockSize: 4096, Blocks: 1024, ICD: 8192})
	c := dial(t, hostConfig(p))
	q := c.Queue(0)
	ch := make(chan *Request, 1)
	for _, op := range []uint8{nvme.IORead, nvme.IOWrite} {
		r := &Request{Opcode: op, NSID: 1, NLB: 1, Buf: make([]byte, 4096), Done: ChanDone(ch)}
		run := func() {
			if err := q.Submit(r); err != nil {
				t.Fatal(err)
			}
			if r := <-ch; r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		run() // warm up pools and maps
		if n := testing.AllocsPerRun(500, run); n > 0 {
			t.Errorf("%s: %.2f allocations per I/O, want 0", opName(op), n)
		}
	}
}
