package workloads

import (
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Result is everything an engine run recorded, as plain data: it is what
// results.json carries, and reports are computed from it alone. Every *Ns
// field is nanoseconds on the run clock (since the start time given with
// WithStart), the clock fault events share.
type Result struct {
	// StartNs is when the workers were released; MeasureNs when the ramp
	// ended and recording began; EndNs when the last workload I/O completed.
	StartNs   int64 `json:"start_ns"`
	MeasureNs int64 `json:"measure_ns"`
	EndNs     int64 `json:"end_ns"`
	// IntervalNs is the length of each Series entry, LatencyIntervalNs of
	// each LatencySeries entry (a power-of-two multiple of IntervalNs).
	// Both start at the recording interval and double as a long run fills
	// the recorder's bounded memory (see dirRecorder).
	IntervalNs        int64       `json:"interval_ns"`
	LatencyIntervalNs int64       `json:"latency_interval_ns"`
	Jobs              []JobResult `json:"jobs"`
	// Errors is the flat record of failed I/Os, in completion order, at most
	// maxErrorEvents of them; ErrorsDropped counts the ones left out.
	Errors        []ErrorEvent `json:"errors,omitempty"`
	ErrorsDropped int64        `json:"errors_dropped,omitempty"`
	// Notes are the backend's remarks on how it ran (e.g. no O_DIRECT).
	Notes []string `json:"notes,omitempty"`
	// Cancelled is true when the context ended the run early.
	Cancelled bool `json:"cancelled,omitempty"`
}

// JobResult is one job's record, its NumJobs workers merged.
type JobResult struct {
	Name string `json:"name"`
	Job  Job    `json:"job"`
	// Group is fio's reporting group: a stonewall or new_group starts the
	// next one.
	Group int `json:"group"`
	// StartNs is when the job's workers started (after the jobs it waits
	// for and its startdelay), EndNs when the last of them stopped.
	StartNs int64 `json:"start_ns"`
	EndNs   int64 `json:"end_ns"`
	// Read, Write and Trim are indexed like Direction.
	Read  DirResult `json:"read"`
	Write DirResult `json:"write"`
	Trim  DirResult `json:"trim,omitzero"`
	// Sync is the flushes fsync=, fdatasync= and end_fsync issued (fio's
	// sync block: a count and latencies, no bytes); nil when none was asked.
	Sync *DirResult `json:"sync,omitempty"`
	// Verify is nil when the job does not verify.
	Verify *VerifyResult `json:"verify,omitempty"`
	// Gaps are the stretches of at least GapFloor when none of the job's
	// workers completed an I/O successfully: what failover_time and
	// io_pause are computed from, at completion-time precision.
	Gaps []Gap `json:"gaps,omitempty"`
	// GapFloorNs is the shortest gap Gaps holds: GapFloor, or more when a
	// worker saw so many gaps that it raised its floor (see maxGaps).
	GapFloorNs int64 `json:"gap_floor_ns,omitempty"`
	// SteadyState is set when the job watched for steady state.
	SteadyState *SteadyStateResult `json:"steadystate,omitempty"`
	// Error is why the job stopped in error (ratemin not met, latency
	// target missed at depth 1), "" if it did not; Errno and ErrorFunc are
	// fio's error number and function for it.
	Error     string `json:"error,omitempty"`
	Errno     int    `json:"errno,omitempty"`
	ErrorFunc string `json:"error_func,omitempty"`
	// LatencyDepth is the queue depth latency_target's search settled on
	// (the smallest of the job's workers); 0 without latency_target.
	LatencyDepth int `json:"latency_depth,omitempty"`
	// ZoneResets counts the zones a zonemode=zbd job reset (full before a
	// write, garbage collection, trims), as fio's zone_resets.
	ZoneResets int64 `json:"zone_resets,omitempty"`
	// Logs are the samples of the fio log files the job asked for, one per
	// worker; WriteFioLogs writes them. Not part of the saved record.
	Logs []WorkerLog `json:"-"`
}

// Dir returns the result of one direction.
func (j *JobResult) Dir(d Direction) *DirResult {
	switch d {
	case DirWrite:
		return &j.Write
	case DirTrim:
		return &j.Trim
	}
	return &j.Read
}

// DirResult is one direction of one job over the measured part of the run.
type DirResult struct {
	IOs    int64 `json:"ios"`
	Bytes  int64 `json:"bytes"`
	Errors int64 `json:"errors"`
	// RuntimeNs is the measured time: from MeasureNs to the job's last completion.
	RuntimeNs int64 `json:"runtime_ns"`
	// Latency is submit→complete of the successful I/Os of the whole run.
	Latency Latency `json:"latency"`
	// Series has one entry per interval from MeasureNs to EndNs, gaps
	// included: counts only. LatencySeries is the same span on the
	// latency grid (Result.LatencyIntervalNs), with counts and latency.
	Series        []Interval `json:"series"`
	LatencySeries []Interval `json:"latency_series,omitempty"`
	// Prios splits Latency by I/O priority for jobs with cmdprio options.
	Prios []PrioLatency `json:"prios,omitempty"`
}

// IOPS is completions per second over the measured runtime.
func (d *DirResult) IOPS() float64 { return perSecond(d.IOs, d.RuntimeNs) }

// BW is bytes per second over the measured runtime.
func (d *DirResult) BW() float64 { return perSecond(d.Bytes, d.RuntimeNs) }

func perSecond(n, ns int64) float64 {
	if ns <= 0 {
		return 0
	}
	return float64(n) * 1e9 / float64(ns)
}

// Interval is one interval of a direction's series: the I/Os that completed
// in [StartNs, StartNs+IntervalNs) (LatencyIntervalNs in LatencySeries,
// the only series whose entries carry Latency).
type Interval struct {
	StartNs int64   `json:"start_ns"`
	IOs     int64   `json:"ios"`
	Bytes   int64   `json:"bytes"`
	Errors  int64   `json:"errors"`
	Latency Latency `json:"latency,omitzero"`
}

// Latency summarises a latency histogram and carries it whole, so windows
// can be merged exactly after the fact.
type Latency struct {
	N        int64   `json:"n"`
	MinNs    int64   `json:"min_ns"`
	MaxNs    int64   `json:"max_ns"`
	MeanNs   float64 `json:"mean_ns"`
	StddevNs float64 `json:"stddev_ns"`
	P50Ns    int64   `json:"p50_ns"`
	P90Ns    int64   `json:"p90_ns"`
	P99Ns    int64   `json:"p99_ns"`
	P999Ns   int64   `json:"p99_9_ns"`
	P9999Ns  int64   `json:"p99_99_ns"`
	// HDR is the histogram in the standard HdrHistogram V2 compressed,
	// base64 form (values in ns); empty when N is 0.
	HDR string `json:"hdr,omitempty"`
}

// Histogram decodes HDR; an empty Latency gives an empty histogram.
func (l *Latency) Histogram() (*hdr.Histogram, error) {
	if l.HDR == "" {
		return newLatencyHistogram(), nil
	}
	h, err := hdr.Decode([]byte(l.HDR))
	if err != nil {
		return nil, fmt.Errorf("latency histogram: %w", err)
	}
	return h, nil
}

// Latency histograms span 1 µs to 60 s with 3 significant digits (as
// reports reads them); values are recorded in nanoseconds and clamped into that range.
const (
	latencyLowest  = int64(time.Microsecond)
	latencyHighest = int64(60 * time.Second)
	latencyDigits  = 3
)

func newLatencyHistogram() *hdr.Histogram {
	return hdr.New(latencyLowest, latencyHighest, latencyDigits)
}

func newPackedLatency() *hdr.PackedHistogram {
	return hdr.NewPacked(latencyLowest, latencyHighest, latencyDigits)
}

// ErrorEvent is one failed I/O.
type ErrorEvent struct {
	AtNs   int64  `json:"at_ns"` // completion time
	Job    string `json:"job"`
	Worker int    `json:"worker"`
	Dir    string `json:"dir"`
	Offset int64  `json:"offset"`
	Len    int    `json:"len"`
	Err    string `json:"error"`
}

// maxErrorEvents bounds the error record of a run: a dead target fails
// every I/O, and the first ones say what happened.
const maxErrorEvents = 1000

// JobErrors lists the jobs that stopped in error, as "job: why".
func (r *Result) JobErrors() []string {
	var out []string
	for _, j := range r.Jobs {
		if j.Error != "" {
			out = append(out, j.Name+": "+j.Error)
		}
	}
	return out
}

// VerifyFailures sums what verification found wrong over all jobs: a
// non-zero value means data was lost or damaged.
func (r *Result) VerifyFailures() int64 {
	var n int64
	for _, j := range r.Jobs {
		if v := j.Verify; v != nil {
			n += v.LostWrites + v.LostBlocks + v.CorruptBlocks + v.StaleReads + v.CorruptReads
		}
	}
	return n
}
