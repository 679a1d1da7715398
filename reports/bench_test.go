package reports

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// hourRun is a one-hour run at 100 ms intervals (36,000 intervals, 3,600
// histogram slots per direction) with 60 one-second stalls, one a minute.
func hourRun(b *testing.B) *Result {
	b.Helper()
	f := fixture{name: "hour", warmup: 5e9, measure: 3600e9}
	for i := range int64(60) {
		at := f.warmup + 5e9 + i*60e9
		f.faults = append(f.faults, fixtureFault{inject: at, recover: at + 1e9})
		f.gaps = append(f.gaps, Gap{StartNs: at + 1e6, EndNs: at + 1001e6})
	}
	return synth(b, f)
}

func BenchmarkComputeHour(b *testing.B) {
	r := hourRun(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluateHour(b *testing.B) {
	r := hourRun(b)
	m, err := Compute(r, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := EvaluateMetrics(standardSLOs, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHour(b *testing.B) {
	var buf bytes.Buffer
	if err := hourRun(b).Encode(&buf); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "MB")
}

// BenchmarkComputeHourWide is BenchmarkComputeHour with every slot holding
// a wide latency distribution (10k samples, log-normal around 100 µs,
// about 800 encoded bytes) instead of the fixture's five values: decoding
// cost grows with populated buckets, and this is what a real device gives.
func BenchmarkComputeHourWide(b *testing.B) {
	r := hourRun(b)
	h := NewLatencyHistogram()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		if err := h.RecordValue(int64(100e3 * math.Exp(rng.NormFloat64()*0.5))); err != nil {
			b.Fatal(err)
		}
	}
	enc, err := EncodeHistogram(h)
	if err != nil {
		b.Fatal(err)
	}
	for i := range r.Workloads[0].Histograms.Read {
		r.Workloads[0].Histograms.Read[i], r.Workloads[0].Histograms.Write[i] = enc, enc
	}
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "MB")
}
