package reports

import "sort"

// MergeGaps returns the completion gaps of several completion streams taken
// together (a workload's workers), from each stream's own gaps over the
// same floor: the workload has no completion exactly when no stream has
// one, so its gaps are the intersections of the streams' gaps, kept when
// longer than floor. Recording per worker this way needs no shared state
// on the I/O path, and is exact: a merged gap longer than floor lies inside
// a gap of every stream, each at least as long and so recorded.
//
// Each stream must cover the whole record: a worker that started late or
// stopped early records an Open-ended or leading gap for that stretch.
// The result is in time order; a merged gap is Open only when every
// stream's is.
func MergeGaps(floor int64, streams ...[]Gap) []Gap {
	if len(streams) == 0 {
		return nil
	}
	cur := append([]Gap(nil), streams[0]...)
	sortGaps(cur)
	for _, s := range streams[1:] {
		other := append([]Gap(nil), s...)
		sortGaps(other)
		cur = intersectGaps(cur, other)
	}
	out := cur[:0]
	for _, g := range cur {
		if g.EndNs-g.StartNs > floor {
			out = append(out, g)
		}
	}
	return out
}

func sortGaps(gs []Gap) {
	sort.Slice(gs, func(i, j int) bool { return gs[i].StartNs < gs[j].StartNs })
}

// intersectGaps intersects two sorted lists of disjoint gaps.
func intersectGaps(a, b []Gap) []Gap {
	var out []Gap
	for i, j := 0, 0; i < len(a) && j < len(b); {
		s, e := max(a[i].StartNs, b[j].StartNs), min(a[i].EndNs, b[j].EndNs)
		if s < e {
			out = append(out, Gap{StartNs: s, EndNs: e, Open: a[i].Open && b[j].Open})
		}
		if a[i].EndNs < b[j].EndNs {
			i++
		} else {
			j++
		}
	}
	return out
}
