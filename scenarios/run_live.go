package scenarios

import (
	"context"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// Live receives a run's progress as it happens, for live views (a
// progress line, Prometheus metrics); live.Run implements it. Its methods
// are called from the runner's and the engines' goroutines, concurrently,
// and must return quickly.
type Live interface {
	// Begin marks the start of the I/O: clock is the run clock's origin,
	// total the expected length of warmup and measurement.
	Begin(clock time.Time, total time.Duration)
	// Workload returns the observer for one workload's engine.
	Workload(name, volume string) workloads.IntervalObserver
	// Fault reports a fault injected (active) or recovered.
	Fault(kind, node string, active bool)
	// Path reports the state of a host path of a volume.
	Path(volume, addr, state string)
}

// pathPollEvery is how often path events are read for the live views:
// the multipath device keeps them, it does not call out.
const pathPollEvery = 200 * time.Millisecond

// engineOptions are the options of a workload's engine: the run's clock
// and, for live views, the interval observer.
func (r *Runner) engineOptions(w Workload) []workloads.Option {
	opts := []workloads.Option{workloads.WithStart(r.start)}
	if r.opts.Live != nil {
		opts = append(opts, workloads.WithObserver(r.opts.Live.Workload(w.Name, w.Volume)))
	}
	return opts
}

// liveBegin tells the live views the I/O starts now.
func (r *Runner) liveBegin(total time.Duration) {
	if r.opts.Live != nil {
		r.opts.Live.Begin(r.start, total)
	}
}

// liveFault passes a schedule event to the live views.
func (r *Runner) liveFault(e faults.Event) {
	if r.opts.Live != nil {
		r.opts.Live.Fault(string(e.Kind), e.Node, e.Phase == faults.PhaseInject)
	}
}

// watchPaths forwards the multipath devices' path events to the live
// views until the returned stop is called; stop forwards what remains.
func (r *Runner) watchPaths(ctx context.Context) (stop func()) {
	if r.opts.Live == nil || len(r.pathSources) == 0 {
		return func() {}
	}
	seen := make([]int, len(r.pathSources))
	poll := func() {
		for i, ps := range r.pathSources {
			events := ps.src.PathEvents()
			for _, e := range events[min(seen[i], len(events)):] {
				if state, ok := pathState(e); ok {
					r.opts.Live.Path(ps.volume, e.Path, state)
				}
			}
			seen[i] = len(events)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(pathPollEvery)
		defer t.Stop()
		for {
			poll()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		poll()
	}
}

// pathState is the state a path event leaves its path in; requeues say
// nothing about one path.
func pathState(e nvmetcp.PathEvent) (string, bool) {
	switch e.Kind {
	case "down":
		return "down", true
	case "ctrl-lost":
		return "lost", true
	case "up", "ana-change":
		return e.ANAState.String(), true
	}
	return "", false
}
