package scenarios

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/supervisor"
)

// runNode is one storage node of a run. On the local backend it is a node
// of a provision/cluster cluster (a network namespace, or a loopback port)
// whose supervised target it exposes as a local.Process, so process faults
// act on it; its Start re-provisions what the node exported, as an array's
// configuration would on reboot. An external node has only its RPC address
// and listener.
type runNode struct {
	name string
	// mgmt is the RPC address the harness provisions and faults the node
	// through: its management network when it has one.
	mgmt string
	// dataAddr is host:port for the node's NVMe/TCP listeners.
	dataAddr string
	// node and cluster are nil for external targets.
	node    *cluster.Node
	cluster *cluster.Cluster
	// proxy, when set, is the delaying proxy the host reaches the node's
	// listener through (latency faults).
	proxy *local.Proxy

	mu          sync.Mutex
	rpc         *rpc.Client
	reprovision func(ctx context.Context) error // set once volumes exist
	exports     bool                            // it exports a volume: it has a listener

	// startMu serialises bringing the target back (a fault's Start or a
	// restart by the supervisor's policy); seen is the incarnation count
	// the harness has provisioned.
	startMu sync.Mutex
	seen    int
}

var _ local.Process = (*runNode)(nil)

// rpcWait bounds how long a (re)started target may take to answer RPC.
const rpcWait = 15 * time.Second

// connect dials the node's management RPC, retrying until it answers (a
// target's TCP RPC listener may trail its unix socket by a moment).
func (n *runNode) connect(ctx context.Context) error {
	what := fmt.Sprintf("node %s's target RPC %s to answer", n.name, n.mgmt)
	return poll.Until(ctx, what, func(ctx context.Context) error {
		c, err := rpc.Dial(ctx, n.mgmt, rpc.WithTimeout(10*time.Second))
		if err != nil {
			return err
		}
		if _, err = c.SpdkGetVersion(ctx); err == nil {
			if err = n.prepare(ctx, c); err == nil {
				n.setRPC(c)
				return nil
			}
		}
		_ = c.Close()
		return err
	}, poll.Every(20*time.Millisecond), poll.Within(rpcWait))
}

// prepare creates the target's TCP transport: nvmf_tgt and the embedded
// target in RPC mode both start with none, and a listener needs one. A
// target the harness did not start (external) may have one already, made
// by whoever runs it, and that one serves; on a target the harness just
// started, one already there means the target is not what the harness
// thinks, and that is an error.
func (n *runNode) prepare(ctx context.Context, c *rpc.Client) error {
	err := c.NvmfCreateTransport(ctx, rpc.NvmfCreateTransportParams{Trtype: "TCP"})
	if err == nil || (errors.Is(err, rpc.ErrExists) && n.node == nil) {
		return nil
	}
	return fmt.Errorf("node %s: create the TCP transport: %w", n.name, err)
}

func (n *runNode) setRPC(c *rpc.Client) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.rpc != nil {
		_ = n.rpc.Close()
	}
	n.rpc = c
}

// RPC is the node's current RPC client (a new one after each restart).
func (n *runNode) RPC() *rpc.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rpc
}

func (n *runNode) process() *supervisor.Process {
	if n.node == nil {
		return nil
	}
	return n.node.Process
}

// PID is the target's pid, 0 when it is not running or not ours.
func (n *runNode) PID() int {
	if p := n.process(); p != nil {
		return p.PID()
	}
	return 0
}

// Signal sends sig to the target.
func (n *runNode) Signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	p := n.process()
	switch {
	case p == nil:
		return fmt.Errorf("node %s: %w (external target)", n.name, local.ErrNotRunning)
	case !ok:
		return fmt.Errorf("node %s: signal %v is not a unix signal", n.name, sig)
	}
	return processErr(p.Signal(s))
}

// Kill sends SIGKILL to the target.
func (n *runNode) Kill() error {
	p := n.process()
	if p == nil {
		return fmt.Errorf("node %s: %w (external target)", n.name, local.ErrNotRunning)
	}
	return processErr(p.Kill())
}

