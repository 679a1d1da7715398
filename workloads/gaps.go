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

// maxGaps bounds one worker's gap record (16 bytes a gap). A loaded host
// sees millisecond hiccups by the hundred a second, so an hour at
// GapFloor would grow without bound; past maxGaps the worker's floor
// doubles and the shorter gaps go. Stalls that failover metrics judge
// (10 ms and more) are rare enough to stay: the floor reaches them only
// after maxGaps of them, and the Result says where it ended (GapFloorNs).
const maxGaps = 4096

// gapTracker records one worker's gaps between successful completions.
type gapTracker struct {
	lastOK int64 // 0: no success yet
	floor  int64 // shortest gap kept; 0 means GapFloor
	gaps   []Gap
}

// success books a successful completion at run-clock time at. Completions
// may be stamped slightly out of order; only forward progress counts.
func (g *gapTracker) success(at int64) {
	if g.lastOK > 0 && at-g.lastOK >= g.minGap() {
		g.add(Gap{StartNs: g.lastOK, EndNs: at})
	}
	g.lastOK = max(g.lastOK, at)
}

// close records a trailing gap up to the end of the run.
func (g *gapTracker) close(endNs int64) {
	if g.lastOK > 0 && endNs-g.lastOK >= g.minGap() {
		g.add(Gap{StartNs: g.lastOK, EndNs: endNs})
	}
}

func (g *gapTracker) minGap() int64 { return max(g.floor, GapFloor) }

// add keeps a gap, raising the floor while the record is over maxGaps.
func (g *gapTracker) add(gap Gap) {
	g.gaps = append(g.gaps, gap)
	for len(g.gaps) > maxGaps {
		g.floor = 2 * g.minGap()
		g.gaps = DropShortGaps(g.gaps, g.floor)
	}
}

// DropShortGaps removes, in place, the gaps shorter than floor: gap lists
// recorded with different floors are compared at the highest.
func DropShortGaps(gaps []Gap, floor int64) []Gap {
	out := gaps[:0]
	for _, g := range gaps {
		if g.EndNs-g.StartNs >= floor {
			out = append(out, g)
		}
	}
	clear(gaps[len(out):])
	return out
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
