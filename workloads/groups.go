package workloads

import (
	"fmt"
	"sort"
)

// Entry is one entry of fio's report: a job with its clones merged or,
// with group_reporting, the jobs of a reporting group merged.
type Entry struct {
	JobResult
	// Workers is how many workers (clones of every merged job) it counts.
	Workers int
}

// Reported returns the entries fio reports for r's jobs, by fio's rule: a
// job with group_reporting joins the entry before it when that entry is of
// the same reporting group; any other job starts its own. So
// group_reporting in [global] reports each group as one entry. A merged
// entry keeps its first job's name and settings; I/Os, bytes and errors
// add up, its runtime is its longest member's (so IOPS and bandwidth are
// the group's total over that time, as fio computes them), and latency
// histograms and interval series merge.
func (r *Result) Reported() ([]Entry, error) {
	var out []Entry
	for i, j := range r.Jobs {
		if i > 0 && j.Job.GroupReporting && j.Group == r.Jobs[i-1].Group {
			if err := out[len(out)-1].merge(&j); err != nil {
				return nil, fmt.Errorf("group %d, job %q: %w", j.Group, j.Name, err)
			}
			continue
		}
		if j.Sync != nil {
			c := *j.Sync // merged into: not the Result's
			j.Sync = &c
		}
		out = append(out, Entry{JobResult: j, Workers: j.Job.NumJobs})
	}
	return out, nil
}

func (e *Entry) merge(j *JobResult) error {
	e.Workers += j.Job.NumJobs
	e.StartNs, e.EndNs = min(e.StartNs, j.StartNs), max(e.EndNs, j.EndNs)
	for d := range numDirs {
		if err := mergeDirResult(e.Dir(d), j.Dir(d)); err != nil {
			return err
		}
	}
	if j.Sync != nil {
		if e.Sync == nil {
			e.Sync = &DirResult{}
		}
		if err := mergeDirResult(e.Sync, j.Sync); err != nil {
			return err
		}
	}
	e.ZoneResets += j.ZoneResets
	e.Verify = mergeVerify(e.Verify, j.Verify)
	e.Gaps = IntersectGaps([][]Gap{e.Gaps, j.Gaps})
	return nil
}

func mergeDirResult(dst, src *DirResult) error {
	// A job's runtime counts in the directions it did I/O in, as in fio.
	switch {
	case !src.ran():
	case !dst.ran():
		dst.RuntimeNs = src.RuntimeNs
	default:
		dst.RuntimeNs = max(dst.RuntimeNs, src.RuntimeNs)
	}
	dst.IOs += src.IOs
	dst.Bytes += src.Bytes
	dst.Errors += src.Errors
	lat, err := mergeLatency(dst.Latency, src.Latency)
	if err != nil {
		return err
	}
	dst.Latency = lat
	if dst.Prios, err = mergePrios(dst.Prios, src.Prios); err != nil {
		return err
	}
	if dst.Series, err = mergeIntervals(dst.Series, src.Series); err != nil {
		return err
	}
	dst.LatencySeries, err = mergeIntervals(dst.LatencySeries, src.LatencySeries)
	return err
}

// mergeIntervals sums two series of one grid entry by entry.
func mergeIntervals(a, b []Interval) ([]Interval, error) {
	byStart := make(map[int64]Interval, len(a)+len(b))
	for _, s := range [][]Interval{a, b} {
		for _, iv := range s {
			m := byStart[iv.StartNs]
			m.StartNs = iv.StartNs
			m.IOs, m.Bytes, m.Errors = m.IOs+iv.IOs, m.Bytes+iv.Bytes, m.Errors+iv.Errors
			var err error
			if m.Latency, err = mergeLatency(m.Latency, iv.Latency); err != nil {
				return nil, err
			}
			byStart[iv.StartNs] = m
		}
	}
	if len(byStart) == 0 {
		return a[:0:0], nil
	}
	out := make([]Interval, 0, len(byStart))
	for _, iv := range byStart {
		out = append(out, iv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartNs < out[j].StartNs })
	return out, nil
}

