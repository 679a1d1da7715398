package workloads

import (
	"context"
	"math/rand/v2"
	"runtime"
	"time"
	"unsafe"
)

// bufAlign is the alignment of I/O buffers, enough for O_DIRECT everywhere.
const bufAlign = 4096

// finalChunk is the transfer size of the final verification pass.
const finalChunk = 128 << 10

// worker is one of a job's NumJobs clones: one goroutine keeping up to
// iodepth ops outstanding on its queue. Everything here is touched only by
// the worker's goroutine, except that Done (on the device's goroutine)
// stamps an op and hands it back through comp.
type worker struct {
	e     *Engine
	job   *Job
	ver   *verifier
	id    int
	clone int
	dev   Device
	batch BatchDevice // dev, when it can hold ops for one flush; else nil
	held  int         // ops held since the last flush
	// flushAt: once this many ops are held, they are sent at once rather
	// than at the next wait (heldShare).
	flushAt int
	drv     QueueDriver // the queue, while run drives it (PollDevice); else nil
	// polled is dev when the worker's queue completes ops only while
	// polled (CallerPolledDevice); ready tells its Poll that a completion
	// is waiting in comp.
	polled CallerPolledDevice
	ready  func() bool
	depth  int

	ops  []Op
	free []*Op
	comp chan *Op

	pat     *pattern
	src     func() (ioSpec, bool) // the next I/O; false when the phase has no more
	pace    [numDirs]pacer
	purpose opPurpose // of the ops the phase's source yields
	// backlog holds acknowledged writes until verify_backlog of them are
	// due a read-back; checks are the read-backs waiting to be issued.
	backlog, checks []ioSpec

	rampEndNs, endNs int64 // endNs 0: no time limit
	budget, issued   int64 // bytes after the ramp; budget < 0: unbounded
	ioLimit, ios     int64 // I/Os after the ramp; ioLimit 0: unbounded
	outstanding      int
	stopping         bool // no new workload I/O
	cancelled        bool // ctx done: no new I/O at all, only drain
	pending          ioSpec
	hasPending       bool
	wakeNs           int64 // when the pacer allows the next I/O (0: not waiting)
	timer            *time.Timer

	rec           [numDirs]dirRecorder
	warm          []dirRecorder // per direction, only with an observer
	lastNs        int64         // last measured completion
	gaps          gapTracker
	errors        []ErrorEvent
	errorsDropped int64
	finalDone     bool
	log           *ioLog      // fio log samples; nil unless the job writes logs
	ss            *ssCounters // the job's totals for steady state; nil without it
	// flow: the worker's flow_id group (nil without flow) and its I/Os.
	flow    *flowGroup
	flowIOs int64
	// ratemin: each direction's current cycle; why the worker failed.
	cycle [numDirs]rateCycle
	fail  *jobFailure
	lat   *latSearch // latency_target; nil without
	// thinktime: I/Os issued since the last pause, and when it ends.
	thought, thinkUntil int64
	sync                syncState
	zones               *zoneView     // zonemode=zbd; nil without
	prioRng             rand.PCG      // which I/Os cmdprio_percentage picks
	bufs                *bufferSource // per-write contents; nil: fixed buffers
	prios               *prioRecorder // latencies by priority; nil without cmdprio
}

