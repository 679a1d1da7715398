package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nvmf-chaos/nvmf-chaos/internal/worker"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// workerLead is how far ahead of now run-clock zero is set when the
// workers are told to start, so every worker gets the word in time.
const workerLead = time.Second

// clockRounds is how many round trips measure each worker's clock.
const clockRounds = 8

// kubeWorker is one workload's worker pod as the harness sees it.
type kubeWorker struct {
	w      Workload
	pod    *corev1.Pod
	fwd    *kube.Forward
	client *worker.Client
	clock  worker.ClockSample
}

// prepareWorkers starts a worker Job per workload, waits until each has
// connected to its volume, measures its clock, and sets run-clock zero
// a moment ahead. The returned function runs the workloads and returns
// their records on the run clock.
func (k *kubeBackend) prepareWorkers(ctx context.Context) (func(context.Context) ([]*workloads.Result, error), error) {
	r := k.r
	deadline := int64((r.s.Timeline.Warmup.D() + r.s.Timeline.Duration.D() + 5*time.Minute).Seconds())
	var ws []*kubeWorker
	for wi, w := range r.s.Workloads {
		jobs, err := r.jobsOf(wi, w)
		if err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		spec, err := json.Marshal(worker.Spec{Workload: w.Name, Target: k.workerTarget(w), Jobs: jobs})
		if err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		job := kube.WorkerJob(kube.WorkerSpec{Namespace: k.ns, RunID: r.opts.RunID, Workload: w.Name, Spec: spec, Pod: k.pod,
			Deadline: deadline, Claims: k.workerClaims(w)})
		if err := k.c.K.Resources().Create(ctx, job); err != nil {
			return nil, fmt.Errorf("workload %s: creating job: %w", w.Name, err)
		}
		ws = append(ws, &kubeWorker{w: w})
	}
	for _, kw := range ws {
		if err := k.connectWorker(ctx, kw); err != nil {
			return nil, err
		}
	}
	zero := time.Now().Add(workerLead)
	for _, kw := range ws {
		if err := kw.client.Start(ctx, zero.Add(kw.clock.Offset)); err != nil {
			return nil, fmt.Errorf("workload %s: %w", kw.w.Name, err)
		}
	}
	r.start = zero
	return func(ctx context.Context) ([]*workloads.Result, error) { return k.collect(ctx, ws) }, nil
}

// workerTarget is where a workload's worker reaches its volume: the
// claim's raw device, or the volume's paths over NVMe/TCP.
func (k *kubeBackend) workerTarget(w Workload) string {
	if k.claimedVolumes() {
		return claimTarget(w.Volume)
	}
	return k.r.targetURL(k.r.vols[w.Volume])
}

