package workloads

// GapFloor is the shortest completion gap a Result records. Failover
// metrics look for stalls of at least 10 ms, so 1 ms keeps every gap they
// could need while a healthy run records almost none.
const GapFloor int64 = 1e6

// Gap is a stretch of the run clock with no successful completion: Start is
// the last success before it, End the first after it (or the end of the
// run, when I/O never came back).
type Gap struct {
	StartNs int64 `json:"start_ns"`
	EndNs   int64 `json:"end_ns"`
}

// gapTracker records one worker's gaps between successful completions.
type gapTracker struct {
	lastOK int64 // 0: no success yet
	gaps   []Gap
}

// success books a successful completion at run-clock time at. Completions
// may be stamped slightly out of order; only forward progress counts.
func (g *gapTracker) success(at int64) {
	if g.lastOK > 0 && at-g.lastOK >= GapFloor {
		g.gaps = append(g.gaps, Gap{StartNs: g.lastOK, EndNs: at})
	}
	g.lastOK = max(g.lastOK, at)
}

// close records a trailing gap up to the end of the run.
func (g *gapTracker) close(endNs int64) {
	if g.lastOK > 0 && endNs-g.lastOK >= GapFloor {
		g.gaps = append(g.gaps, Gap{StartNs: g.lastOK, EndNs: endNs})
	}
}

// IntersectGaps returns the stretches when none of the workers completed
// anything: a job is stalled only while all its workers are. Each list is
// sorted and non-overlapping.
func IntersectGaps(lists [][]Gap) []Gap {
	if len(lists) == 0 {
		return nil
	}
	out := lists[0]
	for _, l := range lists[1:] {
		var next []Gap
		i, j := 0, 0
		for i < len(out) && j < len(l) {
			s, e := max(out[i].StartNs, l[j].StartNs), min(out[i].EndNs, l[j].EndNs)
			if e-s >= GapFloor {
				next = append(next, Gap{StartNs: s, EndNs: e})
			}
			if out[i].EndNs < l[j].EndNs {
				i++
			} else {
				j++
			}
		}
		out = next
	}
	return out
}
