package scenarios

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
	"github.com/nvmf-chaos/nvmf-chaos/workloads/nvmeof"
)

// RunOptions configure a Runner.
type RunOptions struct {
	// Binary is the nvmf-chaos executable that runs embedded targets.
	Binary string
	// Dir is the run's folder: target sockets, logs and backing files.
	Dir string
	// RunID names everything the run creates (default: random).
	RunID string
	// Progress receives one line per phase and fault event; nil is silent.
	Progress io.Writer
	// Mode picks the local cluster's node mode: network namespaces when
	// root (the default, falling back to loopback with a notice), or
	// loopback only.
	Mode cluster.Mode
	// Detached marks the cluster as left running on purpose (`provision
	// --detach`), so a plain `nvmf-chaos cleanup` tears it down.
	Detached bool
	// Live, when set, receives intervals, fault and path events as they
	// happen (see Live).
	Live Live
	// Source names the scenario in validation errors: its file, or
	// builtin:NAME (default: "scenario NAME").
	Source string
	// Kubeconfig and KubeContext override the scenario's
	// cluster.kubernetes settings (run's --kubeconfig and --context).
	Kubeconfig, KubeContext string
}

// Runner runs one scenario on the local embedded backend: provision →
// warmup → baseline → faults → recovery → verify → teardown. Teardown always
// runs, whatever failed, so no process, socket or volume outlives the run.
type Runner struct {
	s     *Scenario
	opts  RunOptions
	start time.Time
	seed  int64

	// faults are the timeline's faults with their params parsed, by
	// index: validation (preflight) reads them, the builders take them.
	faults  []catalog.Config
	cluster *cluster.Cluster // nil for external targets and on Kubernetes
	kube    *kubeBackend     // set on the kubernetes backend
	nodes   map[string]*runNode
	vols    map[string]*volume.Volume
	files   []string // backing files the run made
	// ownFiles are the per-node backing files of unshared volumes, by
	// "volume/node", which a restarted node must reopen.
	ownFiles map[string]string

	pathSources []pathSource
	// remotePathEvents and remoteWorkers come from the worker pods of a
	// Kubernetes run.
	remotePathEvents []reports.PathEvent
	remoteWorkers    []reports.WorkerInfo
}

// pathSource is a multipath workload device and the volume it reaches.
type pathSource struct {
	volume string
	src    nvmeof.PathEventSource
}

// NewRunner prepares a run of a validated scenario.
func NewRunner(s *Scenario, opts RunOptions) *Runner {
	if opts.RunID == "" {
		opts.RunID = fmt.Sprintf("%06x", rand.Uint32()&0xFFFFFF)
	}
	seed := s.Seed
	if seed == 0 {
		seed = rand.Int64N(1 << 40)
	}
	return &Runner{s: s, opts: opts, seed: seed, nodes: map[string]*runNode{}, ownFiles: map[string]string{}, vols: map[string]*volume.Volume{}}
}

// RunID is the run's identifier, part of every name it creates.
func (r *Runner) RunID() string { return r.opts.RunID }

// Seed is the seed the run uses (the scenario's, or one picked and printed).
func (r *Runner) Seed() int64 { return r.seed }

func (r *Runner) logf(format string, a ...any) {
	if r.opts.Progress == nil {
		return
	}
	at := time.Duration(0)
	if !r.start.IsZero() {
		at = time.Since(r.start).Truncate(time.Millisecond)
	}
	fmt.Fprintf(r.opts.Progress, "[%8v] %s\n", at, fmt.Sprintf(format, a...))
}

// Run executes the scenario and returns its record with metrics and SLO
// verdicts. An error means the scenario could not run; the returned Result
// then carries RunError and whatever was recorded.
func (r *Runner) Run(ctx context.Context) (*reports.Result, error) {
	res := r.newResult()
	if err := r.preflight(ctx); err != nil {
		res.RunError = err.Error()
		return res, err
	}
	if err := os.MkdirAll(r.opts.Dir, 0o755); err != nil {
		res.RunError = err.Error()
		return res, fmt.Errorf("run folder: %w", err)
	}
	r.start = time.Now()
	res.StartedAt = r.start
	defer r.teardown()
	err := r.run(ctx, res)
	res.EndNs = int64(time.Since(r.start))
	if err != nil {
		res.RunError = err.Error()
		return res, err
	}
	if err := reports.Finish(res, r.slos(), reports.DefaultOptions()); err != nil {
		res.RunError = err.Error()
		return res, fmt.Errorf("judge %s: %w", r.s.Metadata.Name, err)
	}
	return res, nil
}

// preflight refuses what this runner cannot do before anything starts:
// whatever validation refuses (the same code, so a scenario built in Go
// meets the rules of a file), a missing binary, faults this machine cannot
// inject, a cluster that is unreachable or forbids what the run does.
func (r *Runner) preflight(ctx context.Context) error {
	cfgs, err := validate(r.s, cmp.Or(r.opts.Source, "scenario "+r.s.Metadata.Name))
	if err != nil {
		return err
	}
	r.faults = cfgs
	c := r.s.Cluster
	switch {
	case c.Backend == backendKubernetes:
		k, err := newKubeBackend(ctx, r)
		if err != nil {
			return err
		}
		r.kube = k
		return nil
	case c.Backend != "" && c.Backend != "local":
		return fmt.Errorf("cluster.backend %q: want local or kubernetes", c.Backend)
	case r.opts.Binary == "" && r.targetKind() == targetEmbedded:
		return errors.New("runner: no nvmf-chaos binary to start targets with")
	}
	if err := r.newCluster(); err != nil {
		return err
	}
	return r.checkFaultsFit()
}

