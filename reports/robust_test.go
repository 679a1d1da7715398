package reports

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCalibratedPause is issue 5's calibration on the record: a target
// paused for exactly D under load leaves a gap from the last completion
// before inject to the first after SIGCONT; failover_time must read D
// within 10 ms.
func TestCalibratedPause(t *testing.T) {
	for _, d := range []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second} {
		t.Run(d.String(), func(t *testing.T) {
			// Last completion 40 µs before inject; the held I/Os complete
			// 250 µs after resume.
			f := fixture{name: "calibrated", faults: []fixtureFault{{inject: inj, recover: inj + int64(d)}},
				gaps: []Gap{{StartNs: inj - 40e3, EndNs: inj + int64(d) + 250e3}}}
			m, err := Compute(synth(t, f), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := time.Duration(m.Overall.Faults[0].FailoverTimeNs)
			if diff := got - d; diff < 0 || diff > 10*time.Millisecond {
				t.Errorf("failover_time %s for a %s pause: off by %s", got, d, diff)
			}
		})
	}
}

func TestComputeRejectsInvalid(t *testing.T) {
	r := synth(t, fixture{name: "bad"})
	r.Workloads[0].Histograms.Write = r.Workloads[0].Histograms.Write[:3]
	if _, err := Compute(r, Options{}); err == nil || !strings.Contains(err.Error(), "slots") {
		t.Errorf("ragged histograms: %v", err)
	}
	r = synth(t, fixture{name: "bad"})
	r.Workloads[0].Histograms.Read[7] = "bm90IGEgaGlzdG9ncmFt"
	if _, err := Compute(r, Options{}); err == nil || !strings.Contains(err.Error(), "slot 7") {
		t.Errorf("corrupt histogram: %v", err)
	}
}

// FuzzDecode feeds mutated results.json documents through Decode, Compute
// and the writers: bad input must give an error, never a panic.
func FuzzDecode(f *testing.F) {
	// A small run (3 s, one fault, one gap) rather than the testdata
	// fixtures: mutating 50 KB documents explores little per second.
	small := synth(f, fixture{name: "small", warmup: 1e9, measure: 2e9,
		faults: []fixtureFault{{inject: 15e8, recover: 2e9}}, gaps: []Gap{{StartNs: 15e8, EndNs: 19e8}}})
	var seed bytes.Buffer
	if err := small.Encode(&seed); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Add([]byte(`{"schemaVersion":1,"scenario":{"name":"x"},"endNs":10,"workloads":[{"name":"w","series":{"intervalNs":1,"read":{"ios":[1]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := Finish(r, standardSLOs, Options{}); err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteJUnit(&out, []*Result{r}); err != nil {
			t.Fatal(err)
		}
		if err := WriteSummary(&out, []*Result{r}); err != nil {
			t.Fatal(err)
		}
		_ = fmt.Sprint(KeyMetrics(r.Metrics))
	})
}
