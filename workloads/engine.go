package workloads

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultInterval is the length of one entry of the per-interval series.
const DefaultInterval = 100 * time.Millisecond

// maxVerifyUnits bounds the per-unit verification state (32 bytes a unit):
// 2^26 units is 2 GiB of state, more than a test machine should give.
const maxVerifyUnits = 1 << 26

// Engine runs fio-style jobs against one Device. It is used once: build it
// with NewEngine, call Run.
type Engine struct {
	dev      Device
	jobs     []Job
	start    time.Time
	interval time.Duration
	runID    uint64
	latency  bool // record latency histograms (disabled only by benchmarks)
	observer IntervalObserver
	ran      bool
}

// Option configures an Engine.
type Option func(*Engine)

// WithStart sets the run clock's origin: every timestamp in the Result is
// nanoseconds since t, so a scenario's faults and I/O share one clock.
// Default: when Run is called.
func WithStart(t time.Time) Option { return func(e *Engine) { e.start = t } }

// WithInterval sets the length of the per-interval series (default 100 ms).
func WithInterval(d time.Duration) Option { return func(e *Engine) { e.interval = d } }

// WithRunID sets the identifier stamped into verified blocks; blocks carrying
// another run's identifier count as never written. Default: random.
func WithRunID(id uint64) Option { return func(e *Engine) { e.runID = id } }

// NewEngine checks jobs against dev (block size, capacity) and returns an
// engine ready to run them. The caller keeps ownership of dev.
func NewEngine(dev Device, jobs []Job, opts ...Option) (*Engine, error) {
	if dev == nil {
		return nil, errors.New("engine: nil device")
	}
	if len(jobs) == 0 {
		return nil, errors.New("engine: no jobs")
	}
	e := &Engine{dev: dev, jobs: append([]Job(nil), jobs...), interval: DefaultInterval, runID: rand.Uint64() | 1, latency: true}
	for _, o := range opts {
		o(e)
	}
	if e.interval <= 0 {
		return nil, fmt.Errorf("engine: interval %v must be positive", e.interval)
	}
	for i := range e.jobs {
		if err := e.checkJob(&e.jobs[i]); err != nil {
			return nil, err
		}
	}
	if err := checkOrder(e.jobs); err != nil {
		return nil, err
	}
	if err := e.checkOverlap(); err != nil {
		return nil, err
	}
	return e, nil
}