// Wait waits for the target to exit, whatever its exit status (the
// supervisor reports it; a killed target is what a fault wants).
func (n *runNode) Wait(ctx context.Context) error {
	p := n.process()
	if p == nil {
		return nil
	}
	if err := p.Wait(ctx); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// Start restarts the target after a fault stopped it and restores the
// node's volumes on it.
func (n *runNode) Start(ctx context.Context) error {
	if n.cluster == nil {
		return fmt.Errorf("node %s: an external target is not ours to start", n.name)
	}
	n.startMu.Lock()
	defer n.startMu.Unlock()
	if err := n.cluster.StartTarget(ctx, n.name); err != nil {
		return processErr(err)
	}
	n.seen = n.node.Process.Starts()
	return n.restore(ctx)
}

// restore connects to a new incarnation of the target and re-provisions
// the node's volumes on it. Callers hold startMu.
func (n *runNode) restore(ctx context.Context) error {
	if err := n.connect(ctx); err != nil {
		return err
	}
	n.mu.Lock()
	re := n.reprovision
	n.mu.Unlock()
	if re == nil {
		return nil
	}
	if err := re(ctx); err != nil {
		return fmt.Errorf("node %s: re-provision after restart: %w", n.name, err)
	}
	return n.waitListener(ctx)
}

// listenWait bounds how long a provisioned node's listener may take to
// accept connections.
const listenWait = 10 * time.Second

// waitListener is the second half of a node's health check: once its
// volumes are provisioned, its NVMe/TCP listener accepts connections.
// External nodes are not ours to check; a node without volumes has no
// listener.
func (n *runNode) waitListener(ctx context.Context) error {
	n.mu.Lock()
	exports := n.exports
	n.mu.Unlock()
	if n.node == nil || !exports {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, listenWait)
	defer cancel()
	return n.node.WaitListener(ctx)
}

// restartedByPolicy re-provisions the target if the supervisor restarted
// it on its own (cluster.restart) since the harness last did; it reports
// whether it did.
func (n *runNode) restartedByPolicy(ctx context.Context) (bool, error) {
	p := n.process()
	if p == nil {
		return false, nil
	}
	n.startMu.Lock()
	defer n.startMu.Unlock()
	starts := p.Starts()
	if starts <= n.seen || p.PID() == 0 {
		return false, nil
	}
	n.seen = starts
	return true, n.restore(ctx)
}

// processErr maps the supervisor's sentinels onto the ones process faults
// test for.
func processErr(err error) error {
	switch {
	case errors.Is(err, supervisor.ErrRunning):
		return fmt.Errorf("%w: %w", local.ErrRunning, err)
	case errors.Is(err, supervisor.ErrNotRunning):
		return fmt.Errorf("%w: %w", local.ErrNotRunning, err)
	}
	return err
}

// close releases the node's RPC client and proxy; the cluster stops the
// process.
func (n *runNode) close() {
	n.setRPC(nil)
	if n.proxy != nil {
		_ = n.proxy.Close()
	}
}

// nodeRPC is a node's API for faults, resolved at each call: a target
// restart replaces the client.
type nodeRPC struct{ n *runNode }

func (r nodeRPC) client() (*rpc.Client, error) {
	if c := r.n.RPC(); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("node %s: %w", r.n.name, errors.New("target RPC unavailable"))
}

func (r nodeRPC) NvmfSubsystemListenerSetAnaState(ctx context.Context, p rpc.NvmfSubsystemListenerSetAnaStateParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.NvmfSubsystemListenerSetAnaState(ctx, p)
}

func (r nodeRPC) NvmfSubsystemAddListener(ctx context.Context, p rpc.NvmfSubsystemListenerParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.NvmfSubsystemAddListener(ctx, p)
}

func (r nodeRPC) NvmfSubsystemRemoveListener(ctx context.Context, p rpc.NvmfSubsystemListenerParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.NvmfSubsystemRemoveListener(ctx, p)
}

func (r nodeRPC) BdevDelayUpdateLatency(ctx context.Context, p rpc.BdevDelayUpdateLatencyParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.BdevDelayUpdateLatency(ctx, p)
}

func (r nodeRPC) BdevErrorInjectError(ctx context.Context, p rpc.BdevErrorInjectErrorParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.BdevErrorInjectError(ctx, p)
}

func (r nodeRPC) NvmfGetSubsystems(ctx context.Context, p rpc.NvmfGetSubsystemsParams) ([]rpc.Subsystem, error) {
	c, err := r.client()
	if err != nil {
		return nil, err
	}
	return c.NvmfGetSubsystems(ctx, p)
}
