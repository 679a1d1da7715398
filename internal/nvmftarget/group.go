package nvmftarget

import (
	"sync"
	"time"
)

// groupDrainTimeout bounds how long the sockets of a group being shut
// down wait for its slowest member to finish its commands: a bdev stuck
// for longer would otherwise keep the whole group's sockets open.
const groupDrainTimeout = 5 * time.Second

// closeGate holds a connection's socket open until its group has drained.
type closeGate struct {
	mu      sync.Mutex
	release chan struct{} // nil: close as soon as this connection drained
	drained chan struct{} // closed once this connection's commands are done
}

func (g *closeGate) hold(release chan struct{}) {
	g.mu.Lock()
	g.release = release
	g.mu.Unlock()
}

// wait blocks until the group releases the socket (or the drain timeout).
func (g *closeGate) wait() {
	g.mu.Lock()
	release := g.release
	g.mu.Unlock()
	if release == nil {
		return
	}
	select {
	case <-release:
	case <-time.After(groupDrainTimeout):
	}
}

// shutdownGroup ends conns together, the way a process death would: every
// one stops reading and finishes the commands it already took (sending
// their completions), and only when all have done so do their sockets
// close. Closing one queue's socket while another queue of the same
// controller still executes would let the host fail the controller over
// and retry elsewhere a write this target is about to land, overwriting
// newer data: a ghost write. Non-blocking, like conn.shutdown.
func shutdownGroup(conns []*conn) {
	if len(conns) == 0 {
		return
	}
	release := make(chan struct{})
	for _, c := range conns {
		c.gate.hold(release)
	}
	for _, c := range conns {
		c.shutdown()
	}
	go func() {
		timeout := time.After(groupDrainTimeout)
		for _, c := range conns {
			select {
			case <-c.gate.drained:
			case <-timeout:
			}
		}
		close(release)
	}()
}
