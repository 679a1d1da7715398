package local

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os/exec"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// Bounds of a cpu-stress fault.
const (
	// MaxStressWorkers bounds the busy loops per CPU.
	MaxStressWorkers = 16
	// DefaultStressLimit is how long busy loops run at most when
	// NewCPUStress is given no limit: they stop by themselves even if
	// Recover is never called.
	DefaultStressLimit = 10 * time.Minute
)

// spinScript is a shell busy loop that also ends when the harness ($PPID)
// is gone, so a crashed run leaves no spinning orphans.
const spinScript = `while kill -0 $PPID 2>/dev/null; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; done`

// CPUStress is cpu-stress: busy-loop processes pinned to the CPUs the
// node's processes may run on, competing with them for CPU time. The loops
// are separate processes, not goroutines, so the harness's own workers are
// not starved along with the target.
type CPUStress struct {
	node    string
	procs   []Process
	workers int
	limit   time.Duration

	mu       sync.Mutex
	spinners []*exec.Cmd
	timer    *time.Timer
}

var _ faults.Fault = (*CPUStress)(nil)

// NewCPUStress returns a cpu-stress running workers busy loops per CPU of
// procs for at most limit (DefaultStressLimit when <= 0).
func NewCPUStress(node string, workers int, limit time.Duration, procs ...Process) (*CPUStress, error) {
	if workers < 1 || workers > MaxStressWorkers {
		return nil, fmt.Errorf("cpu-stress %s: workers %d: want 1..%d", node, workers, MaxStressWorkers)
	}
	if len(procs) == 0 {
		return nil, fmt.Errorf("cpu-stress %s: no process to compete with", node)
	}
	if limit <= 0 {
		limit = DefaultStressLimit
	}
	return &CPUStress{node: node, procs: procs, workers: workers, limit: limit}, nil
}

// Available needs sh.
func (s *CPUStress) Available() error { return needBinaries("sh") }

// Describe names the fault, node and load.
func (s *CPUStress) Describe() string {
	return fmt.Sprintf("cpu-stress %s %d/CPU", s.node, s.workers)
}

// Inject starts the busy loops. On error the ones started are stopped.
func (s *CPUStress) Inject(ctx context.Context) error {
	cpus, err := s.targetCPUs()
	if err != nil {
		return fmt.Errorf("%s: %w", s.Describe(), err)
	}
	var started []*exec.Cmd
	for _, cpu := range cpus {
		for range s.workers {
			cmd, err := startSpinner(ctx, cpu)
			if err != nil {
				stopSpinners(started)
				return fmt.Errorf("%s: %w", s.Describe(), err)
			}
			started = append(started, cmd)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spinners = append(s.spinners, started...)
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(s.limit, s.stop)
	return nil
}

// Recover stops the busy loops; with none running it does nothing.
func (s *CPUStress) Recover(context.Context) error {
	s.stop()
	return nil
}

func (s *CPUStress) stop() {
	s.mu.Lock()
	spinners := s.spinners
	s.spinners = nil
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	stopSpinners(spinners)
}

// targetCPUs is the union of the CPUs the running processes may use.
func (s *CPUStress) targetCPUs() ([]int, error) {
	var set cpuMask
	running := 0
	for _, p := range s.procs {
		pid := p.PID()
		if pid == 0 {
			continue
		}
		m, err := getAffinity(pid)
		if err != nil {
			return nil, fmt.Errorf("CPU affinity of pid %d: %w", pid, err)
		}
		set.or(m)
		running++
	}
	if running == 0 {
		return nil, fmt.Errorf("no running process to compete with: %w", ErrNotRunning)
	}
	cpus := set.cpus()
	if len(cpus) == 0 {
		return nil, errNoCPU
	}
	return cpus, nil
}

func startSpinner(ctx context.Context, cpu int) (*exec.Cmd, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Not CommandContext: the loop outlives Inject's context.
	cmd := exec.Command("sh", "-c", spinScript)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start busy loop: %w", err)
	}
	var m cpuMask
	m.set(cpu)
	if err := setAffinity(cmd.Process.Pid, m); err != nil {
		stopSpinners([]*exec.Cmd{cmd})
		return nil, fmt.Errorf("pin busy loop to CPU %d: %w", cpu, err)
	}
	return cmd, nil
}

// stopSpinners kills and reaps the loops.
func stopSpinners(cmds []*exec.Cmd) {
	for _, c := range cmds {
		_ = c.Process.Kill()
	}
	for _, c := range cmds {
		_ = c.Wait() // killed: the error is expected
	}
}

// cpuMask is a sched_setaffinity(2) CPU set for up to 1024 CPUs.
type cpuMask [16]uint64

func (m *cpuMask) set(cpu int) {
	if cpu >= 0 && cpu < len(m)*64 {
		m[cpu/64] |= 1 << (cpu % 64)
	}
}

func (m *cpuMask) or(o cpuMask) {
	for i := range m {
		m[i] |= o[i]
	}
}

func (m *cpuMask) cpus() []int {
	var out []int
	for i, w := range m {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, i*64+b)
			w &^= 1 << b
		}
	}
	return out
}

func getAffinity(pid int) (cpuMask, error) {
	var m cpuMask
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, uintptr(pid), unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m)))
	if errno != 0 {
		return m, errno
	}
	return m, nil
}

func setAffinity(pid int, m cpuMask) error {
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(pid), unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m)))
	if errno != 0 {
		return errno
	}
	return nil
}

// errNoCPU guards against an empty affinity answer, which the kernel never
// gives for a live process.
var errNoCPU = errors.New("no CPU in the process's affinity mask")
