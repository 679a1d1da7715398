package workloads

import (
	"strings"
	"testing"
	"time"
)

func TestSteadyCriteria(t *testing.T) {
	tests := []struct {
		ss     string
		window []float64
		want   bool
	}{
		{"iops:10%", []float64{100, 105, 95, 100}, true},
		{"iops:10%", []float64{100, 120, 80, 100}, false},
		{"iops:2", []float64{100, 101, 99}, true},
		{"bw:2", []float64{100, 104, 99}, false},
		{"iops_slope:1%", []float64{100, 100.5, 101, 101.5}, true}, // slope 0.5 per sample, limit ~1
		{"bw_slope:0.1%", []float64{100, 110, 120, 130}, false},
		{"lat:5%", []float64{1000, 1010, 990}, true},
		{"lat_slope:1", []float64{1000, 1000, 1000}, true},
	}
	for _, tc := range tests {
		s, err := parseSteadyState(tc.ss)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.steady(tc.window); got != tc.want {
			t.Errorf("%s over %v: steady %v, want %v", tc.ss, tc.window, got, tc.want)
		}
	}
	for _, bad := range []string{"iops", "speed:1%", "iops:x", "bw:-1"} {
		if _, err := parseSteadyState(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestSteadyStateStopsJob: a paced job is steady at once, so the job ends
// long before its runtime, with the attainment recorded and reported.
func TestSteadyStateStopsJob(t *testing.T) {
	file := "[j]\nrw=randread\nrate_iops=2000\nruntime=20s\ntime_based\nss=iops:50%\nss_dur=100ms\nss_interval=20ms\nss_ramp=20ms\n"
	jobs, err := ParseFio(strings.NewReader(file), "s.fio", nil, WithTarget("null://1m"))
	if err != nil {
		t.Fatal(err)
	}
	r := runT(t, openT(t, "null://1m", jobs...), jobs)
	jr := r.Jobs[0]
	if ss := jr.SteadyState; ss == nil || !ss.Attained || len(ss.Window) != 5 {
		t.Fatalf("steady state %+v, want attained over 5 samples", ss)
	}
	if d := time.Duration(jr.EndNs - jr.StartNs); d >= 20*time.Second {
		t.Errorf("job ran %v: not stopped at steady state", d)
	}
	var b strings.Builder
	if err := WriteSummary(&b, r); err != nil || !strings.Contains(b.String(), "steadystate: iops:50% attained at ") {
		t.Errorf("summary (%v):\n%s", err, b.String())
	}
}
