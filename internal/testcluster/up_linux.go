package testcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/ociimage"
)

// Options configure Up.
type Options struct {
	Layout Layout
	// Nodes is the node count, 1 to MaxNodes.
	Nodes int
	// Images are image tarballs to import into every node's containerd;
	// the sandbox image (SandboxImage) must be among them.
	Images []string
	// ProbeImage runs a short probe pod on each node once the nodes are
	// Ready; its ProbeArgs must exit 0.
	ProbeImage string
	ProbeArgs  []string
	// ChaosMesh installs Chaos Mesh's CRDs and runs its controller once
	// the nodes are Ready (see startChaosMesh); it needs
	// scripts/k8s/build-chaos-mesh.sh's output in the cache.
	ChaosMesh bool
	// Out receives progress lines.
	Out io.Writer
}

// Up starts the cluster and waits until every node is Ready and a probe
// pod has run on each. A cluster already up is left as it is. A crashed
// or half-started one is torn down first. If Up fails, it tears down what
// it started and keeps the logs under Cache/failed-logs.
func Up(ctx context.Context, o Options) (err error) {
	l := o.Layout
	if o.Nodes < 1 || o.Nodes > MaxNodes {
		return fmt.Errorf("nodes: %d is not between 1 and %d", o.Nodes, MaxNodes)
	}
	if err := Preflight(l, o.Images, o.ChaosMesh); err != nil {
		return err
	}
	if up, err := alreadyUp(ctx, o); up || err != nil {
		return err
	}
	t0 := time.Now()
	st, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		keepLogs(l, o.Out)
		if derr := Down(context.WithoutCancel(ctx), l, o.Out); derr != nil {
			err = fmt.Errorf("%w\n(teardown after the failure: %v)", err, derr)
		}
	}()
	if err := startAll(ctx, o, st); err != nil {
		return err
	}
	if err := waitWorkload(ctx, o, st); err != nil {
		return err
	}
	if o.ChaosMesh {
		if err := startChaosMesh(ctx, o, st); err != nil {
			return err
		}
	}
	st.Ready = true
	if err := st.save(l); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "test cluster up: %d node(s) Ready in %.1f s\nkubeconfig: %s\n", o.Nodes, time.Since(t0).Seconds(), l.Kubeconfig())
	return nil
}

// alreadyUp reports whether a healthy cluster is running (saying so), and
// tears down a crashed one or leftovers of one.
func alreadyUp(ctx context.Context, o Options) (bool, error) {
	l := o.Layout
	st, err := loadState(l)
	switch {
	case errors.Is(err, ErrNoCluster):
		if len(leftovers(ctx)) == 0 {
			return false, nil
		}
		fmt.Fprintf(o.Out, "found leftovers of a test cluster (%s); removing them first\n", strings.Join(leftovers(ctx), ", "))
	case err != nil:
		return false, err
	default:
		dead := deadProcs(st)
		if st.Ready && len(dead) == 0 {
			if len(st.Nodes) != o.Nodes {
				return true, fmt.Errorf("the test cluster is up with %d node(s), not %d: make k8s-down first to change NODES", len(st.Nodes), o.Nodes)
			}
			if o.ChaosMesh && !st.ChaosMesh {
				return true, fmt.Errorf("the test cluster is up without Chaos Mesh: make k8s-down first to add it")
			}
			fmt.Fprintf(o.Out, "test cluster already up: %d node(s) since %s\nkubeconfig: %s\n", len(st.Nodes), st.Started.Format(time.RFC3339), l.Kubeconfig())
			return true, nil
		}
		fmt.Fprintf(o.Out, "found a crashed or half-started test cluster (not running: %s); tearing it down first\n", strings.Join(dead, ", "))
	}
	return false, Down(ctx, l, o.Out)
}

func deadProcs(st *State) []string {
	var dead []string
	for _, p := range st.Procs {
		if !p.Alive() {
			dead = append(dead, p.Component)
		}
	}
	if len(st.Procs) == 0 {
		dead = append(dead, "every component")
	}
	return dead
}

// leftovers names what a cluster whose state is gone left: its network
// namespaces and links.
func leftovers(ctx context.Context) []string {
	var out []string
	links, _ := rootLinks(ctx)
	for _, x := range links {
		if strings.HasPrefix(x, namePrefix+"-") {
			out = append(out, "link "+x)
		}
	}
	return out
}

