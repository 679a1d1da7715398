package supervisor

import "syscall"

// sysProcAttr puts the child in its own process group (so one signal
// reaches everything it forks, and a terminal's ^C does not) and has the
// kernel SIGKILL it if the harness dies, so a crashed run leaves no target
// behind. `ip netns exec` keeps the parent-death signal across its exec.
// The kernel ties the signal to the forking thread, not the process; the Go
// runtime only ends a thread when a goroutine exits while locked to it, and
// nothing in the harness starts targets from such a goroutine.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
