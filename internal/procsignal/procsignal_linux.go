// Package procsignal stops and continues a process found by its command
// line, and waits until the kernel says it took effect. It is what runs
// inside a target pod (`nvmf-chaos signal`) when a Kubernetes fault pauses
// the target: the harness has no shell there, only exec of this binary.
package procsignal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Find lists the processes of this binary's name (argv[0]'s base) whose
// first argument is sub, such as the `target` of `nvmf-chaos target`,
// leaving out this process.
func Find(procRoot, binary, sub string) ([]int, error) {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "cmdline"))
		if err != nil {
			continue // gone meanwhile
		}
		args := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
		if len(args) >= 2 && filepath.Base(string(args[0])) == binary && string(args[1]) == sub {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// State is a process's state letter from /proc/PID/stat: R, S, D, T…
func State(procRoot string, pid int) (byte, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces: the
	// state follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("pid %d: unreadable stat %q", pid, b)
	}
	return b[i+2], nil
}

// Stopped reports whether a state letter is a stopped process (T, or t
// when traced).
func Stopped(state byte) bool { return state == 'T' || state == 't' }

// SignalAndWait sends SIGSTOP or SIGCONT to pid and waits until its state
// shows it: the took-effect check of a pause.
func SignalAndWait(ctx context.Context, procRoot string, pid int, sig syscall.Signal) error {
	if sig != syscall.SIGSTOP && sig != syscall.SIGCONT {
		return fmt.Errorf("signal %v: only SIGSTOP and SIGCONT are waited on", sig)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("pid %d: %v: %w", pid, sig, err)
	}
	want := sig == syscall.SIGSTOP
	for {
		st, err := State(procRoot, pid)
		if err != nil {
			return fmt.Errorf("pid %d after %v: %w", pid, sig, err)
		}
		if Stopped(st) == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pid %d still in state %c after %v: %w", pid, st, sig, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// ErrNone is returned when no process matches.
var ErrNone = errors.New("no such process")
