package workloads

import (
	"fmt"
	"strconv"
	"strings"
)

// Unified is fio's unified_rw_reporting: how reads and writes are reported.
type Unified uint8

const (
	// UnifiedNone reports reads and writes apart (none, 0).
	UnifiedNone Unified = iota
	// UnifiedMixed reports them summed as one "mixed" direction (mixed, 1).
	UnifiedMixed
	// UnifiedBoth reports them apart and summed (both, 2).
	UnifiedBoth
)

// ReportOptions are the options that change how a job's results are
// reported, not how it runs.
type ReportOptions struct {
	// Percentiles replaces fio's default percentile_list.
	Percentiles []float64 `json:"percentile_list,omitempty"`
	// NoClatPercentiles is clat_percentiles=0; LatPercentiles is
	// lat_percentiles=1. The engine times from submission, so both report
	// the same latencies, as fio's lat would.
	NoClatPercentiles bool    `json:"no_clat_percentiles,omitempty"`
	LatPercentiles    bool    `json:"lat_percentiles,omitempty"`
	Unified           Unified `json:"unified_rw_reporting,omitempty"`
	// bins adds json+'s latency bins: an output format, not a job option.
	bins bool
}

// maxPercentiles is fio's limit on percentile_list entries.
const maxPercentiles = 20

func (o ReportOptions) percentiles() []float64 {
	if len(o.Percentiles) > 0 {
		return o.Percentiles
	}
	return fioPercentiles
}

// parsePercentiles reads percentile_list=99:99.9:...: at most 20 values in
// [0, 100].
func parsePercentiles(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ":") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v > 100 {
			return nil, fmt.Errorf("%q: want percentages between 0 and 100, ':' separated", p)
		}
		out = append(out, v)
	}
	if len(out) > maxPercentiles {
		return nil, fmt.Errorf("%d percentiles: at most %d", len(out), maxPercentiles)
	}
	return out, nil
}

func parseUnified(s string) (Unified, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none", "0":
		return UnifiedNone, nil
	case "mixed", "1":
		return UnifiedMixed, nil
	case "both", "2":
		return UnifiedBoth, nil
	}
	return 0, fmt.Errorf("%q: want none, mixed or both (0, 1, 2)", s)
}
