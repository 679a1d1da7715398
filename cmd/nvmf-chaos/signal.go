package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/internal/procsignal"
)

func newSignalCmd() *cobra.Command {
	var of string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:    "signal STOP|CONT|STOPPED",
		Short:  "Stop or continue this binary's target process and wait until it shows (the Kubernetes process-pause fault, run in the target pod)",
		Hidden: true,
		Long: `signal finds the processes of this binary running the subcommand --of
(target by default) in /proc, sends SIGSTOP or SIGCONT, and returns once the
kernel reports them stopped or running again; STOPPED only checks that every one
is stopped (the fault's took-effect check). A target pod shares its process
namespace, so this exec'd process sees the target, which is not PID 1 (PID 1
ignores stop signals from inside its namespace).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sig syscall.Signal
			check := false
			switch strings.ToUpper(args[0]) {
			case "STOP":
				sig = syscall.SIGSTOP
			case "CONT":
				sig = syscall.SIGCONT
			case "STOPPED":
				check = true
			default:
				return fmt.Errorf("signal %q: want STOP, CONT or STOPPED", args[0])
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			pids, err := procsignal.Find("/proc", filepath.Base(self), of)
			if err != nil {
				return err
			}
			if len(pids) == 0 {
				return fmt.Errorf("no %s %s process: %w", filepath.Base(self), of, procsignal.ErrNone)
			}
			if check {
				return allStopped(cmd, pids)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			for _, pid := range pids {
				if err := procsignal.SignalAndWait(ctx, "/proc", pid, sig); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s pid %d\n", map[syscall.Signal]string{syscall.SIGSTOP: "stopped", syscall.SIGCONT: "continued"}[sig], pid)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&of, "of", "target", "the `subcommand` whose processes get the signal")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how `long` to wait for the state to show")
	return cmd
}

// allStopped fails unless every process is stopped now.
func allStopped(cmd *cobra.Command, pids []int) error {
	for _, pid := range pids {
		st, err := procsignal.State("/proc", pid)
		if err != nil {
			return err
		}
		if !procsignal.Stopped(st) {
			return fmt.Errorf("pid %d is running (state %c)", pid, st)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "pid %d stopped\n", pid)
	}
	return nil
}
