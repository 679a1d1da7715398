package testcluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is one running component of the cluster.
type Proc struct {
	// Component names it and its log file: "etcd", "kubelet-k8s-node-0".
	Component string `json:"component"`
	// PID is its process ID.
	PID int `json:"pid"`
	// StartTicks is the process start time from /proc/PID/stat, so a
	// recycled PID is never mistaken for the component.
	StartTicks uint64 `json:"start_ticks"`
	// exited is closed when this process (a child of Up) has been reaped.
	exited chan struct{}
}

// component is what Up starts.
type component struct {
	name  string
	netns string // network namespace to run in; "" for the root one
	bin   string
	args  []string
	// env is added to componentEnv's: settings a component reads only
	// from its environment (Chaos Mesh's controller does).
	env []string
}

// start runs c in the background in its own session (so a Ctrl-C or
// kill of Up does not reach it) inside its network namespace, with its
// output appended to its log file. nsenter joins only the network
// namespace: `ip netns exec` would also remount /sys in a private mount
// namespace, hiding the cgroup mounts the kubelet and runc need.
func start(l Layout, c component) (*Proc, error) {
	if err := os.MkdirAll(l.LogDir(), 0o755); err != nil {
		return nil, fmt.Errorf("creating log dir: %w", err)
	}
	logf, err := os.OpenFile(l.Log(c.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: opening log: %w", c.name, err)
	}
	defer logf.Close()
	argv := append([]string{c.bin}, c.args...)
	if c.netns != "" {
		argv = append([]string{"nsenter", "--net=" + filepath.Join("/run/netns", c.netns), "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = l.Dir
	cmd.Env = append(componentEnv(l), c.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	fmt.Fprintf(logf, "\n=== %s: %s\n", time.Now().Format(time.RFC3339), strings.Join(argv, " "))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.name, err)
	}
	p := &Proc{Component: c.name, PID: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // reap it, so a crash shows as exited, not as a zombie
		close(p.exited)
	}()
	ticks, err := startTicks(p.PID)
	if err != nil {
		return p, fmt.Errorf("%s exited at once: %w", c.name, err)
	}
	p.StartTicks = ticks
	return p, nil
}

// componentEnv gives components the cache's binaries first on PATH: the
// kubelet and containerd find runc, the shim and iptables by name.
func componentEnv(l Layout) []string {
	env := []string{
		"PATH=" + filepath.Join(l.Cache, "bin") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + l.Dir,
	}
	return env
}

// Alive reports whether p still runs (not exited, not a zombie, not a
// recycled PID).
func (p *Proc) Alive() bool {
	if p.exited != nil {
		select {
		case <-p.exited:
			return false
		default:
		}
	}
	ticks, err := startTicks(p.PID)
	return err == nil && ticks == p.StartTicks
}

// errGone means the process no longer exists or has become a zombie.
var errGone = errors.New("process gone")

// startTicks reads field 22 of /proc/PID/stat (start time in clock ticks);
// a zombie counts as gone.
func startTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, errGone
	}
	// The command name may hold spaces and parentheses: split after the
	// last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, errGone
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// stop sends SIGTERM, waits up to grace, then SIGKILL and waits again. It
// is a no-op for a process that is already gone.
func (p *Proc) stop(grace time.Duration) {
	if !p.Alive() {
		return
	}
	_ = syscall.Kill(p.PID, syscall.SIGTERM)
	if waitGone(p, grace) {
		return
	}
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
	waitGone(p, 5*time.Second)
}

func waitGone(p *Proc, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !p.Alive()
}

// lastLines returns up to n last lines of a component's log.
func lastLines(l Layout, component string, n int) string {
	b, err := os.ReadFile(l.Log(component))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// failure is the error for a component that failed to start or died: its
// name, why, and the end of its log.
func failure(l Layout, component string, why error) error {
	return fmt.Errorf("%s failed: %w\nlast lines of %s:\n%s", component, why, l.Log(component), lastLines(l, component, 25))
}
