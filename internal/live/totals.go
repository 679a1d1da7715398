package live

import hdr "github.com/HdrHistogram/hdrhistogram-go"

// Totals are a run's counters since its start, warmup included: what the
// Prometheus output (reports/prom) exposes at each scrape.
type Totals struct {
	Workloads []WorkloadTotals
	// Faults lists every kind and node seen, injected now or recovered.
	Faults []FaultTotals
	Paths  []PathState
	// Finished is set once the run was judged; Pass is then its verdict.
	Finished, Pass bool
}

// WorkloadTotals are one workload's counters, by direction.
type WorkloadTotals struct {
	Name, Volume string
	Read, Write  DirTotals
}

// DirTotals are one direction's counters.
type DirTotals struct {
	IOs, Bytes, Errors int64
	// Latency holds every successful I/O's latency in ns: a copy, the
	// caller's to keep.
	Latency *hdr.Histogram
}

// FaultTotals is one kind of fault on one node.
type FaultTotals struct {
	Kind, Node string
	Active     bool
}

// Totals returns the counters now.
func (r *Run) Totals() Totals {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := Totals{Finished: r.finished, Pass: r.pass}
	for _, w := range r.workloads {
		wt := WorkloadTotals{Name: w.name, Volume: w.volume}
		for d, into := range []*DirTotals{&wt.Read, &wt.Write} {
			src := &w.dirs[d]
			*into = DirTotals{IOs: src.ios, Bytes: src.bytes, Errors: src.errs, Latency: newHist()}
			into.Latency.Merge(src.latency)
		}
		t.Workloads = append(t.Workloads, wt)
	}
	for _, f := range r.faults {
		t.Faults = append(t.Faults, FaultTotals{Kind: f.kind, Node: f.node, Active: f.active > 0})
	}
	for _, p := range r.paths {
		t.Paths = append(t.Paths, PathState{Volume: p.volume, Path: p.addr, State: p.state})
	}
	return t
}
