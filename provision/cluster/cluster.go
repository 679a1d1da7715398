package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
	"github.com/nvmf-chaos/nvmf-chaos/provision/supervisor"
)

// Node is one machine of the cluster: where its target listens and how to
// reach and control it. Fields are fixed once Create has returned.
type Node struct {
	// Name is the node's name from Options.Nodes.
	Name string
	// Netns is the node's network namespace; empty in ModeLoopback.
	Netns string
	// DataAddr and DataPort are where the node's NVMe/TCP listeners go.
	DataAddr netip.Addr
	DataPort uint16
	// RPCSocket is the target's JSON-RPC unix socket. Unix sockets are
	// reached through the file system, so it works from any namespace.
	RPCSocket string
	// RPCAddr is where an embedded target in a namespace also serves
	// JSON-RPC over TCP, on the node's address: the management network a
	// storage node has, which an RPC partition cuts. Invalid when the
	// target has no TCP RPC (loopback nodes, nvmf_tgt, whose RPC server
	// only listens on unix sockets).
	RPCAddr netip.AddrPort
	// Process supervises the node's target: Kill, Stop, Cont, Restart…
	Process *supervisor.Process

	hostIf string // host end of the veth pair (ModeNetns)
	index  int    // position in Options.Nodes
}

// HostLink is the host end of the node's veth pair (on the bridge, in the
// harness's namespace); empty in ModeLoopback.
func (n *Node) HostLink() string { return n.hostIf }

// NodeLink is the node's end of its veth pair, inside Netns; empty in
// ModeLoopback.
func (n *Node) NodeLink() string {
	if n.Netns == "" {
		return ""
	}
	return nodeIf
}

// DataAddrPort is DataAddr:DataPort, the address hosts connect to.
func (n *Node) DataAddrPort() netip.AddrPort { return netip.AddrPortFrom(n.DataAddr, n.DataPort) }

// MgmtRPC is the address the harness manages the node's target through:
// the TCP management address when there is one, else the unix socket.
func (n *Node) MgmtRPC() string {
	if n.RPCAddr.IsValid() {
		return "tcp://" + n.RPCAddr.String()
	}
	return n.RPCSocket
}

// CheckRPC asks the node's target for its version over RPC.
func (n *Node) CheckRPC(ctx context.Context) (string, error) {
	v, err := CheckRPC(ctx, n.RPCSocket)
	if err != nil {
		return "", fmt.Errorf("node %s: %w", n.Name, err)
	}
	return v, nil
}

// CheckListener connects to DataAddrPort once.
func (n *Node) CheckListener(ctx context.Context) error {
	if err := CheckTCP(ctx, n.DataAddrPort()); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	return nil
}

// WaitRPC waits until the target answers RPC, failing early with ErrExited
// if it dies first.
func (n *Node) WaitRPC(ctx context.Context) error {
	what := fmt.Sprintf("node %s's target to answer RPC on %s", n.Name, n.RPCSocket)
	err := waitReady(ctx, what, n.Process.Exited(), func(ctx context.Context) error { _, err := CheckRPC(ctx, n.RPCSocket); return err })
	if err != nil {
		return fmt.Errorf("%w (log %s)", err, n.Process.LogPath())
	}
	return nil
}

// WaitListener waits until DataAddrPort accepts connections; call it once a
// listener has been added over RPC.
func (n *Node) WaitListener(ctx context.Context) error {
	what := fmt.Sprintf("node %s's listener %s to accept connections", n.Name, n.DataAddrPort())
	return waitReady(ctx, what, n.Process.Exited(), func(ctx context.Context) error { return CheckTCP(ctx, n.DataAddrPort()) })
}

// Cluster is a set of local nodes, each able to run one target. Create
// builds it, Destroy removes it; both are safe to call again after a
// failure. Its methods may be called concurrently.
type Cluster struct {
	opts  Options
	mode  Mode
	name  string
	nodes []*Node

	mu    sync.Mutex // guards state
	state State
}

// fallbackOnce makes the loopback fallback notice appear once per process.
var fallbackOnce sync.Once

// netnsAvailable says whether namespaces can be used; a variable so tests
// can see both answers whoever runs them.
var netnsAvailable = netns.Available

// New validates opts and lays out the cluster; nothing is created until
// Create. ModeNetns without root or ip fails here, before anything is made.
func New(opts Options) (*Cluster, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, mode: opts.Mode, name: opts.Prefix + "-" + opts.RunID}
	if err := c.resolveMode(); err != nil {
		return nil, err
	}
	c.state = State{Version: stateVersion, Name: c.name, Mode: c.mode, Target: opts.Target,
		RunDir: opts.RunDir, Processes: map[string]ProcRef{}, Detached: opts.Detached}
	for i, name := range opts.Nodes {
		c.nodes = append(c.nodes, c.layoutNode(i, name))
	}
	return c, nil
}