// prepare records the machine's state, then makes the network, PKI and
// configuration files.
func prepare(ctx context.Context, o Options) (*State, error) {
	l := o.Layout
	before, err := TakeSnapshot(ctx, l)
	if err != nil {
		return nil, fmt.Errorf("recording the machine's state: %w", err)
	}
	st := &State{Started: time.Now(), Sysctls: readSysctls(), CreatedPaths: missingPaths(fixedHostPaths), Before: before, ChaosMesh: o.ChaosMesh}
	for i := range o.Nodes {
		st.Nodes = append(st.Nodes, nodeAt(i))
	}
	if err := st.save(l); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Out, "network: bridge %s, %d node namespace(s), addresses in %s\n", bridgeName, o.Nodes, clusterNet)
	if err := createNetwork(ctx, st.Nodes); err != nil {
		return st, teardownAfter(ctx, l, o.Out, err)
	}
	steps := []func() error{
		func() error { return writePKI(l, st.Nodes) },
		func() error { return writeKubeconfigs(l, st.Nodes) },
	}
	for _, n := range st.Nodes {
		steps = append(steps,
			func() error { return writeNodeConfigs(l, n) },
			func() error { return createCgroupRoot(n) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return st, teardownAfter(ctx, l, o.Out, err)
		}
	}
	return st, nil
}

func teardownAfter(ctx context.Context, l Layout, out io.Writer, err error) error {
	if derr := Down(context.WithoutCancel(ctx), l, out); derr != nil {
		return fmt.Errorf("%w\n(teardown after the failure: %v)", err, derr)
	}
	return err
}

// startAll starts the control plane, then each node's containerd (with the
// images imported), kubelet and kube-proxy, waiting for each to be healthy.
func startAll(ctx context.Context, o Options, st *State) error {
	l := o.Layout
	cp := st.Nodes[0]
	checks := healthChecks(l, cp)
	for _, c := range controlPlane(l, cp) {
		if err := startAndWait(ctx, o, st, c, checks[c.name], time.Minute); err != nil {
			return err
		}
	}
	for _, n := range st.Nodes {
		ctrd := containerdOf(l, n)
		if err := startAndWait(ctx, o, st, ctrd, containerdReady(l, n), 30*time.Second); err != nil {
			return err
		}
		loader := ociimage.Loader{Ctr: l.Bin("ctr"), Address: l.containerdSocket(n)}
		for _, img := range o.Images {
			if _, err := loader.Load(ctx, img); err != nil {
				return fmt.Errorf("node %s: importing %s: %w", n.Name, filepath.Base(img), err)
			}
		}
		fmt.Fprintf(o.Out, "  %s: %d image(s) imported\n", n.Name, len(o.Images))
		for _, c := range []component{kubeletOf(l, n), kubeProxyOf(l, n)} {
			if err := startAndWait(ctx, o, st, c, checks[strings.TrimSuffix(c.name, "-"+n.Name)], time.Minute); err != nil {
				return err
			}
		}
	}
	return nil
}

// startAndWait starts c, records it, and waits until check passes. A
// component that exits meanwhile fails at once with its last log lines.
func startAndWait(ctx context.Context, o Options, st *State, c component, check func(context.Context, Node) error, timeout time.Duration) error {
	t0 := time.Now()
	p, err := start(o.Layout, c)
	if p != nil {
		st.Procs = append(st.Procs, p)
		if serr := st.save(o.Layout); serr != nil {
			return serr
		}
	}
	if err != nil {
		return failure(o.Layout, c.name, err)
	}
	if check == nil {
		fmt.Fprintf(o.Out, "  %s started (pid %d)\n", c.name, p.PID)
		return nil
	}
	node := st.Nodes[0]
	for _, n := range st.Nodes {
		if c.netns == n.Netns {
			node = n
		}
	}
	if err := waitHealthy(ctx, c.name, p, timeout, func(ctx context.Context) error { return check(ctx, node) }); err != nil {
		return failure(o.Layout, c.name, err)
	}
	fmt.Fprintf(o.Out, "  %s ready in %.1f s (pid %d)\n", c.name, time.Since(t0).Seconds(), p.PID)
	return nil
}

// waitHealthy polls check until it passes, the process exits or timeout.
func waitHealthy(ctx context.Context, what string, p *Proc, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if p != nil && !p.Alive() {
			return fmt.Errorf("process %d exited", p.PID)
		}
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s not ready after %s: %w", what, timeout, last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// keepLogs copies the logs of a failed start to Cache/failed-logs, which
// outlives the teardown.
func keepLogs(l Layout, out io.Writer) {
	dst := filepath.Join(l.Cache, "failed-logs")
	_ = os.RemoveAll(dst)
	if err := os.CopyFS(dst, os.DirFS(l.LogDir())); err == nil {
		fmt.Fprintf(out, "logs of the failed start kept in %s\n", dst)
	}
}
