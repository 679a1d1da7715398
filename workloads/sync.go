package workloads

// syncState is a worker's fsync=/fdatasync=/end_fsync/fsync_on_close
// bookkeeping. fio issues its sync after every N writes; here the sync
// also waits for the I/O in flight to complete, and holds new I/O back
// until it has completed, so that it covers the N writes whatever the
// engine's queue does (fio's sync engines and libaio behave so too).
type syncState struct {
	rec      dirRecorder // the syncs after the ramp, fio's "sync" block
	writes   int64       // workload writes issued
	due      OpKind      // OpFlush or OpFlushData when a sync is due; else OpRead
	inFlight bool
	// last is true while the last I/O issued was a sync (fio's
	// last_was_sync: end_fsync then has nothing to add); ended once the
	// job's end syncs have been issued.
	last, ended bool
	closeDue    bool // fsync_on_close's uncounted sync at close is next
}

// wrote counts a workload write and says whether a sync is now due.
func (s *syncState) wrote(j *Job) {
	s.writes++
	s.last = false
	switch {
	case j.FsyncBlocks > 0 && s.writes%int64(j.FsyncBlocks) == 0:
		s.due = OpFlush
	case j.FdatasyncBlocks > 0 && s.writes%int64(j.FdatasyncBlocks) == 0:
		s.due = OpFlushData
	}
}

// holds reports whether a sync keeps the next I/O back: it is in flight,
// or due and waiting for the I/O in flight (then it is issued once that
// has drained).
func (s *syncState) holds(w *worker) bool {
	switch {
	case s.inFlight:
		return true
	case s.due == OpRead:
		return false
	case w.outstanding > 0:
		return true // woken by their completions
	}
	w.submitSync(s.due, w.purpose)
	return true
}

// endSync issues the syncs a writing job ends with, once its workload
// I/O has drained: end_fsync's and fsync_on_close's (counted, unless the
// last I/O was a sync), then fsync_on_close's own at close. It reports
// whether it issued one. Nothing is issued after a cancellation.
func (w *worker) endSync() bool {
	j, s := w.job, &w.sync
	if w.purpose != forWorkload || w.cancelled || s.ended || !j.RW.Writes() || !j.EndFsync && !j.FsyncOnClose {
		return false
	}
	switch {
	case s.closeDue:
		s.closeDue, s.ended = false, true
		w.submitSync(OpFlush, forClose)
	default:
		s.closeDue, s.ended = j.FsyncOnClose, !j.FsyncOnClose
		if s.last {
			return w.endSync()
		}
		w.submitSync(OpFlush, forWorkload)
	}
	return true
}

// submitSync issues a flush of kind for purpose.
func (w *worker) submitSync(kind OpKind, purpose opPurpose) {
	op := w.free[len(w.free)-1]
	w.free = w.free[:len(w.free)-1]
	op.Kind, op.Offset, op.Buf, op.Err = kind, 0, op.Buf[:0], nil
	op.submitNs, op.purpose = w.e.now(), purpose
	w.sync.due, w.sync.inFlight, w.sync.last = OpRead, true, true
	w.outstanding++
	w.send(op)
}

// complete records a finished sync: fio counts a sync's latency in its own
// block, not as an I/O of any direction.
func (s *syncState) complete(w *worker, op *Op) {
	s.inFlight = false
	if op.purpose == forWorkload && op.submitNs >= w.rampEndNs {
		s.rec.record(op.completeNs, op.completeNs-op.submitNs, 0, op.Err != nil)
		w.lastNs = max(w.lastNs, op.completeNs) // fio's runtime includes end_fsync
	}
	if op.Err != nil {
		w.recordError(op)
	}
	w.free = append(w.free, op)
}

// syncs reports whether the job issues flushes that fio reports.
func (j *Job) syncs() bool {
	return j.RW.Writes() && (j.FsyncBlocks > 0 || j.FdatasyncBlocks > 0 || j.EndFsync || j.FsyncOnClose)
}