func newWorker(e *Engine, g *jobRun, id int, pat *pattern) *worker {
	j := g.job
	w := &worker{
		e: e, job: j, ver: g.ver, id: id, clone: len(g.workers), dev: e.dev, depth: j.IODepth,
		pat: pat, comp: make(chan *Op, j.IODepth), timer: time.NewTimer(time.Hour),
	}
	w.timer.Stop()
	w.batch, _ = e.dev.(BatchDevice)
	w.flushAt = max(j.IODepth/heldShare, 1)
	if p, ok := e.dev.(CallerPolledDevice); ok && p.Polled(id%max(e.dev.Queues(), 1)) {
		w.polled = p
		w.ready = func() bool { return len(w.comp) > 0 }
	}
	w.src = w.nextWorkload
	w.ss = g.counters
	w.flow = g.flow
	for d := range numDirs {
		w.pace[d] = pacer{iops: j.RateIOPS[d], bps: j.Rate[d], poisson: j.RateProcess == "poisson"}
		w.pace[d].rng.Seed(mix64(uint64(id)), uint64(d))
		w.rec[d] = newDirRecorder(int64(e.interval), e.latency)
	}
	w.sync.rec = newDirRecorder(int64(e.interval), e.latency)
	w.prioRng.Seed(pat.rng.Uint64(), uint64(id))
	if j.Prio.cmdprio() {
		w.prios = &prioRecorder{}
	}
	w.lat = newLatSearch(j)
	w.observeWith(e.observer)
	bufSize := j.MaxBS()
	if g.ver != nil && j.DoVerify {
		bufSize = max(bufSize, finalChunk)
	}
	unit := pat.unit
	if g.ver != nil {
		unit = g.ver.unit // verify_interval may be finer than the smallest block
	}
	w.allocOps(bufSize, unit)
	if g.ver != nil && j.VerifyBacklog > 0 {
		w.backlog = make([]ioSpec, 0, j.VerifyBacklog)
		w.checks = make([]ioSpec, 0, j.VerifyBacklog)
	}
	return w
}

// allocOps creates the worker's ops and their buffers, once: the hot path
// never allocates.
func (w *worker) allocOps(bufSize int, unit int64) {
	slab := alignedSlab(w.depth * bufSize)
	fill := rand.NewPCG(uint64(w.id), w.e.runID)
	if len(w.job.BufferPattern) == 0 {
		w.fillPattern(slab, fill)
	}
	w.ops = make([]Op, w.depth)
	w.free = make([]*Op, 0, w.depth)
	done := func(op *Op) {
		op.completeNs = w.e.now()
		w.comp <- op // never blocks: comp holds every op
	}
	q := w.id % max(w.dev.Queues(), 1)
	for i := range w.ops {
		op := &w.ops[i]
		op.Buf = slab[i*bufSize : (i+1)*bufSize : (i+1)*bufSize]
		op.Queue, op.Done = q, done
		if len(w.job.BufferPattern) > 0 {
			w.fillPattern(op.Buf, fill) // from each buffer's start
		}
		if w.ver != nil {
			op.snap = make([]blockSnap, int64(bufSize)/unit)
		}
		w.free = append(w.free, op)
	}
}

func alignedSlab(n int) []byte {
	b := make([]byte, n+bufAlign)
	off := (bufAlign - int(uintptr(unsafe.Pointer(&b[0]))%bufAlign)) % bufAlign
	return b[off : off+n : off+n]
}

// fillPattern fills write data: buffer_pattern repeated, zeros with
// zero_buffers, otherwise random bytes with the tail of every 4 KiB zeroed
// for buffer_compress_percentage.
func (w *worker) fillPattern(b []byte, src *rand.PCG) {
	if p := w.job.BufferPattern; len(p) > 0 {
		fillPattern(b, p)
		return
	}
	if w.job.ZeroBuffers || w.job.trimsOnly() {
		return // trims send no data: the pages are never touched
	}
	keep := bufAlign * (100 - w.job.BufferCompressPercentage) / 100
	for i := 0; i+8 <= len(b); i += 8 {
		if i%bufAlign >= keep {
			clear(b[i : i+8]) // a refilled buffer held other data
			continue
		}
		v := src.Uint64()
		for k := range 8 {
			b[i+k] = byte(v >> (8 * k))
		}
	}
}

// setClock fixes the worker's limits once the run's start time is known.
func (w *worker) setClock(startNs int64) {
	j := w.job
	w.rampEndNs = startNs + int64(j.RampTime)
	if j.Runtime > 0 {
		w.endNs = w.rampEndNs + int64(j.Runtime)
	}
	w.budget = -1
	if !j.TimeBased {
		w.budget = j.transferBytes(w.pat.length)
	}
	w.ioLimit = j.NumberIOs
	if j.Logs.any() {
		w.log = newIOLog(j.Logs, startNs)
	}
}

