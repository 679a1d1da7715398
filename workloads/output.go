package workloads

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// FioOutput is fio's --output-format=json layout, for the fields nvmf-chaos
// measures, so existing fio parsers and dashboards read our results. Jobs are
// reported per job section with their clones merged, and per reporting group
// with group_reporting (see Result.Reported).
type FioOutput struct {
	FioVersion  string   `json:"fio version"`
	Timestamp   int64    `json:"timestamp"`
	TimestampMs int64    `json:"timestamp_ms"`
	Time        string   `json:"time"`
	Jobs        []FioJob `json:"jobs"`
}

// FioJob is one entry of fio's "jobs" array.
type FioJob struct {
	JobName    string            `json:"jobname"`
	GroupID    int               `json:"groupid"`
	Error      int               `json:"error"`
	Elapsed    int64             `json:"elapsed"` // seconds
	JobOptions map[string]string `json:"job options"`
	// Read, Write and Trim are absent with unified_rw_reporting=mixed,
	// which reports Mixed alone; =both reports all four.
	Read  *FioDir `json:"read,omitempty"`
	Write *FioDir `json:"write,omitempty"`
	Trim  *FioDir `json:"trim,omitempty"`
	Mixed *FioDir `json:"mixed,omitempty"`
	// Sync is fio's block of fsync/fdatasync latencies.
	Sync       *FioSync `json:"sync,omitempty"`
	JobRuntime int64    `json:"job_runtime"` // ms
	// The latency_target search's outcome, as fio prints it (target in
	// ns, window in µs).
	LatencyDepth int `json:"latency_depth,omitempty"`
	// ZoneResets is fio's count of a zonemode=zbd job's zone resets.
	ZoneResets        *int64  `json:"zone_resets,omitempty"`
	LatencyTarget     int64   `json:"latency_target,omitempty"`
	LatencyTargetNs   int64   `json:"latency_target_ns,omitempty"`
	LatencyPercentile float64 `json:"latency_percentile,omitempty"`
	LatencyWindow     int64   `json:"latency_window,omitempty"`
	LatencyWindowUs   int64   `json:"latency_window_us,omitempty"`
	// SteadyState is whether the job reached steady state.
	SteadyState *SteadyStateResult `json:"steadystate,omitempty"`
	// Verify is nvmf-chaos's own: fio has no lost-write accounting.
	Verify *VerifyResult `json:"nvmf_chaos_verify,omitempty"`
}

// FioDir is fio's per-direction block. bw is KiB/s and runtime ms, as in fio.
type FioDir struct {
	IOBytes  int64   `json:"io_bytes"`
	IOKBytes int64   `json:"io_kbytes"`
	BWBytes  int64   `json:"bw_bytes"`
	BW       int64   `json:"bw"`
	IOPS     float64 `json:"iops"`
	Runtime  int64   `json:"runtime"`
	TotalIOs int64   `json:"total_ios"`
	ShortIOs int64   `json:"short_ios"`
	DropIOs  int64   `json:"drop_ios"`
	SlatNs   FioLat  `json:"slat_ns"`
	ClatNs   FioLat  `json:"clat_ns"`
	LatNs    FioLat  `json:"lat_ns"`
	// Prios is fio's per-priority latency, with two priorities or more.
	Prios []FioPrio `json:"prios,omitempty"`
}

// FioSync is fio's "sync" block: the flushes issued and their latency.
type FioSync struct {
	TotalIOs int64  `json:"total_ios"`
	LatNs    FioLat `json:"lat_ns"`
}

// FioLat is fio's latency block; Percentile keys are formatted like fio's
// ("99.900000").
type FioLat struct {
	Min        int64            `json:"min"`
	Max        int64            `json:"max"`
	Mean       float64          `json:"mean"`
	Stddev     float64          `json:"stddev"`
	N          int64            `json:"N"`
	Percentile map[string]int64 `json:"percentile,omitempty"`
	// Bins are json+'s latency buckets: fio's bucket value in ns → count.
	Bins map[string]int64 `json:"bins,omitempty"`
}