func (c *Cluster) resolveMode() error {
	avail := netnsAvailable()
	switch {
	case c.mode == ModeNetns && avail != nil:
		return fmt.Errorf("local cluster %s: %w", c.name, avail)
	case c.mode == ModeAuto && avail != nil:
		c.mode = ModeLoopback
		fallbackOnce.Do(func() {
			c.opts.Logger.Warn("nodes run on loopback without network faults", "reason", avail)
		})
	case c.mode == ModeAuto:
		c.mode = ModeNetns
	}
	return nil
}

// layoutNode fixes a node's names and addresses. Loopback ports are
// picked by Create.
func (c *Cluster) layoutNode(i int, name string) *Node {
	n := &Node{Name: name, RPCSocket: socketPath(c.opts.RunDir, name), index: i}
	if c.mode == ModeNetns {
		n.Netns = c.name + "-" + name
		n.hostIf = fmt.Sprintf("%s-%d", c.name, i)
		n.DataAddr = hostAddr(c.opts.Subnet, firstNodeHost+i)
		n.DataPort = c.opts.DataPort
		if c.opts.Target == TargetEmbedded {
			n.RPCAddr = netip.AddrPortFrom(n.DataAddr, DefaultRPCPort)
		}
	} else {
		n.DataAddr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	n.Process = supervisor.New(c.targetSpec(n))
	return n
}

// Name is "<prefix>-<run id>", the start of every name the cluster makes.
func (c *Cluster) Name() string { return c.name }

// Mode is the mode in force (never ModeAuto).
func (c *Cluster) Mode() Mode { return c.mode }

// RunDir is the run directory (absolute).
func (c *Cluster) RunDir() string { return c.opts.RunDir }

// LogDir is where the targets' logs go.
func (c *Cluster) LogDir() string { return filepath.Join(c.opts.RunDir, "logs") }

// Bridge is the bridge's name in ModeNetns, empty otherwise.
func (c *Cluster) Bridge() string {
	if c.mode != ModeNetns {
		return ""
	}
	return c.name + "-br"
}

// HostAddr is the harness's address on the nodes' network: the bridge's
// address in ModeNetns, 127.0.0.1 in ModeLoopback.
func (c *Cluster) HostAddr() netip.Addr {
	if c.mode != ModeNetns {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return hostAddr(c.opts.Subnet, 1)
}

// Nodes lists the nodes in Options order.
func (c *Cluster) Nodes() []*Node { return append([]*Node(nil), c.nodes...) }

// Node finds a node by name.
func (c *Cluster) Node(name string) (*Node, error) {
	for _, n := range c.nodes {
		if n.Name == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("local cluster %s: no node %q", c.name, name)
}

// SweepStale removes what runs registered like this one left behind when
// their harness died without tearing down (kill -9, a crash): target
// processes, namespaces, links, nftables tables and state. Live runs,
// detached ones included, and anything unregistered are left alone (see
// WithDeadRunsOnly). Call it before Create, so no leftover holds a name or
// a subnet this run needs; it returns what it removed.
func (c *Cluster) SweepStale(ctx context.Context) ([]Resource, error) {
	return Sweep(ctx, c.opts.Prefix+"-", WithStateDir(c.opts.StateDir), WithDeadRunsOnly())
}

// Create makes the run directory and, in ModeNetns, the bridge, namespaces
// and veth pairs; it records them in the state file before making them, so
// a crash half-way is still swept. Calling it again finishes or confirms a
// previous Create. Targets are not started: see StartTargets.
func (c *Cluster) Create(ctx context.Context) error {
	if err := os.MkdirAll(c.LogDir(), 0o755); err != nil {
		return fmt.Errorf("local cluster %s: %w", c.name, err)
	}
	if c.mode == ModeNetns {
		if err := checkSubnet(ctx, c.opts.Subnet, c.Bridge()); err != nil {
			return fmt.Errorf("local cluster %s: %w", c.name, err)
		}
	}
	c.mu.Lock()
	c.state.Owner = procRef(os.Getpid())
	c.state.Bridge = c.Bridge()
	c.state.Links, c.state.Namespaces = nil, nil
	for _, n := range c.nodes {
		if n.Netns != "" {
			c.state.Namespaces = append(c.state.Namespaces, n.Netns)
			c.state.Links = append(c.state.Links, n.hostIf)
		}
	}
	err := writeState(c.opts.StateDir, &c.state)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("local cluster %s: %w", c.name, err)
	}
	if c.mode == ModeLoopback {
		return c.pickPorts(ctx)
	}
	return c.createNetwork(ctx)
}

func (c *Cluster) createNetwork(ctx context.Context) error {
	bridgeAddr := netip.PrefixFrom(c.HostAddr(), c.opts.Subnet.Bits())
	if err := createBridge(ctx, c.Bridge(), bridgeAddr); err != nil {
		return fmt.Errorf("local cluster %s: bridge: %w", c.name, err)
	}
	for _, n := range c.nodes {
		addr := netip.PrefixFrom(n.DataAddr, c.opts.Subnet.Bits())
		if err := createNodeNet(ctx, n.Netns, n.hostIf, c.Bridge(), addr); err != nil {
			return fmt.Errorf("local cluster %s: node %s: %w", c.name, n.Name, err)
		}
	}
	c.opts.Logger.Info("local cluster created", "name", c.name, "subnet", c.opts.Subnet, "nodes", len(c.nodes))
	return nil
}

// pickPorts gives each loopback node a port free at this moment. Another
// program may take it before the target listens; the listener then fails
// with a clear error rather than serving the wrong target.
func (c *Cluster) pickPorts(ctx context.Context) error {
	for _, n := range c.nodes {
		if n.DataPort != 0 {
			continue
		}
		var lc net.ListenConfig
		l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("local cluster %s: node %s: pick a port: %w", c.name, n.Name, err)
		}
		n.DataPort = uint16(l.Addr().(*net.TCPAddr).Port)
		_ = l.Close()
	}
	return nil
}

// StartTargets starts every node's target and waits until each answers RPC.
func (c *Cluster) StartTargets(ctx context.Context) error {
	for _, n := range c.nodes {
		if err := c.StartTarget(ctx, n.Name); err != nil {
			return err
		}
	}
	return nil
}

// StartTarget starts one node's target and waits until it answers RPC.
func (c *Cluster) StartTarget(ctx context.Context, node string) error {
	n, err := c.Node(node)
	if err != nil {
		return err
	}
	if pid := n.Process.PID(); pid != 0 {
		return fmt.Errorf("node %s: start: %w (pid %d)", n.Name, supervisor.ErrRunning, pid)
	}
	// A socket left by a killed incarnation would answer nothing; the
	// embedded target replaces it, but nvmf_tgt refuses to start.
	_ = os.Remove(n.RPCSocket)
	_ = os.Remove(n.RPCSocket + ".lock")
	if err := n.Process.Start(ctx); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	return n.WaitRPC(ctx)
}

// recordStart is the supervisor's OnStart hook: it records the new PID so
// a crashed harness's targets can be found and killed.
func (c *Cluster) recordStart(node string, pid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.Processes[node] = procRef(pid)
	if c.opts.Target == TargetSPDK {
		c.state.SPDKPIDs = append(c.state.SPDKPIDs, pid)
	}
	if err := writeState(c.opts.StateDir, &c.state); err != nil {
		c.opts.Logger.Warn("cannot record target pid", "node", node, "pid", pid, "err", err)
	}
}

// Destroy shuts every target down (no more automatic restarts; SIGTERM,
// then SIGKILL after DefaultGrace) and removes namespaces, veth pairs and
// the bridge in reverse order of creation, carrying on past failures. The state file is removed only when
// everything went, so a later Sweep can finish the job. Logs stay.
func (c *Cluster) Destroy(ctx context.Context) error {
	errs := []error{c.stopTargets(ctx)}
	c.mu.Lock()
	errs = append(errs, removeDPDKDirs(c.state.SPDKPIDs))
	c.mu.Unlock()
	if c.mode == ModeNetns {
		errs = append(errs, c.destroyNetwork(ctx))
	}
	for _, n := range c.nodes {
		for _, p := range []string{n.RPCSocket, n.RPCSocket + ".lock"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("local cluster %s: destroy: %w", c.name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := removeState(c.opts.StateDir, &c.state); err != nil {
		return fmt.Errorf("local cluster %s: destroy: %w", c.name, err)
	}
	return nil
}

// stopTargets terminates all targets at once, so Destroy takes one grace
// period rather than one per node.
func (c *Cluster) stopTargets(ctx context.Context) error {
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() {
			if err := n.Process.Shutdown(ctx, DefaultGrace); err != nil {
				errs[i] = fmt.Errorf("node %s: %w", n.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *Cluster) destroyNetwork(ctx context.Context) error {
	var errs []error
	for i := len(c.nodes) - 1; i >= 0; i-- {
		n := c.nodes[i]
		if err := killNamespace(ctx, n.Netns); err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
		}
		if err := netns.DeleteLink(ctx, n.hostIf); err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
		}
	}
	if err := netns.DeleteLink(ctx, c.Bridge()); err != nil {
		errs = append(errs, fmt.Errorf("bridge: %w", err))
	}
	return errors.Join(errs...)
}

// killNamespace kills whatever still runs in a namespace (a namespace with
// processes in it outlives its name) and deletes it.
func killNamespace(ctx context.Context, ns string) error {
	ok, err := netns.HasNamespace(ctx, ns)
	if err != nil || !ok {
		return err
	}
	pids, err := netns.NamespacePIDs(ctx, ns)
	if err != nil {
		return err
	}
	refs := make([]ProcRef, 0, len(pids))
	for _, pid := range pids {
		refs = append(refs, procRef(pid))
	}
	if err := killAll(ctx, refs); err != nil {
		return err
	}
	return netns.DeleteNamespace(ctx, ns)
}

// killTimeout bounds how long killAll waits for processes to die.
const killTimeout = 5 * time.Second
