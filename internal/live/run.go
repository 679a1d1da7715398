package live

import (
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// RecentWindow is the stretch of time the progress line's IOPS, bandwidth
// and p99 are computed over: long enough to smooth 100 ms intervals, short
// enough that a failover shows within a second.
const RecentWindow = time.Second

// Info names the run in every view.
type Info struct {
	Scenario string
	RunID    string
	// Command is the subcommand that runs: run or bench.
	Command string
}

// Run is the live state of one run. Its methods are safe for concurrent
// use; the observers it hands out are called from the engines' workers.
type Run struct {
	info Info
	now  func() time.Time

	mu        sync.Mutex
	clock     time.Time // origin of the engines' run clock
	begun     time.Time // when the timed part started; zero before Begin
	total     time.Duration
	interval  int64 // ns, learned from the first interval
	workloads []*workload
	faults    []*fault
	paths     []*path
	result    *reports.Result
	scratch   *hdr.Histogram // for Snapshot's window merges
}

// Option configures a Run.
type Option func(*Run)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(r *Run) { r.now = now } }

// New returns the live state of a run about to start.
func New(info Info, opts ...Option) *Run {
	r := &Run{info: info, now: time.Now, scratch: newHist()}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Info returns what the run was created with.
func (r *Run) Info() Info { return r.info }

// Begin marks the start of the timed part of the run (warmup included):
// clock is the engines' run clock origin (their WithStart), total the
// expected length of the timed part (0: unknown). Elapsed time counts from
// this call.
func (r *Run) Begin(clock time.Time, total time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clock, r.begun, r.total = clock, r.now(), total
}

// Workload returns the observer to give one workload's engine
// (workloads.WithObserver). An empty name labels each job as its own
// workload, as bench wants. volume names the target the workload drives.
func (r *Run) Workload(name, volume string) workloads.IntervalObserver {
	o := &observer{r: r, volume: volume}
	if name != "" {
		r.mu.Lock()
		o.w = r.workload(name, volume)
		r.mu.Unlock()
	}
	return o
}

// Fault records a fault of kind on node becoming active (inject) or not
// (recover). Overlapping faults of the same kind and node are counted.
func (r *Run) Fault(kind, node string, active bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var f *fault
	for _, x := range r.faults {
		if x.kind == kind && x.node == node {
			f = x
		}
	}
	if f == nil {
		f = &fault{kind: kind, node: node}
		r.faults = append(r.faults, f)
	}
	switch {
	case active:
		f.active++
	case f.active > 0:
		f.active--
	}
}

// Path records the current state of one host path of a volume ("optimized",
// "down", ...; see PathStates).
func (r *Run) Path(volume, addr, state string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.paths {
		if p.volume == volume && p.addr == addr {
			p.state = state
			return
		}
	}
	r.paths = append(r.paths, &path{volume: volume, addr: addr, state: state})
}

// Finish records the judged result; the views add its verdicts. res may be
// nil (the run could not start).
func (r *Run) Finish(res *reports.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.result = res
}

// workload finds or adds a workload; r.mu is held.
func (r *Run) workload(name, volume string) *workload {
	for _, w := range r.workloads {
		if w.name == name && w.volume == volume {
			return w
		}
	}
	w := &workload{name: name, volume: volume, ring: newRing(), firstIdx: -1}
	for d := range w.dirs {
		w.dirs[d].pending = newHist()
		w.dirs[d].buckets = make([]uint64, len(LatencyBuckets)+1)
	}
	r.workloads = append(r.workloads, w)
	return w
}

// observer feeds one engine's intervals into the Run.
type observer struct {
	r      *Run
	w      *workload // nil: one workload per job
	volume string
}

func (o *observer) ObserveInterval(ci workloads.ClosedInterval) {
	if ci.LengthNs <= 0 || ci.Dir < 0 || int(ci.Dir) >= numDirs {
		return // not from the engine
	}
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	w := o.w
	if w == nil {
		w = o.r.workload(ci.Job, o.volume)
	}
	if o.r.interval == 0 {
		o.r.interval = ci.LengthNs
	}
	w.observe(ci)
}

const numDirs = 2

// workload is one workload's live totals and recent intervals.
type workload struct {
	name, volume string
	dirs         [numDirs]dirTotals
	ring         *ring
	firstIdx     int64 // first interval seen; -1: none
}

// dirTotals are one direction's counters since the start, warmup included.
type dirTotals struct {
	ios, bytes, errs int64
	// pending holds latencies not yet folded into buckets: folding walks
	// the histogram, so it happens at scrape time, not per interval.
	pending *hdr.Histogram
	buckets []uint64 // per LatencyBuckets bound, then +Inf; not cumulative
	count   uint64
	sum     float64 // seconds
}

func (w *workload) observe(ci workloads.ClosedInterval) {
	d := &w.dirs[ci.Dir]
	d.ios, d.bytes, d.errs = d.ios+ci.IOs, d.bytes+ci.Bytes, d.errs+ci.Errors
	if ci.Latency != nil {
		d.pending.Merge(ci.Latency)
	}
	idx := ci.StartNs / ci.LengthNs
	if w.firstIdx < 0 || idx < w.firstIdx {
		w.firstIdx = idx
	}
	w.ring.add(idx, ci.IOs, ci.Bytes, ci.Errors, ci.Latency)
}

// fold moves the pending latencies into the bucket counts. A value counts
// in the first bucket whose bound holds the middle of its HDR range.
func (d *dirTotals) fold() {
	if d.pending.TotalCount() == 0 {
		return
	}
	for _, bar := range d.pending.Distribution() {
		if bar.Count == 0 {
			continue
		}
		mid := float64(bar.From+bar.To) / 2 / 1e9
		i := 0
		for i < len(LatencyBuckets) && mid > LatencyBuckets[i] {
			i++
		}
		d.buckets[i] += uint64(bar.Count)
		d.count += uint64(bar.Count)
		d.sum += mid * float64(bar.Count)
	}
	d.pending.Reset()
}

// fault is one kind of fault on one node.
type fault struct {
	kind, node string
	active     int
}

// path is one host path of a volume.
type path struct {
	volume, addr, state string
}
