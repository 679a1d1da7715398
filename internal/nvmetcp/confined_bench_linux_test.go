package nvmetcp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
)

// childTargetEnv makes the test binary serve an embedded target instead of
// running tests (see TestMain): benchmarks start it confined to one CPU.
const childTargetEnv = "NVMETCP_CHILD_TARGET"

// childTargetSize is the malloc namespace of the child target.
const childTargetSize = 256 << 20

func TestMain(m *testing.M) {
	if os.Getenv(childTargetEnv) != "" {
		os.Exit(serveChildTarget())
	}
	os.Exit(m.Run())
}

// serveChildTarget serves a malloc namespace on a loopback port it prints
// as the first line of stdout, until stdin reaches EOF (the parent died
// or is done). The value of childTargetEnv is the target's ReadSpin. It
// returns the exit code.
func serveChildTarget() int {
	spin, err := time.ParseDuration(os.Getenv(childTargetEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	tgt := nvmftarget.New(nvmftarget.Options{ReadSpin: spin})
	defer tgt.Close()
	m, err := bdev.NewMalloc("m0", childTargetSize, 512, [16]byte{})
	if err == nil {
		var s *nvmftarget.Subsystem
		if s, err = tgt.AddSubsystem(nvmftarget.SubsystemConfig{NQN: embeddedNQN, AllowAnyHost: true}); err == nil {
			_, err = s.AddNamespace(nvmftarget.NamespaceConfig{Bdev: m})
		}
	}
	var addr string
	if err == nil {
		addr, err = tgt.AddListener(embeddedNQN, "127.0.0.1:0", 0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s gomaxprocs=%d\n", addr, runtime.GOMAXPROCS(0))
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// childTarget is a target process started by startChildTarget.
type childTarget struct {
	addr  string
	procs string // "gomaxprocs=N", as the child reports it
	pid   int
}

// switches is how many times the child's threads blocked so far (their
// voluntary context switches): each is a park of an M that an idle CPU
// must wake up from.
func (c *childTarget) switches() (int64, error) {
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", c.pid))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, f := range dirs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that just ended
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				k, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += k
			}
		}
	}
	return n, nil
}

// startChildTarget runs this test binary as a target process confined to
// CPU 0 with taskset, GOMAXPROCS set to gomaxprocs (0: left to Go) and
// the target's ReadSpin to spin.
func startChildTarget(b *testing.B, gomaxprocs int, spin time.Duration) *childTarget {
	b.Helper()
	tsk, err := exec.LookPath("taskset")
	if err != nil {
		b.Skip("taskset not found (util-linux): cannot confine the target to one CPU")
	}
	cmd := exec.Command(tsk, "-c", "0", os.Args[0])
	cmd.Env = append(os.Environ(), childTargetEnv+"="+spin.String())
	if gomaxprocs > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", gomaxprocs))
	} else {
		cmd.Env = append(cmd.Env, "GOMAXPROCS=")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("child target: %v", err)
	}
	addr, procs, _ := strings.Cut(strings.TrimSpace(line), " ")
	return &childTarget{addr: addr, procs: procs, pid: cmd.Process.Pid}
}

// confinedRounds is how many alternations BenchmarkTargetConfined makes
// between its target variants.
const confinedRounds = 8

// targetVariant is one way BenchmarkTargetConfined runs the target.
type targetVariant struct {
	name       string
	gomaxprocs int           // 0: left to Go (1 on one CPU)
	spin       time.Duration // nvmftarget.Options.ReadSpin; 0: the default
}

// confinedVariants are the targets compared; the last is the reference.
var confinedVariants = []targetVariant{
	{name: "confined"},
	{name: "confined-nospin", spin: -1},
	{name: "gomaxprocs=2", gomaxprocs: 2},
}

// BenchmarkTargetConfined measures the embedded target confined to one CPU
// (taskset -c 0, GOMAXPROCS left to Go: 1, as in a pod with a 1-CPU
// limit), with and without its read spin, against the same target on the
// same CPU given GOMAXPROCS=2, all driven by a host that busy-polls its
// socket like spdk_nvme_perf. The targets run side by side and are
// measured in alternation, so machine noise hits each alike. It reports
// each one's IOPS, its ratio to the reference (the goal is >= 1) and how
// often its threads parked per I/O (each park is a wake an idle CPU pays).
// Run it with the benchmark process on another CPU (make bench-target).
func BenchmarkTargetConfined(b *testing.B) {
	for _, tc := range []struct {
		name string
		op   uint8
		qd   int
	}{
		{"randread/qd1", nvme.IORead, 1},
		{"randwrite/qd1", nvme.IOWrite, 1},
		{"randread/qd32", nvme.IORead, 32},
	} {
		b.Run(tc.name, func(b *testing.B) {
			nv := len(confinedVariants)
			targets := make([]*childTarget, nv)
			ctrls := make([]*Controller, nv)
			for i, v := range confinedVariants {
				targets[i] = startChildTarget(b, v.gomaxprocs, v.spin)
				ctrls[i] = dialEmbedded(b, Config{Addr: targets[i].addr, SubsysNQN: embeddedNQN,
					DisableSQFlowControl: true, Dialer: dialPolled})
			}
			iops := make([][]float64, nv)
			ratio := make([][]float64, nv)
			parks := make([][]float64, nv)
			n := max(b.N/confinedRounds/nv, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for range confinedRounds {
				took := make([]time.Duration, nv)
				for i := range confinedVariants {
					d, sw, err := runChild(ctrls[i], targets[i], tc.op, tc.qd, n)
					if err != nil {
						b.Fatal(err)
					}
					took[i] = d
					iops[i] = append(iops[i], float64(n)/d.Seconds())
					parks[i] = append(parks[i], float64(sw)/float64(n))
				}
				for i := range confinedVariants {
					ratio[i] = append(ratio[i], took[nv-1].Seconds()/took[i].Seconds())
				}
			}
			b.StopTimer()
			for i, v := range confinedVariants {
				name := v.name
				if v.gomaxprocs == 0 {
					name += "(" + targets[i].procs + ")"
				}
				b.ReportMetric(median(iops[i]), "IOPS-"+name)
				b.ReportMetric(median(parks[i]), "parks/IO-"+name)
				if i < nv-1 {
					b.ReportMetric(median(ratio[i]), "ratio-"+name)
				}
			}
		})
	}
}

// runChild runs n I/Os on the controller c of the child target t and
// returns how long they took and how often t's threads parked meanwhile.
func runChild(c *Controller, t *childTarget, op uint8, qd, n int) (time.Duration, int64, error) {
	before, err := t.switches()
	if err != nil {
		return 0, 0, err
	}
	d, err := runQueue(c.Queue(0), op, qd, n, childTargetSize/4096)
	if err != nil {
		return 0, 0, err
	}
	after, err := t.switches()
	return d, after - before, err
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// runQueue keeps qd 4 KiB commands of op in flight on q until n complete,
// resubmitting from the completion callback, and returns how long it took.
func runQueue(q *Queue, op uint8, qd, n int, blocks uint64) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var mu sync.Mutex
	var firstErr error
	issued, completed := 0, 0
	done := make(chan struct{})
	rng := uint64(0x9E3779B97F4A7C15)
	var onDone func(r *Request)
	submit := func(r *Request) { // with mu held
		issued++
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		r.SLBA = rng % blocks * 8
		if err := q.Submit(r); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	onDone = func(r *Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Err != nil && firstErr == nil {
			firstErr = r.Err
		}
		completed++
		if completed == n || (firstErr != nil && completed == issued) {
			close(done)
			return
		}
		if firstErr == nil && issued < n {
			submit(r)
		}
	}
	reqs := make([]Request, min(qd, n, q.Depth()))
	start := time.Now()
	mu.Lock()
	for i := range reqs {
		reqs[i] = Request{Opcode: op, NSID: 1, NLB: 8, Buf: make([]byte, 4096), Done: onDone}
		submit(&reqs[i])
	}
	mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return 0, fmt.Errorf("%d of %d I/Os completed: %w", completed, n, ctx.Err())
	}
	return time.Since(start), firstErr
}
