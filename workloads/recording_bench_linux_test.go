package workloads

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// recordingRounds is how many alternations BenchmarkRecordingOverhead makes.
const recordingRounds = 8

// BenchmarkRecordingOverhead is the recording overhead of issue 16 measured
// side by side: the engine on null:// at QD32, with and without latency
// recording, alternated in rounds so machine noise hits both alike. It
// compares the process's CPU time per run, not wall time: on a shared
// machine preemption swings wall time by tens of percent, CPU time barely.
// make bench-record runs it with GOMAXPROCS=1 on one CPU, where no M spins
// looking for work: that spinning is CPU time too, and it varies.
// It reports the median ratio of recorded to unrecorded CPU time minus one
// as overhead-% (the goal is <= 3) and must keep 0 allocs/op.
func BenchmarkRecordingOverhead(b *testing.B) {
	n := max(b.N/recordingRounds/2, 1)
	j := job(b, "bench", "rw", "randread", "iodepth", "32", "size", strconv.Itoa(n*4096))
	dev := openT(b, "null://1p", j)
	run := func(record bool) time.Duration { return runNull(b, dev, j, n, record) }
	ratios := make([]float64, 0, recordingRounds)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range recordingRounds {
		// Alternate which goes first, so neither always runs warm.
		var with, without time.Duration
		if i%2 == 0 {
			with, without = run(true), run(false)
		} else {
			without, with = run(false), run(true)
		}
		ratios = append(ratios, with.Seconds()/without.Seconds())
	}
	b.StopTimer()
	slices.Sort(ratios)
	b.ReportMetric((ratios[len(ratios)/2]-1)*100, "overhead-%")
}

// runNull runs j on dev with latency recording on or off, checks that it
// ran n I/Os and returns the process CPU time the run took.
func runNull(b *testing.B, dev Device, j Job, n int, record bool, opts ...Option) time.Duration {
	e, err := NewEngine(dev, []Job{j}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	e.latency = record
	start := processCPU(b)
	r, err := e.Run(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if ios := r.Jobs[0].Read.IOs; ios != int64(n) {
		b.Fatalf("ran %d I/Os, want %d", ios, n)
	}
	return processCPU(b) - start
}

// processCPU is the CPU time all the process's threads used so far, to the
// nanosecond (CLOCK_PROCESS_CPUTIME_ID, not the tick-sampled rusage).
func processCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// benchInterval is BENCH_INTERVAL (default DefaultInterval): under
// callgrind, which runs the engine some 50x slower, a 5 s interval keeps
// the per-interval work per I/O as it is natively at 100 ms.
func benchInterval(b *testing.B) time.Duration {
	v := os.Getenv("BENCH_INTERVAL")
	if v == "" {
		return DefaultInterval
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("BENCH_INTERVAL=%q: want a positive duration such as 5s", v)
	}
	return d
}

// BenchmarkNullEngine runs the engine on null:// at QD32 with latency
// recording on and off, one sub-benchmark each. It exists for instruction
// counts (make bench-record runs it under callgrind when valgrind is
// installed): instructions per I/O do not swing with a shared machine's
// load the way CPU time does.
func BenchmarkNullEngine(b *testing.B) {
	for _, record := range []bool{true, false} {
		b.Run("latency="+strconv.FormatBool(record), func(b *testing.B) {
			j := job(b, "bench", "rw", "randread", "iodepth", "32", "size", strconv.Itoa(b.N*4096))
			dev := openT(b, "null://1p", j)
			b.ReportAllocs()
			b.ResetTimer()
			runNull(b, dev, j, b.N, record, WithInterval(benchInterval(b)))
		})
	}
}
