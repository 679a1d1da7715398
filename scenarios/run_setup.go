package scenarios

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
	"github.com/nvmf-chaos/nvmf-chaos/workloads/nvmeof"
)

// provision starts a target per node and creates every volume on the
// nodes that export it.
func (r *Runner) provision(ctx context.Context) error {
	if err := r.startNodes(ctx); err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	if r.kube != nil && r.kube.claimedVolumes() {
		if r.kube.cfg.Driver == driverSPDKCSI {
			if err := r.kube.deployDriver(ctx); err != nil {
				return fmt.Errorf("provision: %w", err)
			}
		}
		if err := r.kube.createClaims(ctx); err != nil {
			return fmt.Errorf("provision: %w", err)
		}
		return nil
	}
	for _, v := range r.s.Volumes {
		vol, err := r.createVolume(ctx, v)
		if err != nil {
			return fmt.Errorf("provision: %w", err)
		}
		r.vols[v.Name] = vol
		r.logf("volume %s: %s on %d node(s), %s backing", v.Name, vol.NQN, len(vol.Paths), vol.Backing)
	}
	for name, n := range r.nodes {
		n.mu.Lock()
		n.reprovision = r.reprovisioner(name)
		n.exports = len(r.volumesOn(name, "")) > 0
		n.mu.Unlock()
		if err := n.waitListener(ctx); err != nil {
			return fmt.Errorf("provision: %w", err)
		}
	}
	return nil
}

// createVolume provisions a scenario volume. An unshared multi-node volume
// (shared: false) is made node by node, each with its own backing file,
// then described as one volume: the broken dual-controller setup whose
// failover loses writes.
func (r *Runner) createVolume(ctx context.Context, v Volume) (*volume.Volume, error) {
	spec, err := r.volumeSpec(v)
	if err != nil {
		return nil, fmt.Errorf("volume %s: %w", v.Name, err)
	}
	if v.Shared == nil || *v.Shared || len(spec.Paths) < 2 {
		return volume.Create(ctx, spec)
	}
	var whole *volume.Volume
	for _, p := range spec.Paths {
		one := spec
		one.Paths = []volume.Path{p}
		one.FilePath = r.backingFile(v.Name + "-" + p.Node)
		vol, err := volume.Create(ctx, one)
		if err != nil {
			return nil, err
		}
		r.ownFile(one.FilePath)
		r.ownFiles[v.Name+"/"+p.Node] = one.FilePath
		if whole == nil {
			whole = vol
			continue
		}
		whole.Paths = append(whole.Paths, p)
	}
	return whole, nil
}

// volumeSpec turns a scenario volume into a provisioning spec with a
// listener on each exporting node.
func (r *Runner) volumeSpec(v Volume) (volume.Spec, error) {
	spec := volume.Spec{Name: v.Name, RunID: r.opts.RunID, Size: int64(v.Size), Backing: backingOf(v)}
	if spec.Backing == volume.File {
		spec.FilePath = r.backingFile(v.Name)
		spec.FileOnTarget = r.targetsInPods()
		r.ownFile(spec.FilePath)
	}
	for i, f := range r.s.Timeline.Faults {
		if slices.Contains(v.Nodes, f.Node) && (f.Volume == "" || f.Volume == v.Name) {
			need := r.faults[i].Stack
			spec.Delay = spec.Delay || need.Delay
			spec.Errors = spec.Errors || need.Errors
		}
	}
	for _, node := range v.Nodes {
		n := r.nodes[node]
		addr, err := listenerAddr(n)
		if err != nil {
			return spec, err
		}
		spec.Paths = append(spec.Paths, volume.Path{Node: node, RPC: n.RPC(), Addr: addr,
			ANA: anaName(v.ANA[node])})
	}
	return spec, nil
}

// fileBacked says whether a volume lives in a file.
func (r *Runner) fileBacked(v Volume) bool { return backingOf(v) == volume.File }

// backingOf is what a volume lives in: what it says, else a file when
// several nodes share it (two controllers of one namespace), else memory.
func backingOf(v Volume) volume.Backing {
	switch {
	case v.Backing != "":
		return volume.Backing(v.Backing)
	case len(v.Nodes) > 1:
		return volume.File
	}
	return volume.Malloc
}

// ownFile records a backing file the run made, for teardown to remove; on
// Kubernetes the files live on the nodes and the janitor pods remove them.
func (r *Runner) ownFile(path string) {
	if !r.targetsInPods() {
		r.files = append(r.files, path)
	}
}