func (w *worker) nextWorkload() (ioSpec, bool) { return w.pat.next(), true }

// run keeps depth ops in flight until the phase ends (time, bytes, source
// exhausted or ctx done), issues the verify_backlog read-backs still due
// unless cancelled, then drains what is outstanding.
func (w *worker) run(ctx context.Context) {
	if release := w.drive(); release != nil {
		defer release()
	}
	done := ctx.Done()
	for {
		if !w.cancelled {
			select {
			case <-done:
				w.cancelled, w.stopping = true, true
			default:
				w.fillChecks()
			}
		}
		if !w.stopping {
			w.fill()
		}
		if w.outstanding == 0 && w.stopping {
			if !w.moreChecks() && !w.endSync() {
				return
			}
			continue // issue them
		}
		if op := w.next(done); op != nil {
			w.complete(op)
		}
	}
}

// drive takes the worker's queue for run to drive, when the device allows
// it, and returns what gives it back. The goroutine keeps its OS thread
// meanwhile: the ring serves only the thread that made it.
func (w *worker) drive() (release func()) {
	pd, ok := w.dev.(PollDevice)
	if !ok {
		return nil
	}
	runtime.LockOSThread()
	if w.drv, ok = pd.Drive(w.ops[0].Queue); !ok {
		runtime.UnlockOSThread()
		return nil
	}
	return func() {
		w.drv.Release()
		w.drv = nil
		runtime.UnlockOSThread()
	}
}

// moreChecks reports whether read-backs remain once the workload stopped,
// turning a partial backlog into due checks so every write is read back.
func (w *worker) moreChecks() bool {
	if w.cancelled {
		return false
	}
	if len(w.checks) == 0 && len(w.backlog) > 0 {
		w.backlog, w.checks = w.checks, w.backlog
	}
	return len(w.checks) > 0
}

// fillChecks issues due verify_backlog read-backs: they are few, and they
// go before new workload I/O.
func (w *worker) fillChecks() {
	for n := len(w.checks); n > 0 && w.outstanding < w.depth; n-- {
		s := w.checks[n-1]
		w.checks = w.checks[:n-1]
		w.submit(s, w.e.now(), forBacklog)
	}
}

// fill submits workload ops until depth are outstanding, the pacer makes
// the next one wait, or the phase ends.
func (w *worker) fill() {
	w.wakeNs = 0
	for w.outstanding < w.depthLimit() {
		if w.sync.holds(w) {
			return
		}
		now := w.e.now()
		if w.purpose == forWorkload && w.latHolds(now) {
			return
		}
		if w.endNs > 0 && now >= w.endNs || w.budget >= 0 && w.issued >= w.budget || w.ioLimit > 0 && w.ios >= w.ioLimit {
			w.stopping = true
			return
		}
		if w.job.ThinkTime > 0 && w.purpose == forWorkload && w.think(now) {
			return
		}
		if w.flow != nil && w.purpose == forWorkload && !w.hasPending && w.flowHeld(now) {
			return
		}
		if !w.hasPending {
			s, ok := w.src()
			if ok && w.zones != nil && w.purpose == forWorkload {
				s, ok = w.zones.adjust(s)
			}
			if !ok {
				w.stopping = true
				return
			}
			w.pending, w.hasPending = s, true
		}
		p := &w.pace[w.pending.dir]
		if d := p.wait(now); d > 0 {
			w.wakeNs = now + d
			if w.endNs > 0 {
				w.wakeNs = min(w.wakeNs, w.endNs)
			}
			return
		}
		p.take(now, w.pending.size)
		w.hasPending = false
		w.submit(w.pending, now, w.purpose)
	}
}

// think reports whether thinktime holds the next I/O back: after
// thinktime_blocks I/Os, fio waits for them all to complete, then pauses.
func (w *worker) think(now int64) bool {
	if w.thought < int64(max(w.job.ThinkBlocks, 1)) {
		return false
	}
	if w.outstanding > 0 {
		return true // woken by their completions
	}
	if w.thinkUntil == 0 {
		w.thinkUntil = now + int64(w.job.ThinkTime)
	}
	if now < w.thinkUntil {
		w.wakeNs = w.thinkUntil
		if w.endNs > 0 {
			w.wakeNs = min(w.wakeNs, w.endNs)
		}
		return true
	}
	w.thought, w.thinkUntil = 0, 0
	return false
}

