package live

import (
	"time"
)

// Snapshot is the state of a run at one moment, what the progress line
// shows.
type Snapshot struct {
	// Elapsed is the time since Begin (0 before), Total the expected
	// length (0: unknown).
	Elapsed, Total time.Duration
	Workloads      []WorkloadStats
	// Faults lists the faults active now.
	Faults []FaultState
	Paths  []PathState
	// Finished is set once Finish was called with a judged result; Pass
	// is then its verdict.
	Finished, Pass bool
}

// WorkloadStats are one workload's rates over the last RecentWindow and
// its totals since the start (warmup included).
type WorkloadStats struct {
	Name, Volume string
	IOPS, BW     float64 // per second
	P99          time.Duration
	IOs, Errors  int64
}

// FaultState is one active fault.
type FaultState struct {
	Kind, Node string
}

// PathState is the last known state of one host path.
type PathState struct {
	Volume, Path, State string
}

// Snapshot returns the current state.
func (r *Run) Snapshot() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var s Snapshot
	if !r.begun.IsZero() {
		s.Elapsed, s.Total = now.Sub(r.begun), r.total
	}
	s.Finished, s.Pass = r.finished, r.pass
	for _, w := range r.workloads {
		s.Workloads = append(s.Workloads, r.stats(w, now))
	}
	for _, f := range r.faults {
		if f.active > 0 {
			s.Faults = append(s.Faults, FaultState{Kind: f.kind, Node: f.node})
		}
	}
	for _, p := range r.paths {
		s.Paths = append(s.Paths, PathState{Volume: p.volume, Path: p.addr, State: p.state})
	}
	return s
}

// stats computes a workload's recent rates: the complete intervals of the
// last RecentWindow before now, or fewer at the start of the run; r.mu is
// held.
func (r *Run) stats(w *workload, now time.Time) WorkloadStats {
	st := WorkloadStats{Name: w.name, Volume: w.volume}
	for _, d := range w.dirs {
		st.IOs, st.Errors = st.IOs+d.ios, st.Errors+d.errs
	}
	if r.interval == 0 || w.firstIdx < 0 || r.clock.IsZero() {
		return st
	}
	span := min(max(int64(RecentWindow)/r.interval, 1), ringSize-2)
	to := int64(now.Sub(r.clock)) / r.interval // the interval still open
	from := max(to-span, w.firstIdx)
	if to <= from {
		return st
	}
	ios, bytes, _ := w.ring.window(from, to, r.scratch)
	secs := float64((to-from)*r.interval) / 1e9
	st.IOPS, st.BW = float64(ios)/secs, float64(bytes)/secs
	if r.scratch.TotalCount() > 0 {
		st.P99 = time.Duration(r.scratch.ValueAtQuantile(99))
	}
	return st
}
