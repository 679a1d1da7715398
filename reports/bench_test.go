package reports

import (
	"bytes"
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
