//go:build !linux

package supervisor

import "syscall"

// sysProcAttr puts the child in its own process group. Only Linux has a
// parent-death signal, so elsewhere a crashed harness can leave targets
// behind for Sweep.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
