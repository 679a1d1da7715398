package live

import (
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
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
	// finished and pass are the judged verdict, once Finish was called.
	finished, pass bool
	scratch        *hdr.Histogram // for Snapshot's window merges
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

// Interval is one closed interval of an engine's I/O, the fields of
// workloads.ClosedInterval live reads (the caller converts: live sits below
// workloads).
type Interval struct {
	Job string
	// Dir is 0 for reads, 1 for writes.
	Dir                int
	StartNs, LengthNs  int64
	IOs, Bytes, Errors int64
	// Latency holds the successful I/Os' latencies in ns; it is only read
	// during Observe.
	Latency *hdr.Histogram
}

// Observer feeds one engine's intervals into a Run.
type Observer struct {
	r      *Run
	w      *workload // nil: one workload per job
	volume string
}

// Workload returns the observer of one workload's engine. An empty name
// labels each job as its own workload, as bench wants. volume names the
// target the workload drives.
func (r *Run) Workload(name, volume string) *Observer {
	o := &Observer{r: r, volume: volume}
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
// "down", ...; reports/prom lists the states it shows).
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

// Finish records the run's verdict once it is judged; a run that could
// not be judged is never finished.
func (r *Run) Finish(pass bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished, r.pass = true, pass
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
		w.dirs[d].latency = newHist()
	}
	r.workloads = append(r.workloads, w)
	return w
}

// Observe records one closed interval. It is called from the engine's
// workers.
func (o *Observer) Observe(iv Interval) {
	if iv.LengthNs <= 0 || iv.Dir < 0 || iv.Dir >= numDirs {
		return // not from the engine
	}
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	w := o.w
	if w == nil {
		w = o.r.workload(iv.Job, o.volume)
	}
	if o.r.interval == 0 {
		o.r.interval = iv.LengthNs
	}
	w.observe(iv)
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
	latency          *hdr.Histogram
}

func (w *workload) observe(iv Interval) {
	d := &w.dirs[iv.Dir]
	d.ios, d.bytes, d.errs = d.ios+iv.IOs, d.bytes+iv.Bytes, d.errs+iv.Errors
	if iv.Latency != nil {
		d.latency.Merge(iv.Latency)
	}
	idx := iv.StartNs / iv.LengthNs
	if w.firstIdx < 0 || idx < w.firstIdx {
		w.firstIdx = idx
	}
	w.ring.add(idx, iv.IOs, iv.Bytes, iv.Errors, iv.Latency)
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