// checkOverlap refuses a verifying job whose blocks another job writes: its
// register state would not know those writes, and report them as corrupt.
// A verifying job that only reads may check the blocks of a writer that
// finished before it started, stamped the same way (fio's write phase,
// then verify phase).
func (e *Engine) checkOverlap() error {
	bs, size := e.dev.BlockSize(), e.dev.Blocks()*int64(e.dev.BlockSize())
	phase := phases(e.jobs)
	for i := range e.jobs {
		a := &e.jobs[i]
		if a.Verify == "" {
			continue
		}
		aStart, aLen, _ := a.extent(bs, size) // checked by checkJob
		for k := range e.jobs {
			b := &e.jobs[k]
			if k == i || !b.RW.Writes() {
				continue
			}
			bStart, bLen, _ := b.extent(bs, size)
			if aStart >= bStart+bLen || bStart >= aStart+aLen {
				continue
			}
			if err := checkReadBack(a, b, phase[k] < phase[i] || a.WaitFor == b.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkReadBack allows verifying job a to share blocks with writer b only
// when a just reads them back after b finished, checking them as b
// stamped them.
func checkReadBack(a, b *Job, bFirst bool) error {
	if a.RW.Writes() || !bFirst {
		return fmt.Errorf("%w %q: verify: job %q writes the same blocks; give verifying jobs their own offset/size", ErrInvalidJob, a.Name, b.Name)
	}
	if b.Verify != a.Verify || b.verifyUnit() != a.verifyUnit() || !bytes.Equal(b.VerifyPattern, a.VerifyPattern) {
		return fmt.Errorf("%w %q: verify: job %q wrote these blocks with verify=%q in units of %d bytes; check them with the same verify, verify_pattern and block size", ErrInvalidJob, a.Name, b.Name, b.Verify, b.verifyUnit())
	}
	return nil
}

func (e *Engine) checkJob(j *Job) error {
	if err := j.Validate(); err != nil {
		return err
	}
	if err := checkPrio(j, e.dev); err != nil {
		return err
	}
	_, length, err := j.extent(e.dev.BlockSize(), e.dev.Blocks()*int64(e.dev.BlockSize()))
	if err != nil {
		return err
	}
	if j.Verify == "" {
		return nil
	}
	if j.OffsetIncrement > 0 || j.OffsetIncrementPercent > 0 {
		return fmt.Errorf("%w %q: verify with offset_increment%s: %w: each clone would need its own record", ErrInvalidJob, j.Name, j.where("offset_increment"), ErrUnsupportedOption)
	}
	if _, ok := e.dev.(*nullDevice); ok {
		return fmt.Errorf("%w %q: verify: the null backend stores nothing to verify", ErrInvalidJob, j.Name)
	}
	unit := j.verifyUnit()
	if hdr := verifyAlgs[j.Verify].headerLen(); unit < max(hdr, 1) || !unitsDivide(j) || j.BSMax > 0 && j.BSUnaligned ||
		j.BlockAlign%int64(unit) != 0 {
		return fmt.Errorf("%w %q: verify: every block size and blockalign must be a multiple of the verified unit (the smallest block size, or verify_interval) of at least %d bytes for %s", ErrInvalidJob, j.Name, hdr, j.Verify)
	}
	if length/int64(unit) > maxVerifyUnits {
		return fmt.Errorf("%w %q: verify: %d units of %d bytes are too many to track; reduce size", ErrInvalidJob, j.Name, length/int64(unit), unit)
	}
	return nil
}

// unitsDivide reports whether every block size is a multiple of the
// verified unit, so units tile each transfer.
func unitsDivide(j *Job) bool {
	u := j.verifyUnit()
	for _, s := range j.BlockSizes() {
		if s%u != 0 {
			return false
		}
	}
	return true
}

// OpenOptionsFor returns the backend hints for running jobs: one queue per
// worker, the deepest iodepth, the bytes addressed; the engine polls.
func OpenOptionsFor(jobs []Job) OpenOptions {
	o := OpenOptions{Direct: true, Poll: true}
	for _, j := range jobs {
		o.Queues += j.NumJobs
		o.QueueDepth = max(o.QueueDepth, j.IODepth)
		o.MinSize = max(o.MinSize, j.addressed())
		o.Direct = o.Direct && j.Direct
	}
	return o
}

// Run runs the jobs in fio's order (see runJobs) to their end (runtime,
// size or ctx), drains every outstanding I/O, runs the final verification
// pass of verifying jobs, and returns the record. Cancelling ctx ends the
// run early with what was recorded so far (Result.Cancelled); the error is
// reserved for failures to run at all.
func (e *Engine) Run(ctx context.Context) (*Result, error) {
	if e.ran {
		return nil, errors.New("engine: Run called twice")
	}
	e.ran = true
	if e.start.IsZero() {
		e.start = time.Now()
	}
	runs, err := e.prepare()
	if err != nil {
		return nil, err
	}
	startNs := e.now()
	e.runJobs(ctx, runs, startNs)
	endNs := e.now()
	e.finalPass(ctx, runs)
	return e.result(ctx, runs, startNs, endNs)
}

func (e *Engine) now() int64 { return int64(time.Since(e.start)) }

// jobRun is one job's workers and their shared verification state.
type jobRun struct {
	job     *Job
	workers []*worker
	ver     *verifier
	group   int // fio's reporting group
	// counters and ss serve steady-state detection (nil without it).
	counters *ssCounters
	ss       *SteadyStateResult
	flow     *flowGroup // nil without flow
	// startNs is when the workers started, after what the job waits for
	// and its startdelay; endNs when the last of them stopped.
	startNs, endNs int64
}

func (e *Engine) prepare() ([]*jobRun, error) {
	runs := make([]*jobRun, len(e.jobs))
	groupIDs, flows := reportingGroups(e.jobs), flowGroups(e.jobs)
	id := 0
	var zoned *zonedTarget
	for ji := range e.jobs {
		j := &e.jobs[ji]
		bs, devSize := e.dev.BlockSize(), e.dev.Blocks()*int64(e.dev.BlockSize())
		start, length, err := j.Region(bs, devSize)
		if err != nil {
			return nil, err
		}
		run := &jobRun{job: j, group: groupIDs[ji], flow: flows[ji]}
		if zoned, err = zonesFor(zoned, j, devSize); err != nil {
			return nil, err
		}
		if j.SteadyState.Dur > 0 {
			run.counters = &ssCounters{}
		}
		if j.Verify != "" {
			run.ver = newVerifier(e.runID, ji, int64(j.verifyUnit()), start, length, int64(e.dev.BlockSize()), j.NumJobs > 1,
				verifyAlgs[j.Verify], j.VerifyPattern)
			run.ver.readOnly = !j.RW.Writes()
			if run.ver.readOnly {
				for _, prev := range runs[:ji] {
					if prev.ver != nil && prev.job.FillDevice && prev.job.RW.Writes() {
						run.ver.fillers = append(run.ver.fillers, prev.ver)
					}
				}
			}
		}
		seed := j.RandSeed
		if !j.RandRepeat {
			seed = rand.Uint64()
		}
		for c := range j.NumJobs {
			if start, length, err = j.cloneRegion(c, bs, devSize); err != nil {
				return nil, err
			}
			pat := newPattern(j, start, length, workerSeed(seed, ji, c))
			if j.BSUnaligned {
				pat.grain = bs // sizes in a range: any multiple of the device block
			}
			w := newWorker(e, run, id, pat)
			if j.ZBD.On {
				w.zones = newZoneView(zoned, j, start, length)
			}
			run.workers = append(run.workers, w)
			id++
		}
		runs[ji] = run
	}
	newBufferSources(runs, e.runID)
	return runs, nil
}

// finalPass reads back every written unit of each verifying job with DoVerify,
// all jobs' workers at once. Skipped when ctx is done.
func (e *Engine) finalPass(ctx context.Context, runs []*jobRun) {
	var wg sync.WaitGroup
	for _, run := range runs {
		if run.ver == nil || !run.job.DoVerify || ctx.Err() != nil {
			continue
		}
		for _, w := range run.workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.verifyPass(ctx)
			}()
		}
	}
	wg.Wait()
}

func (e *Engine) result(ctx context.Context, runs []*jobRun, startNs, endNs int64) (*Result, error) {
	iv := int64(e.interval)
	scale, latScale := recorderScales(allRecorders(runs))
	r := &Result{StartNs: startNs, EndNs: endNs, IntervalNs: iv * scale, LatencyIntervalNs: iv * latScale,
		Cancelled: ctx.Err() != nil}
	if n, ok := e.dev.(Noter); ok {
		r.Notes = n.Notes()
	}
	r.MeasureNs = startNs
	var errLists [][]ErrorEvent
	var dropped int64
	for _, run := range runs {
		r.MeasureNs = max(r.MeasureNs, run.measureNs())
	}
	for _, run := range runs {
		jr := JobResult{Name: run.job.Name, Job: *run.job, Group: run.group, StartNs: run.startNs, EndNs: run.endNs}
		measure := run.measureNs()
		last := measure
		var gapLists [][]Gap
		for _, w := range run.workers {
			w.flushWarm()
			w.gaps.close(endNs)
			gapLists = append(gapLists, w.gaps.gaps)
			last = max(last, w.lastNs)
			errLists = append(errLists, w.errors)
			if f := w.fail; jr.Error == "" && f != nil {
				jr.Error, jr.Errno, jr.ErrorFunc = f.msg, f.errno, f.fn
			}
			if w.zones != nil {
				jr.ZoneResets += w.zones.resets
			}
			if w.lat != nil && (jr.LatencyDepth == 0 || w.lat.qd < jr.LatencyDepth) {
				jr.LatencyDepth = w.lat.qd
			}
			if w.log != nil {
				w.log.finish(w.lastNs)
				jr.Logs = append(jr.Logs, WorkerLog{Index: w.id + 1, log: w.log})
			}
			dropped += w.errorsDropped
		}
		for d := range numDirs + 1 {
			recs := make([]*dirRecorder, len(run.workers))
			for i, w := range run.workers {
				recs[i] = &w.rec[min(d, numDirs-1)]
				if d == numDirs {
					recs[i] = &w.sync.rec
				}
			}
			dr, err := mergeDir(recs, measure/iv, (max(last, measure+1)-1)/iv, iv, scale, latScale)
			if err != nil {
				return nil, fmt.Errorf("job %q: %w", run.job.Name, err)
			}
			dr.RuntimeNs = last - measure
			if d < DirTrim && run.job.Prio.cmdprio() {
				if dr.Prios, err = prioLatencies(workerPrios(run.workers), Direction(d)); err != nil {
					return nil, fmt.Errorf("job %q: %w", run.job.Name, err)
				}
			}
			switch {
			case d == DirTrim && !run.job.RW.Trims():
				// left zero: omitted from results.json
			case d < numDirs:
				*jr.Dir(d) = dr
			case run.job.syncs():
				dr.Series, dr.LatencySeries = nil, nil // a sync has no bytes to chart
				jr.Sync = &dr
			}
		}
		if run.ver != nil {
			final := run.job.DoVerify
			for _, w := range run.workers {
				final = final && w.finalDone
			}
			jr.Verify = run.ver.result(final)
		}
		for _, w := range run.workers {
			jr.GapFloorNs = max(jr.GapFloorNs, w.gaps.minGap())
		}
		for i := range gapLists {
			gapLists[i] = DropShortGaps(gapLists[i], jr.GapFloorNs)
		}
		jr.Gaps = DropShortGaps(IntersectGaps(gapLists), jr.GapFloorNs)
		jr.SteadyState = run.ss
		r.Jobs = append(r.Jobs, jr)
	}
	r.Errors, r.ErrorsDropped = mergeErrors(errLists, dropped)
	return r, nil
}

// allRecorders lists every recorder whose series goes into the Result.
func allRecorders(runs []*jobRun) []*dirRecorder {
	var recs []*dirRecorder
	for _, run := range runs {
		for _, w := range run.workers {
			for d := range w.rec {
				recs = append(recs, &w.rec[d])
			}
			recs = append(recs, &w.sync.rec)
		}
	}
	return recs
}

// measureNs is when the job's measurement starts: after its ramp, or as
// late as a worker's latency_target search reset its statistics (the
// earliest of them, so every worker's final window is inside).
func (run *jobRun) measureNs() int64 {
	at := run.startNs + int64(run.job.RampTime)
	first := int64(-1)
	for _, w := range run.workers {
		if first < 0 || w.rampEndNs < first {
			first = w.rampEndNs
		}
	}
	return max(at, first)
}
