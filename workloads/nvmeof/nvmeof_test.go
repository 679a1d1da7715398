package nvmeof

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

const nqn = "nqn.2016-06.io.nvmf-chaos:nvmeof-test"

// serve exports b on a loopback port of an in-process embedded target and
// returns the nvme+tcp URL.
func serve(tb testing.TB, b bdev.Bdev) string {
	tb.Helper()
	tgt := nvmftarget.New(nvmftarget.Options{})
	tb.Cleanup(func() { _ = tgt.Close() })
	s, err := tgt.AddSubsystem(nvmftarget.SubsystemConfig{NQN: nqn, AllowAnyHost: true})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.AddNamespace(nvmftarget.NamespaceConfig{Bdev: b}); err != nil {
		tb.Fatal(err)
	}
	addr, err := tgt.AddListener(nqn, "127.0.0.1:0", 0)
	if err != nil {
		tb.Fatal(err)
	}
	return "nvme+tcp://" + addr + "/" + nqn
}

func newJob(tb testing.TB, opts ...string) workloads.Job {
	tb.Helper()
	j := workloads.DefaultJob("j")
	for i := 0; i+1 < len(opts); i += 2 {
		if err := workloads.ApplyOption(&j, opts[i], opts[i+1]); err != nil {
			tb.Fatal(err)
		}
	}
	return j
}

func run(tb testing.TB, u string, jobs ...workloads.Job) *workloads.Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dev, err := workloads.Open(ctx, u, workloads.OpenOptionsFor(jobs))
	if err != nil {
		tb.Fatal(err)
	}
	defer dev.Close()
	e, err := workloads.NewEngine(dev, jobs)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := e.Run(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// TestVerifiedRandRW drives the Go host through the engine with
// verification at a depth above the queue size (the backlog path).
func TestVerifiedRandRW(t *testing.T) {
	m, err := bdev.NewMalloc("m", 32<<20, 512, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	u := serve(t, m)
	r := run(t, u+"?hdgst=1&ddgst=1", newJob(t, "rw", "randrw", "bs", "4k", "iodepth", "200", "numjobs", "2",
		"runtime", "1s", "time_based", "1", "verify", "crc32c", "do_verify", "1", "size", "8m"))
	jr := r.Jobs[0]
	if jr.Read.Errors+jr.Write.Errors != 0 || jr.Write.IOs == 0 {
		t.Fatalf("errors %d/%d, writes %d", jr.Read.Errors, jr.Write.Errors, jr.Write.IOs)
	}
	v := jr.Verify
	if !v.FinalPass || v.LostWrites+v.CorruptBlocks+v.StaleReads+v.CorruptReads != 0 || v.OK == 0 {
		t.Fatalf("verification %+v", v)
	}
}

// TestSplitAtTransferLimit writes ops larger than the target's transfer
// limit (128 KiB), and not a multiple of it, then reads every unit back
// (the final verify pass, through the same split): each op is sent as
// several commands, and the data written through the pieces must read
// back whole. Before splitting, every such op failed. Writes only during
// the run: the pieces of one op are not atomic together, so a read
// overlapping a write in flight may see part of each (as on Linux).
func TestSplitAtTransferLimit(t *testing.T) {
	for _, bs := range []string{"1m", "132k", "200k"} {
		t.Run(bs, func(t *testing.T) {
			m, err := bdev.NewMalloc("m", 32<<20, 512, [16]byte{})
			if err != nil {
				t.Fatal(err)
			}
			r := run(t, serve(t, m), newJob(t, "rw", "randwrite", "bs", bs, "iodepth", "32", "runtime", "500ms",
				"time_based", "1", "verify", "crc32c", "do_verify", "1", "size", "16m"))
			jr := r.Jobs[0]
			if jr.Write.Errors != 0 || jr.Write.IOs == 0 {
				t.Fatalf("write errors %d, writes %d: %v", jr.Write.Errors, jr.Write.IOs, r.Errors)
			}
			if v := jr.Verify; !v.FinalPass || v.LostWrites+v.CorruptBlocks+v.StaleReads+v.CorruptReads != 0 || v.OK == 0 {
				t.Fatalf("verification %+v", v)
			}
		})
	}
}

func TestURLErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"nvme+tcp://127.0.0.1:1/", "want nvme+tcp://HOST:PORT/NQN"},
		{"nvme+tcp://127.0.0.1:1/nqn.x?colour=red", `unknown option "colour"`},
		{"nvme+tcp://127.0.0.1:1/nqn.x?kato=soon", "kato"},
		{"nvme+tcp://127.0.0.1:1/nqn.x?spin=-1us", `spin="-1us": want a duration >= 0`},
		{"nvme+tcp://127.0.0.1:1/nqn.x", "127.0.0.1:1"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := workloads.Open(ctx, tc.url, workloads.OpenOptions{Queues: 1, QueueDepth: 1})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// BenchmarkEngineNVMeTCP is the full measurement path (engine, recording,
// Go host, NVMe/TCP over loopback, embedded target) at QD 1 and 32, 4 KiB
// random reads and writes. The namespace is a null bdev so the figure is
// the data path's, not memory copies'.
func BenchmarkEngineNVMeTCP(b *testing.B) {
	for _, rw := range []string{"randread", "randwrite"} {
		for _, qd := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/qd%d", rw, qd), func(b *testing.B) {
				n, err := bdev.NewNull("null", 1<<28, 4096, [16]byte{})
				if err != nil {
					b.Fatal(err)
				}
				u := serve(b, n)
				j := newJob(b, "rw", rw, "bs", "4k", "iodepth", strconv.Itoa(qd), "size", strconv.Itoa(b.N*4096))
				b.ReportAllocs()
				b.ResetTimer()
				r := run(b, u, j)
				b.StopTimer()
				if ios := r.Jobs[0].Read.IOs + r.Jobs[0].Write.IOs; ios != int64(b.N) {
					b.Fatalf("ran %d I/Os, want %d", ios, b.N)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "iops")
			})
		}
	}
}

