package workloads

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Jobs run in fio's order. A job with stonewall (wait_for_previous) waits
// for every job before it to finish, and so do the jobs after it: each
// stonewall starts a phase, and the jobs of a phase start together. A job
// with wait_for=NAME also waits for the earlier job NAME to finish. Then
// the job waits its startdelay. Reporting groups are fio's too: the first
// job is in group 0, and a stonewall or new_group after at least one job of
// the current group starts the next.

// phases returns each job's phase: how many stonewalls start at or before
// it, after a first job.
func phases(jobs []Job) []int {
	p := make([]int, len(jobs))
	for i := range jobs {
		if i > 0 {
			p[i] = p[i-1]
			if jobs[i].Stonewall {
				p[i]++
			}
		}
	}
	return p
}

// reportingGroups returns each job's reporting group (fio's groupid).
func reportingGroups(jobs []Job) []int {
	g := make([]int, len(jobs))
	for i := range jobs {
		if i > 0 {
			g[i] = g[i-1]
			if jobs[i].Stonewall || jobs[i].NewGroup {
				g[i]++
			}
		}
	}
	return g
}

// checkOrder checks wait_for as fio does: the job waited for comes
// earlier in the file and its name is unique.
func checkOrder(jobs []Job) error {
	for i := range jobs {
		j := &jobs[i]
		if j.WaitFor == "" {
			continue
		}
		found, after := -1, false
		for k := range jobs {
			if k != i && jobs[k].Name == j.WaitFor {
				if found >= 0 {
					return fmt.Errorf("%w %q: wait_for%s: more than one job is named %q", ErrInvalidJob, j.Name, j.where("wait_for"), j.WaitFor)
				}
				found, after = k, k > i
			}
		}
		switch {
		case found < 0:
			return fmt.Errorf("%w %q: wait_for%s: no other job is named %q", ErrInvalidJob, j.Name, j.where("wait_for"), j.WaitFor)
		case after:
			return fmt.Errorf("%w %q: wait_for%s: job %q comes later; a job can only wait for an earlier one", ErrInvalidJob, j.Name, j.where("wait_for"), j.WaitFor)
		}
	}
	return nil
}

// waitsFor lists the jobs job i must see finish before it starts.
func waitsFor(jobs []Job, phase []int, i int) []int {
	var w []int
	for k := range i {
		if phase[k] < phase[i] || jobs[k].Name == jobs[i].WaitFor {
			w = append(w, k)
		}
	}
	return w
}

// runJobs runs every job in fio's order. Jobs that wait for nothing start
// at startNs, together; cancelling ctx starts no more jobs. Each job runs
// under its own context, so that a job with exitall can end others.
func (e *Engine) runJobs(ctx context.Context, runs []*jobRun, startNs int64) {
	x := newExiter(ctx, e.jobs)
	var wg sync.WaitGroup
	for i, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer x.finish(i)
			jctx := x.ctx[i]
			at := startNs
			if deps := x.deps[i]; len(deps) > 0 {
				for _, k := range deps {
					select {
					case <-x.done[k]:
					case <-jctx.Done():
					}
				}
				at = e.now()
			}
			e.runJob(jctx, run, at)
		}()
	}
	wg.Wait()
	x.release()
}

// exiter holds each job's context and state for exitall.
type exiter struct {
	jobs   []Job
	group  []int
	ctx    []context.Context
	cancel []context.CancelFunc
	done   []chan struct{}
	deps   [][]int // the jobs each waits for
}

func newExiter(ctx context.Context, jobs []Job) *exiter {
	n := len(jobs)
	x := &exiter{jobs: jobs, group: reportingGroups(jobs), ctx: make([]context.Context, n),
		cancel: make([]context.CancelFunc, n), done: make([]chan struct{}, n), deps: make([][]int, n)}
	phase := phases(jobs)
	for i := range n {
		x.deps[i] = waitsFor(jobs, phase, i)
		x.ctx[i], x.cancel[i] = context.WithCancel(ctx)
		x.done[i] = make(chan struct{})
	}
	return x
}

// finish marks job i done and, with exitall, ends the jobs exit_what
// names: its reporting group (default), every running job ("stonewall"),
// or every job, started or not ("all").
func (x *exiter) finish(i int) {
	close(x.done[i])
	j := &x.jobs[i]
	if !j.ExitAll {
		return
	}
	for k := range x.jobs {
		switch j.ExitWhat {
		case "all":
		case "stonewall":
			if !x.running(k) {
				continue
			}
		default:
			if x.group[k] != x.group[i] {
				continue
			}
		}
		x.cancel[k]()
	}
}

// running reports whether job k is running or free to: not done, and
// every job it waits for done.
func (x *exiter) running(k int) bool {
	for _, d := range append(x.deps[k], k) {
		select {
		case <-x.done[d]:
			if d == k {
				return false
			}
		default:
			if d != k {
				return false
			}
		}
	}
	return true
}

func (x *exiter) release() {
	for _, c := range x.cancel {
		c()
	}
}

// runJob runs one job's workers from at, after its startdelay.
func (e *Engine) runJob(ctx context.Context, run *jobRun, at int64) {
	if d := run.job.StartDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		at = e.now()
	}
	run.startNs = at
	// The job runs under its own context so that steady state can end it.
	jctx, stop := context.WithCancel(ctx)
	defer stop()
	mctx, mstop := context.WithCancel(jctx)
	var mon sync.WaitGroup
	if run.job.SteadyState.Dur > 0 {
		mon.Add(1)
		go func() {
			defer mon.Done()
			e.monitorSteadyState(mctx, run, stop)
		}()
	}
	var wg sync.WaitGroup
	for _, w := range run.workers {
		w.setClock(at)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.flowDone()
			w.run(jctx)
		}()
	}
	wg.Wait()
	mstop()
	mon.Wait()
	run.endNs = e.now()
}

// PlannedLength is how long jobs run in fio's order when time bounds them
// all (runtime with time_based, or a runtime shorter than their size
// takes): 0 when a job has no runtime.
func PlannedLength(jobs []Job) time.Duration {
	phase := phases(jobs)
	end := make([]time.Duration, len(jobs))
	var total time.Duration
	for i := range jobs {
		j := &jobs[i]
		if j.Runtime == 0 {
			return 0
		}
		var at time.Duration
		for _, k := range waitsFor(jobs, phase, i) {
			at = max(at, end[k])
		}
		end[i] = at + j.StartDelay + j.RampTime + j.Runtime
		total = max(total, end[i])
	}
	return total
}

// ErrSequential is wrapped by CheckConcurrent's errors.
var ErrSequential = errors.New("jobs that start late cannot share a run that starts every job at once")

// CheckConcurrent returns an error naming the first option (and its
// file:line) that makes a job start after the run does: stonewall,
// wait_for or startdelay. A scenario runs every job of its workloads for
// the whole timeline, so these cannot be honoured there.
func CheckConcurrent(jobs []Job) error {
	for i := range jobs {
		j := &jobs[i]
		opt := ""
		switch {
		case j.Stonewall && i > 0:
			opt = "stonewall"
		case j.WaitFor != "":
			opt = "wait_for"
		case j.StartDelay > 0:
			opt = "startdelay"
		}
		if opt != "" {
			return fmt.Errorf("job %q: %s%s: %w", j.Name, opt, j.where(opt), ErrSequential)
		}
	}
	return nil
}
