// Command nvmf-chaos is the benchmark and chaos test harness for NVMe-oF
// target availability. It only parses flags, wires packages together and
// decides exit codes: 0 pass, 1 an SLO failed, 2 could not run.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes shared by every subcommand.
const (
	exitPass      = 0
	exitSLOFailed = 1
	exitCannotRun = 2
)

// exitError carries the exit code a subcommand chose with its error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	if addr := os.Getenv(envPprof); addr != "" {
		if _, err := servePprof(addr); err != nil {
			os.Exit(exitCode(err))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err))
}

// exitCode maps an error to the process exit code; anything not marked as an
// SLO failure means the command could not do its job.
func exitCode(err error) int {
	if err == nil {
		return exitPass
	}
	fmt.Fprintln(os.Stderr, "nvmf-chaos:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitCannotRun
}