// TestURLQueueOptions checks that nr_io_queues and queue_size in the URL
// shape the controller the host connects, overriding the per-worker
// defaults, and that bad values name the option.
func TestURLQueueOptions(t *testing.T) {
	m, err := bdev.NewMalloc("m", 4<<20, 512, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	u := serve(t, m)
	tests := []struct {
		query             string
		queues, depth     int // controller I/O queues and commands each holds
		wantErr           string
		workers, iodepths int
	}{
		{query: "", queues: 2, depth: 8, workers: 2, iodepths: 8},
		{query: "?nr_io_queues=3&queue_size=16", queues: 3, depth: 15, workers: 2, iodepths: 8},
		{query: "?nr_io_queues=1", queues: 1, depth: 32, workers: 4, iodepths: 32},
		{query: "?nr_io_queues=0", wantErr: `nr_io_queues="0": want 1..65535`},
		{query: "?queue_size=1", wantErr: `queue_size="1": want 2..1024`},
		{query: "?queue_size=x", wantErr: `queue_size="x"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			dev, err := workloads.Open(ctx, u+tt.query, workloads.OpenOptions{Queues: tt.workers, QueueDepth: tt.iodepths})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			c := dev.(*device).closer.(*nvmetcp.Controller)
			if c.Queues() != tt.queues || c.Queue(0).Depth() != tt.depth {
				t.Errorf("controller has %d queues of depth %d, want %d of %d", c.Queues(), c.Queue(0).Depth(), tt.queues, tt.depth)
			}
		})
	}
}

// TestTargetURLRoundTrip: a Target written as a URL reads back equal,
// every field, so `bench` users and worker pods see what a run would pass.
func TestTargetURLRoundTrip(t *testing.T) {
	s := time.Second
	for _, tt := range []Target{
		{Addrs: []string{"198.18.0.2:4420"}, NQN: "nqn.x"},
		{Addrs: []string{"198.18.0.2:4420", "198.18.0.3:4420"}, NQN: "nqn.x", NSID: 7, Host: Host{KATO: s, IOTimeout: 5 * s,
			IOQueues: 3, QueueSize: 16, HeaderDigest: true, DataDigest: true, HostNQN: "nqn.h", ReconnectDelay: 100 * time.Millisecond,
			CtrlLossTmo: 30 * s, FastIOFailTmo: 10 * s, Policy: "queue-depth", ReadSpin: 20 * time.Microsecond}},
		{Addrs: []string{"198.18.0.2:4420"}, NQN: "nqn.x", Host: Host{ReadSpin: -1}}, // spin=0: off
		{Addrs: []string{"198.18.0.2:8009"}, NQN: "nqn.x", Discover: true},
	} {
		t.Run(tt.URL(), func(t *testing.T) {
			u, err := url.Parse(tt.URL())
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseURL(u)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt) {
				t.Errorf("read back\n %+v\nwant %+v", got, tt)
			}
		})
	}
}

// TestOpenTargetTakesHostSettings: the typed settings shape the
// controller as the URL options do, and bad ones name the option.
func TestOpenTargetTakesHostSettings(t *testing.T) {
	m, err := bdev.NewMalloc("m", 4<<20, 512, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(serve(t, m))
	if err != nil {
		t.Fatal(err)
	}
	base, err := ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tg := base
	tg.Host = Host{IOQueues: 3, QueueSize: 16}
	dev, err := OpenTarget(ctx, tg, workloads.OpenOptions{Queues: 2, QueueDepth: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if c := dev.(*device).closer.(*nvmetcp.Controller); c.Queues() != 3 || c.Queue(0).Depth() != 15 {
		t.Errorf("controller has %d queues of depth %d, want 3 of 15", c.Queues(), c.Queue(0).Depth())
	}
	tg.Host = Host{QueueSize: 1}
	if _, err := OpenTarget(ctx, tg, workloads.OpenOptions{Queues: 1, QueueDepth: 1}); err == nil || !strings.Contains(err.Error(), "queue_size 1: want 2..1024") {
		t.Errorf("queue size 1: %v", err)
	}
}

// TestPolledQueues: the engine asks for polled queues and gets them on a
// single path; workers sharing a queue (nr_io_queues=1) take turns polling
// it, and a paced job (rate_iops) wakes for its pacer while polling.
func TestPolledQueues(t *testing.T) {
	m, err := bdev.NewMalloc("m", 8<<20, 512, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	u := serve(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dev, err := workloads.Open(ctx, u, workloads.OpenOptions{Queues: 1, QueueDepth: 4, Poll: true})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := dev.(workloads.CallerPolledDevice); !ok || !p.Polled(0) {
		t.Fatal("device with OpenOptions.Poll has no polled queue")
	}
	_ = dev.Close()
	for _, tc := range []struct {
		name, query string
		opts        []string
	}{
		{"shared", "?nr_io_queues=1", []string{"rw", "randrw", "bs", "4k", "iodepth", "8", "numjobs", "3", "runtime", "300ms",
			"time_based", "1", "verify", "crc32c", "do_verify", "1", "size", "4m"}},
		{"paced", "", []string{"rw", "randread", "bs", "4k", "iodepth", "4", "rate_iops", "200", "runtime", "500ms", "time_based", "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jr := run(t, u+tc.query, newJob(t, tc.opts...)).Jobs[0]
			if jr.Read.Errors+jr.Write.Errors != 0 || jr.Read.IOs == 0 {
				t.Fatalf("errors %d/%d, reads %d", jr.Read.Errors, jr.Write.Errors, jr.Read.IOs)
			}
			if tc.name == "paced" && (jr.Read.IOs < 50 || jr.Read.IOs > 150) {
				t.Fatalf("%d reads at 200 IOPS for 0.5 s", jr.Read.IOs)
			}
			if v := jr.Verify; tc.name == "shared" && (!v.FinalPass || v.LostWrites+v.CorruptBlocks+v.StaleReads+v.CorruptReads != 0) {
				t.Fatalf("verification %+v", v)
			}
		})
	}
}