// connectWorker waits for a workload's worker pod to run and answer on its
// control port (it listens once its volume is connected), then measures
// its clock.
func (k *kubeBackend) connectWorker(ctx context.Context, kw *kubeWorker) error {
	name := kw.w.Name
	wait := 2 * time.Minute
	if k.claimedVolumes() {
		wait = claimWait
	}
	pod, err := k.waitJobPod(ctx, kube.WorkerJobName(name), wait)
	if err != nil {
		if why := k.pendingClaims(context.WithoutCancel(ctx)); why != "" {
			err = fmt.Errorf("%w; %s", err, why)
		}
		return fmt.Errorf("workload %s: %w", name, err)
	}
	kw.pod = pod
	if kw.fwd, err = k.c.Forward(ctx, k.ns, pod.Name, kube.WorkerPort); err != nil {
		return fmt.Errorf("workload %s: %w", name, err)
	}
	kw.client = &worker.Client{Base: "http://" + kw.fwd.Addr}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if kw.clock, err = kw.client.Clock(wctx, clockRounds); err == nil {
			break
		}
		if perr := k.workerFailed(ctx, pod.Name); perr != nil {
			return fmt.Errorf("workload %s: %w", name, perr)
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("workload %s: worker never answered: %w", name, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	k.r.logf("workload %s: worker pod %s on %s, clock offset %v ± %v", name, pod.Name, pod.Spec.NodeName,
		kw.clock.Offset.Round(time.Microsecond), kw.clock.Bound.Round(time.Microsecond))
	return nil
}

// waitJobPod waits until the Job's pod is Running and Ready, failing with its reason
// if it cannot start.
func (k *kubeBackend) waitJobPod(ctx context.Context, job string, timeout time.Duration) (*corev1.Pod, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no pod yet"
	for {
		var pods corev1.PodList
		err := k.c.K.Resources(k.ns).List(ctx, &pods, func(o *metav1.ListOptions) { o.LabelSelector = "job-name=" + job })
		if err == nil && len(pods.Items) > 0 {
			p := &pods.Items[0]
			last = describePod(p)
			switch {
			case p.Status.Phase == corev1.PodRunning && podIsReady(p):
				return p, nil
			case p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded || podCannotStart(p):
				return nil, fmt.Errorf("worker pod %s will not run: %s", p.Name, last)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("job %s: no ready pod after %s: %s", job, timeout, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// workerFailed returns why a worker pod stopped, nil while it runs.
func (k *kubeBackend) workerFailed(ctx context.Context, pod string) error {
	var p corev1.Pod
	if err := k.c.K.Resources().Get(context.WithoutCancel(ctx), pod, k.ns, &p); err != nil {
		return fmt.Errorf("worker pod %s is gone: %w", pod, err)
	}
	if p.DeletionTimestamp != nil {
		return fmt.Errorf("worker pod %s was deleted", pod)
	}
	if p.Status.Phase != corev1.PodRunning || podCannotStart(&p) {
		return fmt.Errorf("worker pod %s stopped: %s", pod, describePod(&p))
	}
	return nil
}

// collect waits for every worker's record, watching the pods: one that
// dies or is evicted ends the run with its reason, never a silent gap.
func (k *kubeBackend) collect(ctx context.Context, ws []*kubeWorker) ([]*workloads.Result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go k.watchWorkers(ctx, cancel, ws)
	defer k.feedLive(ctx, ws)()
	results := make([]*workloads.Result, len(ws))
	events := make([][]reports.PathEvent, len(ws))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, kw := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := k.result(ctx, kw)
			switch {
			case err != nil:
				if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
					err = cause
				}
				errs[i] = fmt.Errorf("workload %s: %w", kw.w.Name, err)
			case rep.Error != "":
				errs[i] = fmt.Errorf("workload %s: worker pod %s: %s", kw.w.Name, kw.pod.Name, rep.Error)
			}
			if rep != nil {
				results[i] = rep.Result
				events[i] = toPathEvents(kw.w.Volume, rep.PathEvents)
			}
			// A dead worker's forward may hang rather than fail: bound it.
			ectx, ecancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = kw.client.Exit(ectx)
			ecancel()
			kw.fwd.Close()
		}()
	}
	wg.Wait()
	for i, kw := range ws {
		k.r.remotePathEvents = append(k.r.remotePathEvents, events[i]...)
		k.r.remoteWorkers = append(k.r.remoteWorkers, reports.WorkerInfo{Workload: kw.w.Name, Pod: kw.pod.Name, Node: kw.pod.Spec.NodeName,
			ClockOffsetNs: int64(kw.clock.Offset), ClockErrorNs: int64(kw.clock.Bound)})
	}
	return results, errors.Join(errs...)
}

// result waits for a worker's record. A long poll cut by the tunnel (the
// API server or kubelet closed a stream) is asked again while the pod
// runs: the record is still there to fetch.
func (k *kubeBackend) result(ctx context.Context, kw *kubeWorker) (*worker.Report, error) {
	for {
		rep, err := kw.client.Result(ctx)
		if err == nil || ctx.Err() != nil {
			return rep, err
		}
		if perr := k.workerFailed(ctx, kw.pod.Name); perr != nil {
			return nil, errors.Join(err, perr)
		}
		k.r.logf("workload %s: asking for the record again: %v", kw.w.Name, err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// watchWorkers polls the worker pods and cancels the run with the reason
// of the first that stops before handing its record over.
func (k *kubeBackend) watchWorkers(ctx context.Context, cancel context.CancelCauseFunc, ws []*kubeWorker) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, kw := range ws {
			if err := k.workerFailed(ctx, kw.pod.Name); err != nil && ctx.Err() == nil {
				var p corev1.Pod
				if k.c.K.Resources().Get(ctx, kw.pod.Name, k.ns, &p) == nil && p.Status.Phase == corev1.PodSucceeded {
					continue // it handed its record over and exited
				}
				cancel(fmt.Errorf("workload %s: %w", kw.w.Name, err))
				return
			}
		}
	}
}

func toPathEvents(volume string, evs []worker.PathEvent) []reports.PathEvent {
	out := make([]reports.PathEvent, len(evs))
	for i, e := range evs {
		out[i] = reports.PathEvent{AtNs: e.AtNs, Volume: volume, Path: e.Path, Kind: reports.PathEventKind(e.Kind), ANAState: e.ANAState, Detail: e.Detail}
	}
	return out
}

// livePollEvery is how often the harness asks each worker for its closed
// intervals, for the progress line and Prometheus.
const livePollEvery = time.Second

// feedLive passes the workers' closed intervals to the run's live views,
// as a local engine's observer gets them, until the returned stop is
// called. A poll that fails is tried again at the next tick: the live
// views are a courtesy, the record comes whole with the result.
func (k *kubeBackend) feedLive(ctx context.Context, ws []*kubeWorker) (stop func()) {
	live := k.r.opts.Live
	if live == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, kw := range ws {
		obs := live.Workload(kw.w.Name, kw.w.Volume)
		wg.Go(func() {
			var next int64
			t := time.NewTicker(livePollEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				ivs, err := kw.client.Intervals(ctx, next)
				if err != nil {
					continue
				}
				for _, li := range ivs {
					if ci, err := li.Closed(); err == nil {
						obs.ObserveInterval(ci)
					}
					next = li.Seq + 1
				}
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}