func (w *worker) submit(s ioSpec, now int64, purpose opPurpose) {
	op := w.free[len(w.free)-1]
	w.free = w.free[:len(w.free)-1]
	op.Offset, op.Buf, op.Err = s.offset, op.Buf[:s.size], nil
	op.submitNs, op.purpose = now, purpose
	op.Prio = w.job.Prio.base()
	if purpose == forWorkload {
		op.Prio = w.pickPrio(s.dir, s.size)
	}
	switch s.dir {
	case DirWrite:
		op.Kind = OpWrite
		if w.bufs != nil && purpose == forWorkload {
			w.refill(op.Buf)
		}
		if w.ver != nil {
			w.ver.submitWrite(op)
		}
		if purpose == forWorkload {
			w.sync.wrote(w.job)
		}
	case DirTrim:
		op.Kind = OpTrim
	default:
		op.Kind = OpRead
		if w.ver != nil {
			w.ver.submitRead(op)
		}
	}
	if purpose == forWorkload && now >= w.rampEndNs {
		// trimwrite's size is what it writes, as in fio.
		if s.dir != DirTrim || !w.job.RW.Writes() {
			w.issued += int64(s.size)
		}
		w.ios++
	}
	if purpose == forWorkload {
		w.thought++
	}
	w.outstanding++
	if s.zoneReset {
		op.completeNs = w.e.now()
		w.comp <- op // a zone reset done on the emulated zones: no command
		return
	}
	w.send(op)
}

// send gives op to the device: held for the next poll or flush where the
// device can, else submitted.
func (w *worker) send(op *Op) {
	switch {
	case w.drv != nil:
		w.drv.Hold(op)
	case w.batch != nil:
		w.batch.Hold(op)
		if w.held++; w.held >= w.flushAt {
			w.flush()
		}
	default:
		w.dev.Submit(op)
	}
}

// heldShare: a worker holding a batch of resubmissions sends every
// iodepth/heldShare of them at once rather than all before its next wait.
// Completions arrive in bursts, and holding a whole burst's resubmissions
// until the burst is handled leaves the target idle meanwhile: the queue
// runs in lockstep, target and host taking turns. Sending a quarter at a
// time lets the target start on them while the host handles the rest; it
// took randread QD32 against SPDK's nvmf_tgt from ~0.2M to ~0.35M IOPS on
// one core each (issue 16), for a few more writev calls.
const heldShare = 4

// flush sends the ops held since the last flush. Every wait for a
// completion is preceded by one: a held op is never waited for unsent.
func (w *worker) flush() {
	if w.held > 0 {
		w.held = 0
		w.batch.Flush(w.ops[0].Queue)
	}
}

// next returns a completed op, waiting for one, for the pacer or for ctx;
// nil when it woke for something else than a completion.
func (w *worker) next(done <-chan struct{}) *Op {
	select {
	case op := <-w.comp:
		return op
	default:
	}
	if w.drv != nil && w.outstanding > 0 {
		return w.poll()
	}
	w.flush()
	if w.polled != nil && w.outstanding > 0 {
		return w.pollNext(done)
	}
	var wake <-chan time.Time
	if !w.stopping && w.wakeNs > 0 {
		w.timer.Reset(time.Duration(w.wakeNs - w.e.now()))
		wake = w.timer.C
	}
	if w.cancelled {
		done = nil // drain: only completions matter now
	}
	select {
	case op := <-w.comp:
		return op
	case <-done:
		w.cancelled, w.stopping = true, true
	case <-wake:
	}
	return nil
}