// fioPercentiles are fio's default percentile_list.
var fioPercentiles = []float64{1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99}

// FioVersionString names the producer in the "fio version" field.
const FioVersionString = "nvmf-chaos (fio-3 compatible)"

// ToFio converts a Result to fio's JSON layout. The engine measures
// submit→complete, which is both fio's clat and (with no separate
// submission latency) its lat; slat is reported as zero.
func ToFio(r *Result, at time.Time) (*FioOutput, error) { return toFio(r, at, false) }

// ToFioPlus is ToFio with json+'s latency bins in each latency block that
// has percentiles.
func ToFioPlus(r *Result, at time.Time) (*FioOutput, error) { return toFio(r, at, true) }

func toFio(r *Result, at time.Time, plus bool) (*FioOutput, error) {
	out := &FioOutput{FioVersion: FioVersionString, Timestamp: at.Unix(), TimestampMs: at.UnixMilli(), Time: at.Format("Mon Jan _2 15:04:05 2006")}
	entries, err := r.Reported()
	if err != nil {
		return nil, err
	}
	for _, j := range entries {
		fj := FioJob{JobName: j.Name, GroupID: j.Group, Elapsed: (j.EndNs - j.StartNs + 5e8) / 1e9, JobOptions: jobOptions(&j.Job), Verify: j.Verify, SteadyState: j.SteadyState}
		if fj.VerifyError() {
			fj.Error = errVerifyFailed
		} else if j.Error != "" {
			fj.Error = j.errno()
		}
		if j.Job.ZBD.On {
			fj.ZoneResets = &j.ZoneResets
		}
		if j.LatencyDepth > 0 {
			jo := &j.Job
			fj.LatencyDepth, fj.LatencyPercentile = j.LatencyDepth, jo.latencyPercentile()
			fj.LatencyTarget, fj.LatencyTargetNs = int64(jo.LatencyTarget), int64(jo.LatencyTarget)
			fj.LatencyWindow, fj.LatencyWindowUs = jo.LatencyWindow.Microseconds(), jo.LatencyWindow.Microseconds()
		}
		rep := j.Job.Report
		rep.bins = plus
		dirs, err := reportedDirs(j, rep.Unified)
		if err != nil {
			return nil, fmt.Errorf("job %q: %w", j.Name, err)
		}
		for _, d := range dirs {
			fd, err := fioDir(&d.r, rep)
			if err != nil {
				return nil, fmt.Errorf("job %q: %w", j.Name, err)
			}
			switch d.name {
			case "read":
				fj.Read = &fd
			case "write":
				fj.Write = &fd
			case "trim":
				fj.Trim = &fd
			case "mixed":
				fj.Mixed = &fd
			}
			fj.JobRuntime = max(fj.JobRuntime, fd.Runtime)
		}
		if rep.Unified != UnifiedMixed {
			if fj.Sync, err = fioSync(j.Sync, rep); err != nil {
				return nil, fmt.Errorf("job %q: %w", j.Name, err)
			}
		}
		out.Jobs = append(out.Jobs, fj)
	}
	return out, nil
}

// errVerifyFailed is the error fio gives a job whose verification failed:
// EILSEQ, "Invalid or incomplete multibyte or wide character".
const errVerifyFailed = 84

// errRateMin is fio's error for a job below ratemin: EIO, from check_min_rate.
const errRateMin = 5

// VerifyError reports whether the job's verification found damage.
func (f *FioJob) VerifyError() bool { return f.Verify != nil && f.Verify.failed() }

// namedDir is one direction block of a report: read, write or mixed.
type namedDir struct {
	name string
	r    DirResult
}

// reportedDirs lists the direction blocks unified_rw_reporting asks for:
// read, write and trim, mixed (all summed) alone, or all four.
func reportedDirs(e Entry, u Unified) ([]namedDir, error) {
	var out []namedDir
	if u != UnifiedMixed {
		out = append(out, namedDir{"read", e.Read}, namedDir{"write", e.Write}, namedDir{"trim", e.Trim})
	}
	if u != UnifiedNone {
		var m DirResult
		for _, d := range []*DirResult{&e.Read, &e.Write, &e.Trim} {
			if err := mergeDirResult(&m, d); err != nil {
				return nil, err
			}
		}
		out = append(out, namedDir{"mixed", m})
	}
	return out, nil
}

