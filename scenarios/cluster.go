package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/provision/supervisor"
)

// Target kinds a scenario's cluster.target names.
const (
	targetEmbedded = "embedded"
	targetSPDK     = "spdk"
	targetExternal = "external"
)

// targetKind is the scenario's target kind, embedded by default.
func (r *Runner) targetKind() string {
	if t := r.s.Cluster.Target; t != "" {
		return t
	}
	return targetEmbedded
}

// newCluster lays out the local cluster the scenario's targets run on;
// nothing is created yet. External targets need none.
func (r *Runner) newCluster() error {
	kind := r.targetKind()
	if kind == targetExternal {
		return nil
	}
	opts := cluster.Options{Nodes: r.s.Cluster.Nodes, RunDir: r.opts.Dir, RunID: r.opts.RunID, Mode: r.opts.Mode, Detached: r.opts.Detached,
		Logger: slog.New(slog.NewTextHandler(progressWriter{r}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	switch r.s.Cluster.Restart {
	case "on-failure":
		opts.Restart = supervisor.RestartOnFailure
	case "always":
		opts.Restart = supervisor.RestartAlways
	}
	switch kind {
	case targetEmbedded:
		opts.Target, opts.Binary = cluster.TargetEmbedded, r.opts.Binary
		opts.TargetArgs = []string{"--log-level", "info"}
	case targetSPDK:
		opts.Target, opts.Binary = cluster.TargetSPDK, r.s.Cluster.SPDKBin
		if opts.Binary == "" {
			return errors.New("cluster.target spdk: no nvmf_tgt: set cluster.spdk_bin or pass --spdk-bin PATH")
		}
	default:
		return fmt.Errorf("cluster.target %q: want embedded, spdk or external", kind)
	}
	c, err := cluster.New(opts)
	if err != nil {
		return err
	}
	r.cluster = c
	return nil
}

// progressWriter sends the cluster's warnings (the loopback fallback
// notice) to the run's progress output.
type progressWriter struct{ r *Runner }

func (w progressWriter) Write(p []byte) (int, error) {
	w.r.logf("%s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// checkFaultsFit refuses, before anything starts, faults this machine
// cannot inject: network faults without namespaces, kinds whose tools are
// missing. What the scenario alone rules out, validation has refused.
func (r *Runner) checkFaultsFit() error {
	netns := r.cluster != nil && r.cluster.Mode() == cluster.ModeNetns
	for i, f := range r.s.Timeline.Faults {
		cfg := r.faults[i]
		where := fmt.Sprintf("timeline.faults[%d] (%s on %s)", i, f.Kind, f.Node)
		if cfg.NeedsRoot && !netns {
			return fmt.Errorf("%s: needs network namespaces (root and iproute2); nodes run on loopback here", where)
		}
		if err := cfg.LocalNeeds(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

// startNodes creates the cluster, starts every node's target and connects
// to its management RPC; external nodes are only connected to.
func (r *Runner) startNodes(ctx context.Context) error {
	if r.kube != nil {
		return r.kube.startNodes(ctx)
	}
	if r.cluster == nil {
		return r.connectExternal(ctx)
	}
	r.sweepStale(ctx)
	if err := r.cluster.Create(ctx); err != nil {
		return err
	}
	if err := r.cluster.StartTargets(ctx); err != nil {
		return err
	}
	for _, cn := range r.cluster.Nodes() {
		n := &runNode{name: cn.Name, mgmt: cn.MgmtRPC(), dataAddr: cn.DataAddrPort().String(),
			node: cn, cluster: r.cluster}
		r.nodes[cn.Name] = n
		n.seen = cn.Process.Starts()
		if err := n.connect(ctx); err != nil {
			return err
		}
		where := "loopback"
		if cn.Netns != "" {
			where = "netns " + cn.Netns
		}
		r.logf("node %s: %s target pid %d in %s, data %s, rpc %s", cn.Name, r.targetKind(), n.PID(), where, n.dataAddr, n.mgmt)
	}
	return r.startProxies(ctx)
}

// sweepStale removes what killed runs left behind, saying what, so this
// run never meets their names or subnets. A failed sweep is reported, not
// fatal: what it could not remove may well not be in the way.
func (r *Runner) sweepStale(ctx context.Context) {
	found, err := r.cluster.SweepStale(ctx)
	for _, res := range found {
		r.logf("swept a leftover of a run whose harness is gone: %s", res)
	}
	if err != nil {
		r.logf("sweeping leftovers of dead runs: %v (`nvmf-chaos cleanup` removes them)", err)
	}
}

// connectExternal reaches already running targets at the scenario's RPC
// addresses; their listeners go on cluster.listen.
func (r *Runner) connectExternal(ctx context.Context) error {
	for _, name := range r.s.Cluster.Nodes {
		n := &runNode{name: name, mgmt: r.s.Cluster.RPC[name], dataAddr: r.s.Cluster.Listen[name]}
		r.nodes[name] = n
		if err := n.connect(ctx); err != nil {
			return err
		}
		r.logf("node %s: external target, data %s, rpc %s", name, n.dataAddr, n.mgmt)
	}
	return r.startProxies(ctx)
}

// startProxies puts a delaying proxy between the host and each node a
// fault acting through one targets (latency: the kernel here has no
// netem).
func (r *Runner) startProxies(ctx context.Context) error {
	for i, f := range r.s.Timeline.Faults {
		n := r.nodes[f.Node]
		if !r.faults[i].LocalProxy || n == nil || n.proxy != nil {
			continue
		}
		p, err := local.NewProxy(ctx, "127.0.0.1:0", n.dataAddr)
		if err != nil {
			return fmt.Errorf("node %s: %s proxy: %w", n.name, f.Kind, err)
		}
		n.proxy = p
		r.logf("node %s: host reaches it through latency proxy %s", n.name, p.Addr())
	}
	return nil
}

// stopNodes closes the nodes' clients and proxies and destroys the
// cluster: processes, namespaces, links, sockets.
func (r *Runner) stopNodes() {
	for _, n := range r.nodes {
		n.close()
	}
	if r.cluster == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.cluster.Destroy(ctx); err != nil {
		r.logf("teardown: %v (run `nvmf-chaos cleanup` to finish)", err)
	}
}

// faultNode is what the local fault engine needs to know of a node.
func (r *Runner) faultNode(n *runNode) *local.Node {
	fn := &local.Node{NodeNet: local.NodeNet{RunID: r.opts.RunID, Node: n.name}, Target: n}
	if n.proxy != nil {
		fn.Proxy = n.proxy
	}
	cn := n.node
	if cn == nil || cn.Netns == "" {
		return fn
	}
	fn.Netns = cn.Netns
	fn.Host = r.cluster.HostAddr()
	fn.DataPorts = []uint16{cn.DataPort}
	if cn.RPCAddr.IsValid() {
		fn.RPCPorts = []uint16{cn.RPCAddr.Port()}
	}
	fn.Links = []local.Link{{Netns: cn.Netns, Dev: cn.NodeLink()}, {Dev: cn.HostLink()}}
	return fn
}

// hostAddr is where the host connects for a volume path on node: the
// node's proxy when it has one, its Service on Kubernetes, else the
// listener.
func (r *Runner) hostAddr(node, listener string) string {
	if n := r.nodes[node]; n != nil && n.proxy != nil {
		return n.proxy.Addr()
	}
	if r.kube != nil {
		if a := r.kube.dataAddr(node); a != "" {
			return a // the target pod's Service
		}
	}
	return listener
}

// targetVersion asks the first node's target for its version.
func (r *Runner) targetVersion(ctx context.Context) string {
	for _, name := range r.s.Cluster.Nodes {
		if n := r.nodes[name]; n != nil && n.RPC() != nil {
			if v, err := n.RPC().SpdkGetVersion(ctx); err == nil {
				return v.Version
			}
		}
	}
	return ""
}

// saveRPCState writes each node's nvmf_get_subsystems and bdev_get_bdevs
// to rpc-state/<label>-<node>.json: what the targets looked like before
// and after the faults, for whoever reads the run later. A node that does
// not answer gets its error recorded instead.
func (r *Runner) saveRPCState(ctx context.Context, label string) {
	dir := filepath.Join(r.opts.Dir, "rpc-state")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.logf("rpc state: %v", err)
		return
	}
	names := make([]string, 0, len(r.nodes))
	for name := range r.nodes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		state := map[string]any{"node": name, "rpc": r.nodes[name].mgmt}
		for _, m := range []string{"nvmf_get_subsystems", "bdev_get_bdevs"} {
			state[m] = r.rpcDump(ctx, r.nodes[name], m)
		}
		b, _ := json.MarshalIndent(state, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, label+"-"+name+".json"), append(b, '\n'), 0o644); err != nil {
			r.logf("rpc state: %v", err)
		}
	}
}

func (r *Runner) rpcDump(ctx context.Context, n *runNode, method string) any {
	c := n.RPC()
	if c == nil {
		return map[string]string{"error": "no RPC connection"}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var out json.RawMessage
	if err := c.Call(ctx, method, nil, &out); err != nil {
		return map[string]string{"error": err.Error()}
	}
	return out
}

// listenerAddr is the listener a node's volumes use: the node's data
// address, or a free loopback port for an external node without one.
func listenerAddr(n *runNode) (string, error) {
	if n.dataAddr != "" {
		if _, err := netip.ParseAddrPort(n.dataAddr); err != nil {
			return "", fmt.Errorf("node %s: listener %q: want ip:port", n.name, n.dataAddr)
		}
		return n.dataAddr, nil
	}
	return "", fmt.Errorf("node %s: no listener address (cluster.listen)", n.name)
}

// restartPoll is how often the runner looks for targets its supervisor
// restarted after a crash.
const restartPoll = 50 * time.Millisecond

// watchRestarts re-provisions nodes whose target the supervisor restarted
// by policy (cluster.restart) until ctx ends: a restarted target comes back
// empty, as nvmf_tgt does. The returned func stops the watch and waits.
func (r *Runner) watchRestarts(ctx context.Context) (stop func()) {
	if r.cluster == nil || r.s.Cluster.Restart == "" || r.s.Cluster.Restart == "never" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(restartPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, n := range r.nodes {
				if ok, err := n.restartedByPolicy(ctx); ok {
					r.logf("node %s: target restarted by restart policy %s (pid %d), re-provisioned: %v", n.name, r.s.Cluster.Restart, n.PID(), errOrOK(err))
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func errOrOK(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}