func (w *worker) complete(op *Op) {
	w.outstanding--
	if op.Kind.flush() {
		w.sync.complete(w, op)
		return
	}
	dir := DirRead
	switch {
	case op.Kind == OpWrite:
		dir = DirWrite
		if w.ver != nil {
			w.ver.completeWrite(op)
		}
	case op.Kind == OpTrim:
		dir = DirTrim
	case w.ver != nil:
		w.ver.completeRead(op)
		w.stopping = w.stopping || w.job.VerifyFatal && w.ver.fatal.Load()
	}
	if op.purpose == forWorkload && op.Kind == OpWrite && op.Err == nil && w.backlog != nil {
		w.queueCheck(op)
	}
	if op.purpose == forWorkload && op.submitNs >= w.rampEndNs {
		w.rec[dir].record(op.completeNs, op.completeNs-op.submitNs, len(op.Buf), op.Err != nil)
		if w.log != nil && op.Err == nil {
			w.log.add(op, dir)
		}
		if w.prios != nil && op.Err == nil {
			w.prios.record(dir, op.Prio, op.completeNs-op.submitNs)
		}
		if w.ss != nil && op.Err == nil {
			w.ss.ios.Add(1)
			w.ss.bytes.Add(int64(len(op.Buf)))
			w.ss.latNs.Add(op.completeNs - op.submitNs)
		}
		if w.job.RateMin[dir] > 0 || w.job.RateIOPSMin[dir] > 0 {
			w.checkMinRate(op.completeNs, dir, len(op.Buf))
		}
		if w.lat != nil {
			w.latCompleted(op.completeNs-op.submitNs, op.completeNs)
		}
		w.lastNs = max(w.lastNs, op.completeNs)
		if op.Err == nil {
			w.gaps.success(op.completeNs)
		}
	} else if w.warm != nil && op.purpose == forWorkload {
		w.warm[dir].record(op.completeNs, op.completeNs-op.submitNs, len(op.Buf), op.Err != nil)
	}
	if op.Err != nil {
		w.recordError(op)
	}
	w.free = append(w.free, op)
}

// queueCheck books an acknowledged write for read-back; every
// verify_backlog writes, the batch becomes due. A batch that finds the
// previous one still queued is dropped rather than grow memory: the final
// pass still covers it.
func (w *worker) queueCheck(op *Op) {
	w.backlog = append(w.backlog, ioSpec{dir: DirRead, offset: op.Offset, size: len(op.Buf)})
	if len(w.backlog) < cap(w.backlog) {
		return
	}
	if len(w.checks) == 0 {
		w.backlog, w.checks = w.checks, w.backlog
	}
	w.backlog = w.backlog[:0]
}

func (w *worker) recordError(op *Op) {
	if len(w.errors) >= maxErrorEvents {
		w.errorsDropped++
		return
	}
	w.errors = append(w.errors, ErrorEvent{
		AtNs: op.completeNs, Job: w.job.Name, Worker: w.id, Dir: op.Kind.String(),
		Offset: op.Offset, Len: len(op.Buf), Err: op.Err.Error(),
	})
}

// verifyPass reads back this clone's share of the job's written units: chunks
// clone, clone+numjobs, ... of the region.
func (w *worker) verifyPass(ctx context.Context) {
	if w.job.VerifyFatal && w.ver.fatal.Load() {
		return // verify_fatal: the job ended at its first failure
	}
	unit := w.ver.unit
	chunk := max(unit, min(int64(finalChunk)/unit*unit, w.pat.length/unit*unit))
	stride := int64(w.job.NumJobs)
	next := int64(w.clone)
	w.src = func() (ioSpec, bool) {
		for ; next*chunk < w.pat.length; next += stride {
			off := next * chunk
			size := min(chunk, (w.pat.length-off)/unit*unit)
			if size > 0 && w.ver.written(off/unit, size/unit) {
				next += stride
				return ioSpec{dir: DirRead, offset: w.pat.start + off, size: int(size)}, true
			}
		}
		return ioSpec{}, false
	}
	w.purpose, w.stopping, w.cancelled, w.hasPending = forFinal, false, false, false
	w.backlog, w.checks = nil, nil
	w.endNs, w.budget, w.ioLimit = 0, -1, 0
	w.pace = [numDirs]pacer{}
	w.run(ctx)
	w.finalDone = ctx.Err() == nil
}
