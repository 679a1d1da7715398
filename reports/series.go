package reports

import "fmt"

// Series is a workload's per-interval record: interval i covers
// [StartNs + i*IntervalNs, StartNs + (i+1)*IntervalNs) and counts the I/Os
// that completed in it. It is stored column-wise: a one-hour run at 100 ms
// is 36,000 intervals, and a column of numbers is a third the size of the
// same data as objects and is what a plot wants.
type Series struct {
	StartNs    int64     `json:"startNs"`
	IntervalNs int64     `json:"intervalNs"`
	Read       DirSeries `json:"read"`
	Write      DirSeries `json:"write"`
}

// DirSeries is one direction's columns, all of the same length. The latency
// columns are that interval's percentiles of successful I/Os (0 when none),
// for plots; windows take their percentiles from Histograms instead.
type DirSeries struct {
	IOs    []int64 `json:"ios"`
	Bytes  []int64 `json:"bytes"`
	Errors []int64 `json:"errors"`
	P50Ns  []int64 `json:"p50Ns"`
	P90Ns  []int64 `json:"p90Ns"`
	P99Ns  []int64 `json:"p99Ns"`
	P999Ns []int64 `json:"p999Ns"`
	MaxNs  []int64 `json:"maxNs"`
}

// IntervalStats is one interval of one direction, as a row.
type IntervalStats struct {
	IOs, Bytes, Errors                 int64
	P50Ns, P90Ns, P99Ns, P999Ns, MaxNs int64
}

// Len is the number of intervals.
func (d *DirSeries) Len() int { return len(d.IOs) }

// Append adds one interval at the end.
func (d *DirSeries) Append(s IntervalStats) {
	d.IOs = append(d.IOs, s.IOs)
	d.Bytes = append(d.Bytes, s.Bytes)
	d.Errors = append(d.Errors, s.Errors)
	d.P50Ns = append(d.P50Ns, s.P50Ns)
	d.P90Ns = append(d.P90Ns, s.P90Ns)
	d.P99Ns = append(d.P99Ns, s.P99Ns)
	d.P999Ns = append(d.P999Ns, s.P999Ns)
	d.MaxNs = append(d.MaxNs, s.MaxNs)
}

// At returns interval i as a row; i must be below Len.
func (d *DirSeries) At(i int) IntervalStats {
	return IntervalStats{IOs: d.IOs[i], Bytes: d.Bytes[i], Errors: d.Errors[i],
		P50Ns: d.P50Ns[i], P90Ns: d.P90Ns[i], P99Ns: d.P99Ns[i], P999Ns: d.P999Ns[i], MaxNs: d.MaxNs[i]}
}

func (d *DirSeries) validate() error {
	n := len(d.IOs)
	cols := map[string][]int64{"bytes": d.Bytes, "errors": d.Errors, "p50Ns": d.P50Ns,
		"p90Ns": d.P90Ns, "p99Ns": d.P99Ns, "p999Ns": d.P999Ns, "maxNs": d.MaxNs}
	for name, c := range cols {
		if len(c) != n {
			return fmt.Errorf("column %s has %d entries, ios has %d", name, len(c), n)
		}
	}
	for i, v := range d.IOs {
		if v < 0 || d.Bytes[i] < 0 || d.Errors[i] < 0 {
			return fmt.Errorf("interval %d: negative count", i)
		}
	}
	return nil
}

// Len is the number of intervals; Read and Write must agree on it.
func (s *Series) Len() int { return s.Read.Len() }

// EndNs is the end of the last interval.
func (s *Series) EndNs() int64 { return s.StartNs + int64(s.Len())*s.IntervalNs }

func (s *Series) validate() error {
	if s.Len() > 0 && s.IntervalNs <= 0 {
		return fmt.Errorf("intervalNs %d: want > 0", s.IntervalNs)
	}
	if err := s.Read.validate(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if err := s.Write.validate(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if s.Read.Len() != s.Write.Len() {
		return fmt.Errorf("read has %d intervals, write %d", s.Read.Len(), s.Write.Len())
	}
	return nil
}

// Histograms are a workload's latency histograms on a fixed grid of slots:
// slot i covers [StartNs + i*SlotNs, StartNs + (i+1)*SlotNs). Each entry is
// an HdrHistogram (1 µs..60 s, 3 significant digits, values in ns) in the
// standard V2 compressed base64 form, "" when the slot had no successful I/O.
//
// Why a grid and not one histogram per window: windows are only known after
// the run (recovery ends when IOPS are steady again; the baseline ends at a
// fault the recorder does not know about), so the record keeps the raw
// distribution on a time grid and windows merge the slots they cover.
// Slots are coarser than series intervals (1 s is the recorder's default)
// because a decoded histogram costs tens of microseconds and an encoded one
// hundreds of bytes: at 1 s a one-hour run stays a few MB and its metrics
// compute in well under a second, while the series keeps 100 ms
// percentiles for plots. A long run's recorder widens its latency grid to
// stay bounded in memory (workloads.Result.LatencyIntervalNs): slots are
// then that width, and the series' percentile columns repeat it across
// the intervals it covers.
type Histograms struct {
	StartNs int64    `json:"startNs"`
	SlotNs  int64    `json:"slotNs"`
	Read    []string `json:"read"`
	Write   []string `json:"write"`
}

// Len is the number of slots.
func (h *Histograms) Len() int { return len(h.Read) }

func (h *Histograms) validate() error {
	if h.Len() > 0 && h.SlotNs <= 0 {
		return fmt.Errorf("slotNs %d: want > 0", h.SlotNs)
	}
	if len(h.Read) != len(h.Write) {
		return fmt.Errorf("read has %d slots, write %d", len(h.Read), len(h.Write))
	}
	return nil
}
