package workloads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// job builds a validated job from fio options, failing the test on error.
func job(t testing.TB, name string, kv ...string) Job {
	t.Helper()
	j := DefaultJob(name)
	for i := 0; i+1 < len(kv); i += 2 {
		if err := ApplyOption(&j, kv[i], kv[i+1]); err != nil {
			t.Fatalf("option %s=%s: %v", kv[i], kv[i+1], err)
		}
	}
	if err := j.Validate(); err != nil {
		t.Fatal(err)
	}
	return j
}

func openT(t testing.TB, target string, jobs ...Job) Device {
	t.Helper()
	d, err := Open(context.Background(), target, OpenOptionsFor(jobs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func runT(t testing.TB, dev Device, jobs []Job, opts ...Option) *Result {
	t.Helper()
	e, err := NewEngine(dev, jobs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// recorder wraps a Device and remembers every op it saw, in submit order.
type recorder struct {
	Device
	mu          sync.Mutex
	offsets     []int64
	kinds       []OpKind
	outstanding atomic.Int64
	maxOut      atomic.Int64
}

func (r *recorder) Submit(op *Op) {
	r.mu.Lock()
	r.offsets = append(r.offsets, op.Offset)
	r.kinds = append(r.kinds, op.Kind)
	r.mu.Unlock()
	n := r.outstanding.Add(1)
	for m := r.maxOut.Load(); n > m && !r.maxOut.CompareAndSwap(m, n); m = r.maxOut.Load() {
	}
	done := op.Done
	op.Done = func(op *Op) {
		op.Done = done
		r.outstanding.Add(-1)
		done(op)
	}
	r.Device.Submit(op)
}

func TestEngineSizeBoundCounts(t *testing.T) {
	tests := []struct {
		name      string
		kv        []string
		wantIOs   int64
		wantBytes int64
	}{
		{"randread", []string{"rw", "randread", "size", "1m", "numjobs", "2", "iodepth", "8"}, 512, 2 << 20},
		{"write", []string{"rw", "write", "bs", "64k", "size", "1m"}, 16, 1 << 20},
		{"randrw", []string{"rw", "randrw", "rwmixread", "70", "size", "4m", "iodepth", "4"}, 1024, 4 << 20},
		{"bssplit", []string{"rw", "randread", "bssplit", "4k/50:8k/50", "size", "1m", "norandommap", "1"}, -1, -1},
		{"loops", []string{"rw", "randread", "size", "256k", "loops", "3"}, 192, 3 << 18},
		{"io_size less than size", []string{"rw", "read", "size", "1m", "io_size", "128k"}, 32, 128 << 10},
		{"io_size more than size", []string{"rw", "write", "size", "256k", "io_size", "1m"}, 256, 1 << 20},
		{"io_limit with loops", []string{"rw", "randwrite", "size", "1m", "io_limit", "512k", "loops", "2"}, 256, 1 << 20},
		{"number_ios", []string{"rw", "randread", "size", "1m", "number_ios", "10", "numjobs", "2", "iodepth", "4"}, 20, 20 << 12},
		{"number_ios ends a time_based job", []string{"rw", "randwrite", "runtime", "1h", "time_based", "1", "number_ios", "1k"}, 1024, 4 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := job(t, tc.name, tc.kv...)
			rec := &recorder{Device: openT(t, "null://64m", j)}
			r := runT(t, rec, []Job{j})
			jr := r.Jobs[0]
			ios, bytes := jr.Read.IOs+jr.Write.IOs, jr.Read.Bytes+jr.Write.Bytes
			if tc.wantIOs >= 0 && ios != tc.wantIOs {
				t.Errorf("IOs = %d, want %d", ios, tc.wantIOs)
			}
			if tc.wantBytes >= 0 && bytes != tc.wantBytes {
				t.Errorf("bytes = %d, want %d", bytes, tc.wantBytes)
			}
			if int64(len(rec.offsets)) != ios {
				t.Errorf("device saw %d ops, result counts %d", len(rec.offsets), ios)
			}
			if got := rec.maxOut.Load(); got > int64(j.IODepth*j.NumJobs) {
				t.Errorf("max outstanding %d exceeds iodepth*numjobs %d", got, j.IODepth*j.NumJobs)
			}
			if j.RW == RWRandRW && (jr.Read.IOs < 600 || jr.Read.IOs > 830) {
				t.Errorf("randrw 70%%: %d reads of %d", jr.Read.IOs, ios)
			}
			var series int64
			for _, iv := range jr.Read.Series {
				series += iv.IOs
			}
			if series != jr.Read.IOs || jr.Read.Latency.N != jr.Read.IOs {
				t.Errorf("series sum %d, histogram %d, want %d", series, jr.Read.Latency.N, jr.Read.IOs)
			}
		})
	}
}

// TestEngineRateLimit counts the I/Os a rate-limited run issues: the pacer
// must never exceed rate × time (plus a few I/Os of forgiven lag); the lower
// bound is loose because a loaded machine may wake late.
func TestEngineRateLimit(t *testing.T) {
	tests := []struct {
		name  string
		kv    []string
		limit int64 // I/Os in 300 ms
	}{
		{"rate_iops", []string{"rate_iops", "2000"}, 600},
		{"rate in bytes", []string{"rate", "8000k", "bs", "4k"}, 600}, // 8192000 B/s = 2000 × 4 KiB
		{"per worker", []string{"rate_iops", "1000", "numjobs", "3"}, 900},
		{"writes only", []string{"rw", "randrw", "rate_iops", ",500", "rwmixread", "90"}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kv := append([]string{"rw", "randread", "runtime", "300ms", "time_based", "1", "iodepth", "4"}, tc.kv...)
			j := job(t, "rate", kv...)
			r := runT(t, openT(t, "null://64m", j), []Job{j})
			got := r.Jobs[0].Read.IOs + r.Jobs[0].Write.IOs
			if tc.limit < 0 { // writes capped at 500/s hold reads back too (one queue of decisions)
				got, tc.limit = r.Jobs[0].Write.IOs, 150
			}
			if max := tc.limit + 3*int64(j.NumJobs); got > max || got < tc.limit/3 {
				t.Errorf("%d I/Os in 300ms, want <= %d (and not far below)", got, max)
			}
		})
	}
}

func TestEngineRampExcluded(t *testing.T) {
	j := job(t, "ramp", "rw", "randwrite", "rate_iops", "1000", "ramp_time", "200ms", "runtime", "200ms", "time_based", "1")
	rec := &recorder{Device: openT(t, "null://64m", j)}
	r := runT(t, rec, []Job{j})
	got, all := r.Jobs[0].Write.IOs, int64(len(rec.offsets))
	if got > 203 || all < got+100 {
		t.Errorf("measured %d of %d I/Os; want at most 203 measured, the ramp's ~200 excluded", got, all)
	}
	if r.MeasureNs-r.StartNs != int64(200*time.Millisecond) {
		t.Errorf("MeasureNs-StartNs = %d, want 200ms", r.MeasureNs-r.StartNs)
	}
}

func TestEngineDeterministicOffsets(t *testing.T) {
	offsets := func(seed string, kv ...string) []int64 {
		j := job(t, "det", append([]string{"rw", "randrw", "size", "2m", "randseed", seed}, kv...)...)
		rec := &recorder{Device: openT(t, "null://64m", j)}
		runT(t, rec, []Job{j})
		return rec.offsets
	}
	for _, kv := range [][]string{nil, {"norandommap", "1"}, {"bssplit", "4k/30:16k/70", "norandommap", "1"}} {
		a, b, c := offsets("7", kv...), offsets("7", kv...), offsets("8", kv...)
		if !equal(a, b) {
			t.Errorf("%v: same seed gave different offsets", kv)
		}
		if equal(a, c) {
			t.Errorf("%v: different seeds gave the same offsets", kv)
		}
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// slowDevice completes every op after a delay, from another goroutine.
type slowDevice struct {
	Device
	delay time.Duration
}

func (s *slowDevice) Submit(op *Op) {
	time.AfterFunc(s.delay, func() { s.Device.Submit(op) })
}

func TestEngineCancelDrains(t *testing.T) {
	j := job(t, "cancel", "rw", "randread", "runtime", "1h", "time_based", "1", "iodepth", "16", "numjobs", "2")
	rec := &recorder{Device: &slowDevice{Device: openT(t, "null://64m", j), delay: 5 * time.Millisecond}}
	e, err := NewEngine(rec, []Job{j})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Cancelled || rec.outstanding.Load() != 0 || r.Jobs[0].Read.IOs == 0 {
		t.Errorf("cancelled=%v outstanding=%d ios=%d; want cancelled, drained, some I/O", r.Cancelled, rec.outstanding.Load(), r.Jobs[0].Read.IOs)
	}
}

func TestPermutationCoversOnce(t *testing.T) {
	for _, n := range []int64{1, 2, 3, 17, 1000, 4096} {
		j := job(t, "perm", "rw", "randread", "bs", "512")
		p := newPattern(&j, 0, n*512, 42)
		seen := map[int64]bool{}
		for range n {
			off := p.next().offset
			if seen[off] || off < 0 || off >= n*512 {
				t.Fatalf("n=%d: offset %d repeated or out of range", n, off)
			}
			seen[off] = true
		}
	}
}

// stallDevice completes op number stallAt after stall, every other op at once.
type stallDevice struct {
	Device
	n       atomic.Int64
	stallAt int64
	stall   time.Duration
}

func (s *stallDevice) Submit(op *Op) {
	if s.n.Add(1) == s.stallAt {
		time.AfterFunc(s.stall, func() { s.Device.Submit(op) })
		return
	}
	s.Device.Submit(op)
}

// TestEngineSeriesShowsStall checks that a stall shows in the series as
// empty intervals on a contiguous time axis, and in the latency maximum:
// failover time is computed from exactly this.
func TestEngineSeriesShowsStall(t *testing.T) {
	j := job(t, "stall", "rw", "randread", "rate_iops", "2000", "runtime", "600ms", "time_based", "1")
	dev := &stallDevice{Device: openT(t, "null://64m", j), stallAt: 200, stall: 300 * time.Millisecond}
	r := runT(t, dev, []Job{j}, WithInterval(50*time.Millisecond))
	d := r.Jobs[0].Read
	empty := 0
	for i, iv := range d.Series {
		if i > 0 && iv.StartNs != d.Series[i-1].StartNs+r.IntervalNs {
			t.Fatalf("series not contiguous at %d: %d after %d", i, iv.StartNs, d.Series[i-1].StartNs)
		}
		if iv.IOs == 0 {
			empty++
		}
	}
	if empty < 4 || d.Latency.MaxNs < int64(300*time.Millisecond) {
		t.Errorf("%d empty intervals, max latency %v; want >= 4 and >= 300ms", empty, time.Duration(d.Latency.MaxNs))
	}
	var long []Gap
	for _, g := range r.Jobs[0].Gaps {
		if g.EndNs-g.StartNs >= int64(100*time.Millisecond) {
			long = append(long, g)
		}
	}
	if len(long) != 1 || long[0].EndNs-long[0].StartNs < int64(300*time.Millisecond) || long[0].EndNs-long[0].StartNs > int64(400*time.Millisecond) {
		t.Errorf("long completion gaps %v, want one of 300-400ms", long)
	}
	e, _ := NewEngine(dev, []Job{j})
	if _, err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(context.Background()); err == nil {
		t.Error("second Run succeeded")
	}
}

// TestResultIsPlainData round-trips a Result through JSON and rebuilds the
// run histogram from the latency series' histograms, as reports will for
// windows.
func TestResultIsPlainData(t *testing.T) {
	j := job(t, "plain", "rw", "randrw", "rate_iops", "5000", "runtime", "300ms", "time_based", "1", "iodepth", "2")
	r := runT(t, openT(t, "null://64m", j), []Job{j}, WithInterval(20*time.Millisecond))
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	d := back.Jobs[0].Read
	merged := newLatencyHistogram()
	for _, iv := range d.LatencySeries {
		h, err := iv.Latency.Histogram()
		if err != nil {
			t.Fatal(err)
		}
		merged.Merge(h)
	}
	run, err := d.Latency.Histogram()
	if err != nil {
		t.Fatal(err)
	}
	if merged.TotalCount() != d.IOs || !merged.Equals(run) || len(d.LatencySeries) < 10 || len(d.Series) < 10 {
		t.Errorf("merged intervals: %d values (run %d, equal %v) over %d intervals (%d counted)",
			merged.TotalCount(), d.IOs, merged.Equals(run), len(d.LatencySeries), len(d.Series))
	}
}

// failingDevice fails every tenth op.
type failingDevice struct {
	Device
	n atomic.Int64
}

func (f *failingDevice) Submit(op *Op) {
	if f.n.Add(1)%10 == 0 {
		op.Err = errors.New("injected media error")
		op.Done(op)
		return
	}
	f.Device.Submit(op)
}

func TestEngineRecordsErrors(t *testing.T) {
	j := job(t, "errs", "rw", "randread", "size", "400k", "iodepth", "4")
	r := runT(t, &failingDevice{Device: openT(t, "null://64m", j)}, []Job{j})
	d := r.Jobs[0].Read
	var seriesErrs int64
	for _, iv := range d.Series {
		seriesErrs += iv.Errors
	}
	if d.Errors != 10 || d.IOs != 90 || d.Latency.N != 90 || seriesErrs != 10 || len(r.Errors) != 10 {
		t.Errorf("errors %d ios %d latency n %d series errors %d events %d; want 10, 90, 90, 10, 10", d.Errors, d.IOs, d.Latency.N, seriesErrs, len(r.Errors))
	}
	if e := r.Errors[0]; e.Job != "errs" || e.Dir != "read" || e.Err != "injected media error" || e.Len != 4096 {
		t.Errorf("first error event %+v", e)
	}
}

func TestIntersectGaps(t *testing.T) {
	ms := int64(1e6)
	tests := []struct {
		name  string
		lists [][]Gap
		want  []Gap
	}{
		{"one worker", [][]Gap{{{10 * ms, 20 * ms}}}, []Gap{{10 * ms, 20 * ms}}},
		{"overlap narrows", [][]Gap{{{10 * ms, 20 * ms}}, {{15 * ms, 30 * ms}}}, []Gap{{15 * ms, 20 * ms}}},
		{"a busy worker hides the gap", [][]Gap{{{10 * ms, 20 * ms}}, nil}, nil},
		{"overlap under the floor dropped", [][]Gap{{{10 * ms, 20 * ms}}, {{int64(19.5 * float64(ms)), 30 * ms}}}, nil},
		{"several", [][]Gap{{{0, 5 * ms}, {10 * ms, 40 * ms}}, {{2 * ms, 12 * ms}, {20 * ms, 50 * ms}}},
			[]Gap{{2 * ms, 5 * ms}, {10 * ms, 12 * ms}, {20 * ms, 40 * ms}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := IntersectGaps(tc.lists)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLoopsCoverEachBlockPerLoop: with the random map, each loop touches
// every block of the region once; io_size past the region goes over it again.
func TestLoopsCoverEachBlockPerLoop(t *testing.T) {
	tests := []struct {
		kv   []string
		each int // times each block is touched
	}{
		{[]string{"rw", "randread", "size", "256k", "loops", "3"}, 3},
		{[]string{"rw", "write", "size", "256k", "io_size", "512k"}, 2},
		{[]string{"rw", "randwrite", "offset", "1m", "size", "128k", "io_size", "256k", "loops", "2"}, 4},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.kv, " "), func(t *testing.T) {
			j := job(t, "j", tc.kv...)
			rec := &recorder{Device: openT(t, "null://64m", j)}
			runT(t, rec, []Job{j})
			seen := map[int64]int{}
			for _, off := range rec.offsets {
				if off < j.Offset || off >= j.Offset+j.Size {
					t.Fatalf("offset %d outside the region [%d, %d)", off, j.Offset, j.Offset+j.Size)
				}
				seen[off]++
			}
			if len(seen) != int(j.Size/4096) {
				t.Errorf("%d blocks touched, want %d", len(seen), j.Size/4096)
			}
			for off, n := range seen {
				if n != tc.each {
					t.Fatalf("block at %d touched %d times, want %d", off, n, tc.each)
				}
			}
		})
	}
}