func (r *Runner) run(ctx context.Context, res *reports.Result) error {
	if err := r.provision(ctx); err != nil {
		return err
	}
	res.Environment.Target.Version = r.targetVersion(ctx)
	if r.cluster != nil {
		res.Environment.Target.Nodes = string(r.cluster.Mode())
	}
	r.saveRPCState(ctx, "before-faults")
	defer r.saveRPCState(context.WithoutCancel(ctx), "after-faults")
	defer r.watchRestarts(ctx)()
	items, err := r.buildFaults()
	if err != nil {
		return err
	}
	runWorkloads, err := r.prepareWorkloads(ctx)
	if err != nil {
		return err
	}
	res.StartedAt = r.start
	sched, err := faults.NewSchedule(r.start, items, faults.WithProgress(func(e faults.Event) {
		r.logf("fault %s %s %s", e.Phase, e.Fault, e.Err)
		r.liveFault(e)
	}))
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	if err := sched.Available(); err != nil {
		return fmt.Errorf("faults not available here: %w", err)
	}
	warmup := r.s.Timeline.Warmup.D()
	r.logf("running %s: warmup %v, measure %v, %d faults, seed %d", r.s.Metadata.Name, warmup, r.s.Timeline.Duration.D(), len(items), r.seed)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.liveBegin(warmup + r.s.Timeline.Duration.D())
	stopPaths := r.watchPaths(runCtx)
	var wg sync.WaitGroup
	var schedErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, schedErr = sched.Run(runCtx)
	}()
	results, werr := runWorkloads(runCtx)
	cancel()
	wg.Wait()
	stopPaths()
	res.Phases = append(res.Phases, reports.PhaseMark{Phase: reports.PhaseWarmupEnd, AtNs: int64(warmup)})
	res.Faults = faultEvents(sched.Events())
	res.PathEvents = r.pathEvents()
	res.Environment.Workers = r.remoteWorkers
	for i, w := range r.s.Workloads {
		if results[i] != nil {
			res.Workloads = append(res.Workloads, workloadRecord(w, r.s.Timeline, results[i]))
		}
	}
	if werr != nil {
		return werr
	}
	if schedErr != nil && !errors.Is(schedErr, context.Canceled) {
		return fmt.Errorf("faults: %w", schedErr)
	}
	return ctx.Err()
}

// prepareWorkloads readies every workload and returns what runs them: the
// local engines, or the worker pods of a Kubernetes run (which move
// run-clock zero to the moment the workers start).
func (r *Runner) prepareWorkloads(ctx context.Context) (func(context.Context) ([]*workloads.Result, error), error) {
	if r.kube != nil {
		return r.kube.prepareWorkers(ctx)
	}
	engines, err := r.workloads(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) ([]*workloads.Result, error) { return runEngines(ctx, engines) }, nil
}

// teardown deletes the volumes and stops the targets, reporting problems
// but never stopping half-way.
func (r *Runner) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, v := range r.vols {
		for i := range v.Paths {
			if n := r.nodes[v.Paths[i].Node]; n != nil && n.RPC() != nil {
				v.Paths[i].RPC = n.RPC()
			}
		}
		if err := v.Delete(ctx); err != nil {
			r.logf("teardown: volume %s: %v", name, err)
		}
	}
	r.stopNodes()
	if r.kube != nil {
		kctx, kcancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer kcancel()
		if err := r.kube.teardown(kctx); err != nil {
			r.logf("teardown: %v (run `nvmf-chaos cleanup --kubeconfig ...` to finish)", err)
		}
	}
	for _, f := range r.files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.logf("teardown: %v", err)
		}
	}
	r.logf("teardown done")
}

func (r *Runner) slos() []reports.SLO {
	out := make([]reports.SLO, len(r.s.SLOs))
	for i, s := range r.s.SLOs {
		out[i] = reports.SLO(s)
	}
	return out
}

// targetsInPods says the targets run as the run's pods (Kubernetes, not
// external targets).
func (r *Runner) targetsInPods() bool { return r.kube != nil && r.targetKind() != targetExternal }

// backingFile is where a shared volume's data lives for the run: in the
// run folder, or on Kubernetes in the target pods' data folder.
func (r *Runner) backingFile(vol string) string {
	if r.targetsInPods() {
		return kube.BackingFile{Name: vol + ".img"}.PodPath()
	}
	return filepath.Join(r.opts.Dir, vol+".img")
}

// runEngines runs every workload's engine at once and returns their
// results in order, with the first error.
func runEngines(ctx context.Context, engines []*workloads.Engine) ([]*workloads.Result, error) {
	results := make([]*workloads.Result, len(engines))
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.Run(ctx)
		}()
	}
	wg.Wait()
	return results, errors.Join(errs...)
}