func fioDir(d *DirResult, rep ReportOptions) (FioDir, error) {
	f := FioDir{IOBytes: d.Bytes, IOKBytes: d.Bytes >> 10, BWBytes: int64(d.BW()), BW: int64(d.BW()) >> 10, IOPS: d.IOPS(), TotalIOs: d.IOs}
	if d.IOs > 0 || d.Errors > 0 {
		f.Runtime = (d.RuntimeNs + 5e5) / 1e6
	}
	h, err := d.Latency.Histogram()
	if err != nil {
		return f, err
	}
	list := rep.percentiles()
	f.ClatNs = fioLat(h, list, !rep.NoClatPercentiles, rep.bins)
	f.LatNs = fioLat(h, list, rep.LatPercentiles, rep.bins)
	f.Prios, err = fioPrios(d.Prios, rep)
	return f, err
}

// fioSync is fio's sync block of d (nil d: a job that issued no flush, all
// zero as fio prints it). Its percentiles follow clat's or lat's switch.
func fioSync(d *DirResult, rep ReportOptions) (*FioSync, error) {
	if d == nil {
		return &FioSync{}, nil
	}
	h, err := d.Latency.Histogram()
	if err != nil {
		return nil, err
	}
	return &FioSync{TotalIOs: d.IOs, LatNs: fioLat(h, rep.percentiles(), !rep.NoClatPercentiles || rep.LatPercentiles, rep.bins)}, nil
}

func fioLat(h *hdr.Histogram, list []float64, percentiles, bins bool) FioLat {
	if h.TotalCount() == 0 {
		return FioLat{}
	}
	l := FioLat{Min: h.Min(), Max: h.Max(), Mean: h.Mean(), Stddev: h.StdDev(), N: h.TotalCount()}
	if percentiles {
		l.Percentile = make(map[string]int64, len(list))
		for i, v := range h.ValueAtPercentilesSlice(list) {
			l.Percentile[strconv.FormatFloat(list[i], 'f', 6, 64)] = v
		}
		if bins {
			l.Bins = fioBins(h)
		}
	}
	return l
}

// jobOptions lists a job's settings the way fio echoes "job options".
func jobOptions(j *Job) map[string]string {
	o := map[string]string{
		"name": j.Name, "rw": j.RW.String(), "bs": strconv.Itoa(j.BS), "iodepth": strconv.Itoa(j.IODepth),
		"numjobs": strconv.Itoa(j.NumJobs), "size": strconv.FormatInt(j.Size, 10),
	}
	if j.Target != "" {
		o["filename"] = j.Target
	}
	if j.Runtime > 0 {
		o["runtime"] = j.Runtime.String()
	}
	if j.Verify != "" {
		o["verify"] = j.Verify
	}
	return o
}

// WriteJSON writes r in fio's JSON layout.
func WriteJSON(w io.Writer, r *Result, at time.Time) error { return writeJSON(w, r, at, false) }

// WriteJSONPlus writes r in fio's json+ layout: JSON with latency bins.
func WriteJSONPlus(w io.Writer, r *Result, at time.Time) error { return writeJSON(w, r, at, true) }

func writeJSON(w io.Writer, r *Result, at time.Time, plus bool) error {
	out, err := toFio(r, at, plus)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing fio JSON: %w", err)
	}
	return nil
}