// reprovisioner restores a restarted node's share of every volume, at
// the node's listener address, so hosts reconnect where they were (an
// SPDK target pod listens at its pod's address, new with each pod: the
// volume's path takes it, for the RPC faults after).
func (r *Runner) reprovisioner(node string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		addr, addrErr := listenerAddr(r.nodes[node])
		for _, v := range r.vols {
			for i := range v.Paths {
				if v.Paths[i].Node != node {
					continue
				}
				if addrErr == nil {
					v.Paths[i].Addr = addr
				}
				p := v.Paths[i]
				spec := v.Spec
				p.RPC = r.nodes[node].RPC()
				spec.Paths = []volume.Path{p}
				if f, ok := r.ownFiles[v.Name+"/"+node]; ok {
					spec.FilePath = f // an unshared volume's own copy
				}
				if _, err := volume.Create(ctx, spec); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// buildFaults binds each timeline fault to its node (and volumes).
func (r *Runner) buildFaults() ([]faults.Timed, error) {
	warmup := r.s.Timeline.Warmup.D()
	var items []faults.Timed
	for i, ev := range r.s.Timeline.Faults {
		f, err := r.buildFault(ev, r.faults[i])
		if err != nil {
			return nil, fmt.Errorf("timeline.faults[%d] %s on %s: %w", i, ev.Kind, ev.Node, err)
		}
		t := faults.Timed{Fault: f, Kind: faults.Kind(ev.Kind), Node: ev.Node, At: warmup + ev.At.D(), Duration: ev.Duration.D()}
		if ev.Repeat != nil {
			t.Repeat = faults.Repeat{Count: ev.Repeat.Count, Every: ev.Repeat.Every.D()}
		}
		t.Delays = jitterDelays(r.seed, i, ev)
		items = append(items, t)
	}
	return items, nil
}

// jitterDelays draws each firing's delay in [0, jitter] at millisecond
// resolution from the seed and the fault's index, so a seed replays the
// same fault times and adding a fault does not move the others.
func jitterDelays(seed int64, index int, ev FaultEvent) []time.Duration {
	j := ev.Jitter.D().Milliseconds()
	if j <= 0 {
		return nil
	}
	count := 1
	if ev.Repeat != nil {
		count = max(ev.Repeat.Count, 1)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(index)))
	out := make([]time.Duration, count)
	for c := range out {
		out[c] = time.Duration(rng.Int64N(j+1)) * time.Millisecond
	}
	return out
}

// buildFault builds a timeline fault from its parsed params, with the
// engine that injects it here.
func (r *Runner) buildFault(ev FaultEvent, cfg catalog.Config) (faults.Fault, error) {
	n := r.nodes[ev.Node]
	switch {
	case n == nil && r.s.Cluster.storageClassOnly():
		n = &runNode{} // driver-kill, of a driver outside the run: no node of ours
	case n == nil:
		return nil, fmt.Errorf("no node %q", ev.Node)
	}
	if cfg.PerVolume() {
		return cfg.BuildRPC(r.rpcVolumes(n, r.volumesOn(ev.Node, ev.Volume)), ev.Duration.D())
	}
	if r.kube != nil {
		return r.kube.kubeFault(ev, cfg, n)
	}
	return cfg.BuildLocal(r.faultNode(n), ev.Duration.D())
}

// volumesOn lists the volumes a node exports (only one when named).
func (r *Runner) volumesOn(node, only string) []*volume.Volume {
	var out []*volume.Volume
	for _, v := range r.vols {
		if _, ok := v.Addr(node); ok && (only == "" || only == v.Name) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *volume.Volume) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// rpcVolumes are a node's share of vols as the target-RPC faults act on
// them: its listener of each, and the bdevs in front of the backing.
func (r *Runner) rpcVolumes(n *runNode, vols []*volume.Volume) []catalog.Volume {
	out := make([]catalog.Volume, 0, len(vols))
	for _, v := range vols {
		addr, _ := v.Addr(n.name)
		var ana string
		for _, p := range v.Paths {
			if p.Node == n.name {
				ana = p.ANA
			}
		}
		out = append(out, catalog.Volume{L: rpcfault.Listener{Node: n.name, RPC: nodeRPC{n}, NQN: v.NQN, Addr: addr, ANA: ana},
			DelayBdev: v.DelayBdev(), ErrorBdev: v.ErrorBdev()})
	}
	return out
}

// workloads opens each workload's device and prepares its engine: the
// warmup is fio's ramp_time, the measured duration its runtime. Once every
// device is open it starts the run's clock (r.start), as the Kubernetes
// backend does once its workers are connected: the timeline's faults count
// from there, so a slow provisioning or connect (seconds on a loaded
// machine) cannot fire a fault before the workloads run, which read a
// calibrated pause as no pause at all.
func (r *Runner) workloads(ctx context.Context) ([]*workloads.Engine, error) {
	devs := make([]workloads.Device, 0, len(r.s.Workloads))
	jobsOf := make([][]workloads.Job, 0, len(r.s.Workloads))
	closeAll := func() {
		for _, d := range devs {
			_ = d.Close()
		}
	}
	for wi, w := range r.s.Workloads {
		jobs, err := r.jobsOf(wi, w)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		t := r.target(r.vols[w.Volume])
		dev, err := nvmeof.OpenTarget(ctx, t, workloads.OpenOptionsFor(jobs))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		devs, jobsOf = append(devs, dev), append(jobsOf, jobs)
		if src, ok := dev.(nvmeof.PathEventSource); ok {
			r.pathSources = append(r.pathSources, pathSource{volume: w.Volume, src: src})
		}
		r.logf("workload %s: %s", w.Name, t.URL())
	}
	r.start = time.Now()
	engines := make([]*workloads.Engine, 0, len(devs))
	for i, w := range r.s.Workloads {
		e, err := workloads.NewEngine(devs[i], jobsOf[i], r.engineOptions(w)...)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		engines = append(engines, e)
	}
	return engines, nil
}

// jobsOf builds workload wi's jobs and puts them on the run's timeline
// and seed.
func (r *Runner) jobsOf(wi int, w Workload) ([]workloads.Job, error) {
	var jobs []workloads.Job
	if w.Fio != "" {
		var err error
		// The workload's volume is the target, whatever the file names.
		if jobs, err = workloads.ParseFioFile(w.Fio, workloads.WithTarget("")); err != nil {
			return nil, err
		}
		if err := workloads.CheckConcurrent(jobs); err != nil {
			return nil, err
		}
	} else {
		j, err := JobOf(w)
		if err != nil {
			return nil, err
		}
		jobs = []workloads.Job{j}
	}
	for i := range jobs {
		j := &jobs[i]
		j.StartDelay, j.RampTime, j.Runtime = jobClock(r.s.Timeline, w)
		j.TimeBased = true
		j.RandSeed = jobSeed(r.seed, wi, i)
		j.Target = ""
	}
	return jobs, nil
}

// jobClock puts a workload's jobs on the timeline: a workload that starts
// with the run warms up with it (the warmup is fio's ramp_time); one that
// starts late waits for warmup plus its startdelay (fio's startdelay) and
// measures from its first I/O, since it is the newcomer whose effect on
// the others is measured. Either runs for its runtime, or to the end.
func jobClock(t Timeline, w Workload) (startDelay, rampTime, runtime time.Duration) {
	runtime = t.Duration.D() - w.StartDelay.D()
	if w.Runtime > 0 {
		runtime = w.Runtime.D()
	}
	if w.StartDelay > 0 {
		return t.Warmup.D() + w.StartDelay.D(), 0, runtime
	}
	return 0, t.Warmup.D(), runtime
}

// jobSeed is the random seed of job i of workload wi: reproducible from
// the scenario's seed, and different for every job of every workload so
// two workloads do not replay the same offset sequence. Workload 0 keeps
// seed+i, the seeds runs recorded before workloads were told apart.
func jobSeed(seed int64, wi, i int) uint64 {
	const golden = 0x9E3779B97F4A7C15 // spreads workload indexes over the seed space
	return uint64(seed) + uint64(wi)*golden + uint64(i)
}

// target is how the host reaches a volume: its paths, with the scenario's
// host settings. A volume on several nodes is multipath: every path is
// listed and the host picks among them by ANA state.
func (r *Runner) target(v *volume.Volume) nvmeof.Target {
	t := nvmeof.Target{NQN: v.NQN, NSID: v.NSID}
	for _, p := range v.Paths {
		t.Addrs = append(t.Addrs, r.hostAddr(p.Node, p.Addr))
	}
	h := r.s.Host
	t.Host = nvmeof.Host{KATO: h.KATO.D(), IOTimeout: h.IOTimeout.D(), IOQueues: h.NrIOQueues, QueueSize: h.QueueSize,
		HeaderDigest: h.HeaderDigest, DataDigest: h.DataDigest}
	if len(t.Addrs) > 1 {
		t.Host.ReconnectDelay, t.Host.CtrlLossTmo, t.Host.FastIOFailTmo = h.ReconnectDelay.D(), h.CtrlLossTmo.D(), h.FastIOFailTmo.D()
		t.Host.Policy = h.Policy
	}
	return t
}

// targetURL is a volume's target as text, for worker pods and
// `provision` output, which take it as a URL.
func (r *Runner) targetURL(v *volume.Volume) string { return r.target(v).URL() }