func mergeLatency(a, b Latency) (Latency, error) {
	if b.N == 0 {
		return a, nil
	}
	if a.N == 0 {
		return b, nil
	}
	ha, err := a.Histogram()
	if err != nil {
		return a, err
	}
	hb, err := b.Histogram()
	if err != nil {
		return a, err
	}
	ha.Merge(hb)
	return summarize(ha)
}

func mergeVerify(a, b *VerifyResult) *VerifyResult {
	switch {
	case b == nil:
		return a
	case a == nil:
		c := *b
		return &c
	}
	m := *a
	m.Blocks += b.Blocks
	m.OK += b.OK
	m.NeverWritten += b.NeverWritten
	m.LostBlocks += b.LostBlocks
	m.CorruptBlocks += b.CorruptBlocks
	m.LostWrites += b.LostWrites
	m.ReadsChecked += b.ReadsChecked
	m.StaleReads += b.StaleReads
	m.CorruptReads += b.CorruptReads
	m.FinalPass = a.FinalPass && b.FinalPass
	m.Offenders = append(append([]Offender(nil), a.Offenders...), b.Offenders...)
	m.Offenders = m.Offenders[:min(len(m.Offenders), maxOffenders)]
	return &m
}

// GroupStats is one reporting group's totals, fio's "Run status group"
// lines.
type GroupStats struct {
	Group int
	Read  GroupDir
	Write GroupDir
	Trim  GroupDir
}

// Dir returns the totals of one direction.
func (g *GroupStats) Dir(d Direction) *GroupDir {
	switch d {
	case DirWrite:
		return &g.Write
	case DirTrim:
		return &g.Trim
	}
	return &g.Read
}

// GroupDir is one direction of a reporting group: the sums of its entries,
// the shortest and longest entry runtime, and the slowest and fastest
// entry bandwidth (bytes/s).
type GroupDir struct {
	Entries                    int // entries that did I/O in this direction
	IOs, Bytes                 int64
	MinRuntimeNs, MaxRuntimeNs int64
	MinBW, MaxBW               float64
}

// BW is the group's aggregate bandwidth, fio's: every byte of the group
// over its longest runtime.
func (g *GroupDir) BW() float64 { return perSecond(g.Bytes, g.MaxRuntimeNs) }

// IOPS is the group's aggregate IOPS over its longest runtime.
func (g *GroupDir) IOPS() float64 { return perSecond(g.IOs, g.MaxRuntimeNs) }

// Groups sums the reported entries by reporting group, in group order; a
// direction counts an entry only when it did I/O in that direction.
func Groups(entries []Entry) []GroupStats {
	var out []GroupStats
	for _, e := range entries {
		if len(out) == 0 || out[len(out)-1].Group != e.Group {
			out = append(out, GroupStats{Group: e.Group})
		}
		g := &out[len(out)-1]
		for d := range numDirs {
			src, dst := e.Dir(d), g.Dir(d)
			if !src.ran() {
				continue
			}
			if dst.Entries == 0 {
				dst.MinRuntimeNs, dst.MinBW = src.RuntimeNs, src.BW()
			}
			dst.Entries++
			dst.IOs += src.IOs
			dst.Bytes += src.Bytes
			dst.MinRuntimeNs, dst.MaxRuntimeNs = min(dst.MinRuntimeNs, src.RuntimeNs), max(dst.MaxRuntimeNs, src.RuntimeNs)
			dst.MinBW, dst.MaxBW = min(dst.MinBW, src.BW()), max(dst.MaxBW, src.BW())
		}
	}
	return out
}

// ran reports whether the direction saw any I/O.
func (d *DirResult) ran() bool { return d.IOs > 0 || d.Errors > 0 }