// WriteSummary writes a fio-like human summary of r.
func WriteSummary(w io.Writer, r *Result) error {
	var b strings.Builder
	for _, note := range r.AllNotes() {
		fmt.Fprintf(&b, "note: %s\n", note)
	}
	entries, err := r.Reported()
	if err != nil {
		return err
	}
	for _, j := range entries {
		fmt.Fprintf(&b, "%s: (rw=%s, bs=%s, iodepth=%d, jobs=%d, groupid=%d)", j.Name, j.Job.RW, sizeString(int64(j.Job.MinBS())), j.Job.IODepth, j.Workers, j.Group)
		if v := j.Verify; v != nil && v.failed() {
			fmt.Fprintf(&b, ": err=%d (func=verify, error=Invalid or incomplete multibyte or wide character)", errVerifyFailed)
		} else if j.Error != "" {
			fmt.Fprintf(&b, ": err=%d (func=%s, error=%s)", j.errno(), cmpOr(j.ErrorFunc, "check_min_rate"), j.Error)
		}
		b.WriteString("\n")
		if j.LatencyDepth > 0 {
			fmt.Fprintf(&b, "     latency   : target=%s, window=%s, percentile=%.2f%%, depth=%d\n",
				scaleNs(int64(j.Job.LatencyTarget)), scaleNs(int64(j.Job.LatencyWindow)), j.Job.latencyPercentile(), j.LatencyDepth)
		}
		dirs, err := reportedDirs(j, j.Job.Report.Unified)
		if err != nil {
			return fmt.Errorf("job %q: %w", j.Name, err)
		}
		for _, d := range dirs {
			if err := summarizeDir(&b, d, j.Job.Report, zoneStatus(&j.JobResult)); err != nil {
				return fmt.Errorf("job %q: %w", j.Name, err)
			}
		}
		if err := summarizeSync(&b, j.Sync, j.Job.Report); err != nil {
			return fmt.Errorf("job %q: %w", j.Name, err)
		}
		if v := j.Verify; v != nil {
			summarizeVerify(&b, v, &j.Job)
		}
		if ss := j.SteadyState; ss != nil {
			c := j.Job.SteadyState
			fmt.Fprintf(&b, "  steadystate: %s:%g", c.Criterion, c.Limit)
			if c.Percent {
				b.WriteString("%")
			}
			if ss.Attained {
				fmt.Fprintf(&b, " attained at %v\n", time.Duration(ss.AtNs-j.StartNs).Round(time.Millisecond))
			} else {
				b.WriteString(" not attained\n")
			}
		}
	}
	summarizeGroups(&b, Groups(entries))
	if r.Cancelled {
		b.WriteString("run cancelled before its end\n")
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(&b, "I/O errors: %d recorded (first: %s at %v: %s)\n", int64(len(r.Errors))+r.ErrorsDropped, r.Errors[0].Dir, time.Duration(r.Errors[0].AtNs), r.Errors[0].Err)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// zoneStatus is what fio appends to a zoned job's direction lines.
func zoneStatus(j *JobResult) string {
	if !j.Job.ZBD.On {
		return ""
	}
	return fmt.Sprintf("; %d zone resets", j.ZoneResets)
}

func summarizeDir(b *strings.Builder, d namedDir, rep ReportOptions, post string) error {
	r := &d.r
	if r.IOs == 0 && r.Errors == 0 {
		return nil
	}
	fmt.Fprintf(b, "  %s: IOPS=%s, BW=%s/s (%s/%dmsec), errors=%d%s\n", d.name, countString(r.IOPS()), sizeString(int64(r.BW())), sizeString(r.Bytes), r.RuntimeNs/1e6, r.Errors, post)
	h, err := r.Latency.Histogram()
	if err != nil || h.TotalCount() == 0 {
		return err
	}
	fmt.Fprintf(b, "    clat (usec): min=%d, max=%d, avg=%.2f, stdev=%.2f\n", h.Min()/1000, h.Max()/1000, h.Mean()/1000, h.StdDev()/1000)
	for _, kind := range []struct {
		name string
		on   bool
	}{{"clat", !rep.NoClatPercentiles}, {"lat", rep.LatPercentiles}} {
		if kind.on {
			writePercentiles(b, kind.name, h, rep.percentiles())
		}
	}
	return summarizePrios(b, r, rep)
}

// writePercentiles writes fio's "clat percentiles (usec):" table.
func writePercentiles(b *strings.Builder, name string, h *hdr.Histogram, list []float64) {
	fmt.Fprintf(b, "     %s percentiles (usec):", name)
	for i, v := range h.ValueAtPercentilesSlice(list) {
		if i%4 == 0 {
			b.WriteString("\n     |")
		}
		fmt.Fprintf(b, " %6.2fth=[%6d],", list[i], (v+500)/1000)
	}
	b.WriteString("\n")
}

// summarizeSync writes fio's block of flush latencies, when there were any.
func summarizeSync(b *strings.Builder, d *DirResult, rep ReportOptions) error {
	if d == nil || d.IOs == 0 && d.Errors == 0 {
		return nil
	}
	h, err := d.Latency.Histogram()
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "  fsync/fdatasync/sync_file_range/syncfs: syncs=%d, errors=%d\n", d.IOs, d.Errors)
	if h.TotalCount() == 0 {
		return nil
	}
	fmt.Fprintf(b, "    sync (usec): min=%d, max=%d, avg=%.2f, stdev=%.2f\n", h.Min()/1000, h.Max()/1000, h.Mean()/1000, h.StdDev()/1000)
	if !rep.NoClatPercentiles || rep.LatPercentiles {
		writePercentiles(b, "sync", h, rep.percentiles())
	}
	return nil
}

// summarizeGroups writes fio's "Run status group" lines: aggregate
// bandwidth, the slowest and fastest entry, bytes, shortest and longest
// runtime.
func summarizeGroups(b *strings.Builder, groups []GroupStats) {
	for _, g := range groups {
		fmt.Fprintf(b, "\nRun status group %d (all jobs):\n", g.Group)
		for d, name := range []string{" READ", "WRITE", " TRIM"} {
			s := g.Dir(Direction(d))
			if s.Entries == 0 {
				continue
			}
			fmt.Fprintf(b, "  %s: bw=%s/s, %s/s-%s/s, iops=%s, io=%s, run=%d-%dmsec\n", name,
				sizeString(int64(s.BW())), sizeString(int64(s.MinBW)), sizeString(int64(s.MaxBW)),
				countString(s.IOPS()), sizeString(s.Bytes), s.MinRuntimeNs/1e6, s.MaxRuntimeNs/1e6)
		}
	}
}

func summarizeVerify(b *strings.Builder, v *VerifyResult, j *Job) {
	fmt.Fprintf(b, "  verify: lost_writes=%d, stale_reads=%d, corrupt_blocks=%d, corrupt_reads=%d; final pass=%v: %d blocks, %d ok, %d lost, %d never written; %d reads checked during the run\n",
		v.LostWrites, v.StaleReads, v.CorruptBlocks, v.CorruptReads, v.FinalPass, v.Blocks, v.OK, v.LostBlocks, v.NeverWritten, v.ReadsChecked)
	for _, o := range v.Offenders {
		fmt.Fprintf(b, "    %s\n", fioVerifyLine(o, j, v.Unit))
	}
}

// fioVerifyLine says what went wrong with one unit in fio's words: a unit
// without this run's header is fio's bad magic, an older write than the
// last acknowledged one its bad numberio, damage its verify failed.
func fioVerifyLine(o Offender, j *Job, unit int64) string {
	at := fmt.Sprintf(" at file %s offset %d, length %d (%s, at %v)", cmpOr(j.Target, j.Name), o.Offset, unit, o.Kind, time.Duration(o.At))
	switch {
	case o.Kind == "corrupt":
		return fmt.Sprintf("%.8s: verify failed%s", j.Verify, at)
	case o.Found == 0:
		return fmt.Sprintf("verify: bad magic header 0, wanted %x%s", verifyMagic, at)
	}
	return fmt.Sprintf("verify: bad header numberio %d, wanted %d%s", o.Found, o.Expected, at)
}

// sizeString prints bytes with fio's binary units (4096 → "4KiB").
func sizeString(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v := float64(n)
	i := 0
	for ; v >= 1024 && i < len(units)-1; i++ {
		v /= 1024
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d%s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f%s", v, units[i])
}

// countString prints a rate as fio does (16.1k).
func countString(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
