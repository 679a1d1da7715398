package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
)

// Every local fault checks that it took effect.
var (
	_ faults.EffectChecker = (*Kill)(nil)
	_ faults.EffectChecker = (*Pause)(nil)
	_ faults.EffectChecker = (*Restart)(nil)
	_ faults.EffectChecker = (*NodeDown)(nil)
	_ faults.EffectChecker = (*Partition)(nil)
	_ faults.EffectChecker = (*PacketLoss)(nil)
	_ faults.EffectChecker = (*Bandwidth)(nil)
	_ faults.EffectChecker = (*Latency)(nil)
	_ faults.EffectChecker = (*CPUStress)(nil)
)

// effectEvery is how often a check looks again: local effects show within
// microseconds (a signal) to milliseconds (a table in the kernel). The
// Schedule's context bounds how long it looks.
const effectEvery = 5 * time.Millisecond

func untilEffect(ctx context.Context, what string, cond poll.Condition) error {
	return poll.Until(ctx, what, cond, poll.Every(effectEvery), poll.Within(0))
}

// gone reports whether the process p designated at pid has exited: p now
// names no process or another one (a restart policy may restart it before
// the check looks).
func gone(p Process, pid int) error {
	if cur := p.PID(); cur != 0 && cur == pid {
		return fmt.Errorf("pid %d is still running", pid)
	}
	return nil
}

// TookEffect confirms the killed process is gone.
func (k *Kill) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, k.Describe()+": pid "+fmt.Sprint(k.killed)+" gone", func(context.Context) error { return gone(k.p, k.killed) })
}

// TookEffect confirms the stopped process is gone.
func (r *Restart) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, r.Describe()+": pid "+fmt.Sprint(r.stopped)+" gone", func(context.Context) error { return gone(r.p, r.stopped) })
}

// TookEffect confirms the process is stopped (state T in /proc): a
// SIGSTOP is delivered asynchronously, and one that reached another
// process than the target would hang nothing.
func (s *Pause) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, s.Describe()+" stopped", func(context.Context) error {
		pid := s.p.PID()
		if pid == 0 {
			return poll.Stop(ErrNotRunning)
		}
		st, err := procState(pid)
		if err != nil {
			return err
		}
		if st != "T" && st != "t" {
			return fmt.Errorf("pid %d is in state %s, not stopped (T)", pid, st)
		}
		return nil
	})
}

// TookEffect confirms the drop rules are in the namespace and every
// process of the node is gone.
func (d *NodeDown) TookEffect(ctx context.Context) error {
	if err := d.drop.TookEffect(ctx); err != nil {
		return err
	}
	return untilEffect(ctx, d.Describe()+": processes gone", func(context.Context) error {
		var errs []error
		for i, p := range d.procs {
			if i < len(d.killed) {
				errs = append(errs, gone(p, d.killed[i]))
			}
		}
		return errors.Join(errs...)
	})
}

// TookEffect confirms the fault's table is in the node's namespace.
func (f *nftFault) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, f.Describe()+": nft table "+f.table.name, func(ctx context.Context) error {
		tables, err := nftTables(ctx, f.net.Netns)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t == [2]string{"inet", f.table.name} {
				return nil
			}
		}
		return fmt.Errorf("table inet %s is not in netns %s", f.table.name, f.net.Netns)
	})
}

// TookEffect confirms every link has the harness's tbf as root qdisc.
func (b *Bandwidth) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, b.Describe()+": tbf on every link", func(ctx context.Context) error {
		var errs []error
		for _, l := range b.links {
			out, err := runIn(ctx, l.Netns, "", "tc", "qdisc", "show", "dev", l.Dev, "root")
			if err != nil {
				errs = append(errs, err)
			} else if !strings.Contains(out, "tbf "+tbfHandle+" ") {
				errs = append(errs, fmt.Errorf("link %s has no tbf %s: %s", l, tbfHandle, strings.TrimSpace(out)))
			}
		}
		return errors.Join(errs...)
	})
}

// TookEffect confirms the proxy delays by the fault's delay.
func (l *Latency) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, l.Describe()+": proxy delay", func(context.Context) error {
		if got := l.d.Delay(); got != l.delay {
			return fmt.Errorf("the proxy delays by %s, not %s", got, l.delay)
		}
		return nil
	})
}

// TookEffect confirms the busy loops are running.
func (s *CPUStress) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, s.Describe()+": busy loops running", func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.spinners) == 0 {
			return errors.New("no busy loop running")
		}
		for _, c := range s.spinners {
			if err := c.Process.Signal(syscall.Signal(0)); err != nil {
				return fmt.Errorf("busy loop pid %d: %w", c.Process.Pid, err)
			}
		}
		return nil
	})
}

// procState is the one-letter state of /proc/PID/stat (R, S, T, Z…).
func procState(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	// The command name in parentheses may hold spaces: the state follows
	// the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+3 > len(s) {
		return "", fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	return s[i+2 : i+3], nil
}
