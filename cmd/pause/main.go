// Command pause is the pod sandbox ("pause") program of the project's test
// cluster, which can pull no image: it holds the pod's namespaces open,
// reaps the zombies of a shared PID namespace, and exits 0 on SIGTERM or
// SIGINT. Packed into an image by `nvmf-chaos image build`.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child without blocking: as PID 1 of a shared
// PID namespace the sandbox inherits orphans.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
