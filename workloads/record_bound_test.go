package workloads

import (
	"testing"
	"time"
)

// feedRecorder books n intervals of a synthetic run into r: interval k
// gets k%5+1 reads of 4 KiB with latencies spread over 20 µs..20 ms, and
// every 7th one an error. It returns the totals booked.
func feedRecorder(r *dirRecorder, n int64) (ios, bytes, errs, maxLat int64) {
	for k := range n {
		at := k*r.interval + 1
		for i := range k%5 + 1 {
			lat := 20_000 + (k*7919+i*104_729)%20_000_000
			r.record(at, lat, 4096, false)
			ios, bytes, maxLat = ios+1, bytes+4096, max(maxLat, lat)
		}
		if k%7 == 0 {
			r.record(at, 0, 4096, true)
			errs++
		}
	}
	return ios, bytes, errs, maxLat
}

// A recording far longer than the count cap keeps a bounded series on
// both grids, and loses nothing: totals and the run's latency histogram
// are exact, only the time resolution coarsens.
func TestRecorderSeriesStaysBounded(t *testing.T) {
	const n = 3*maxSeriesIntervals + 123 // 100 ms intervals: about 40 minutes
	iv := int64(100 * time.Millisecond)
	r := newDirRecorder(iv, true)
	ios, bytes, errs, maxLat := feedRecorder(&r, n)
	r.flush()

	if len(r.series) > maxSeriesIntervals {
		t.Errorf("count series holds %d entries, cap %d", len(r.series), maxSeriesIntervals)
	}
	if r.latBytes > maxLatencyBytes {
		t.Errorf("latency series holds %d bytes, cap %d", r.latBytes, maxLatencyBytes)
	}
	if r.scale < 4 || r.latScale <= r.scale {
		t.Errorf("scales %d (counts) and %d (latency): want the counts coarsened twice and latency more", r.scale, r.latScale)
	}

	scale, latScale := recorderScales([]*dirRecorder{&r})
	d, err := mergeDir([]*dirRecorder{&r}, 0, n-1, iv, scale, latScale)
	if err != nil {
		t.Fatal(err)
	}
	if d.IOs != ios || d.Bytes != bytes || d.Errors != errs {
		t.Errorf("totals %d I/Os, %d bytes, %d errors; booked %d, %d, %d", d.IOs, d.Bytes, d.Errors, ios, bytes, errs)
	}
	if d.Latency.N != ios || d.Latency.MaxNs < maxLat*999/1000 || d.Latency.MaxNs > maxLat*1001/1000 {
		t.Errorf("run latency: %d values, max %d; booked %d, max %d", d.Latency.N, d.Latency.MaxNs, ios, maxLat)
	}
	if want := (n-1)/scale + 1; int64(len(d.Series)) != want || len(d.Series) > maxSeriesIntervals {
		t.Errorf("Series has %d entries, want %d (at most %d)", len(d.Series), want, maxSeriesIntervals)
	}
	var lios, lN int64
	for i, l := range d.LatencySeries {
		if l.StartNs != int64(i)*latScale*iv {
			t.Fatalf("latency entry %d starts at %d, want %d", i, l.StartNs, int64(i)*latScale*iv)
		}
		lios, lN = lios+l.IOs, lN+l.Latency.N
	}
	if lios != ios || lN != ios {
		t.Errorf("latency series: %d I/Os and %d latencies, booked %d", lios, lN, ios)
	}
}

// Workers coarsen independently (one saw more intervals); the Result
// brings them to the coarsest grid and still adds up.
func TestMergeDirAlignsScales(t *testing.T) {
	iv := int64(100 * time.Millisecond)
	long, short := newDirRecorder(iv, true), newDirRecorder(iv, true)
	n := int64(maxSeriesIntervals + 500)
	i1, b1, e1, _ := feedRecorder(&long, n)
	i2, b2, e2, _ := feedRecorder(&short, 1000)
	recs := []*dirRecorder{&long, &short}
	scale, latScale := recorderScales(recs)
	if short.scale != 1 || scale != 2 {
		t.Fatalf("scales: short %d, Result %d; want 1 and 2", short.scale, scale)
	}
	d, err := mergeDir(recs, 0, n-1, iv, scale, latScale)
	if err != nil {
		t.Fatal(err)
	}
	if d.IOs != i1+i2 || d.Bytes != b1+b2 || d.Errors != e1+e2 || d.Latency.N != i1+i2 {
		t.Errorf("totals %d/%d/%d (latencies %d), want %d/%d/%d", d.IOs, d.Bytes, d.Errors, d.Latency.N, i1+i2, b1+b2, e1+e2)
	}
	// The first 1000 intervals hold both workers: entry 0 (intervals 0
	// and 1) has 1+2 I/Os from each.
	if got := d.Series[0].IOs; got != 2*(1+2) {
		t.Errorf("first entry has %d I/Os, want 6", got)
	}
}
