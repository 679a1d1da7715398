package workloads

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestRateMin: a worker below ratemin (or rate_iops_min) over a ratecycle
// stops with fio's message, reported as fio's EIO; one above it runs on.
func TestRateMin(t *testing.T) {
	tests := []struct {
		kv   []string
		want string // the job's error; "" for none
	}{
		{[]string{"ratemin", "1m"}, "rate_min=1048576B/s not met, got "},
		{[]string{"rate_iops_min", "500", "rwmixread", "100"}, "rate_iops_min=500 not met, got "},
		{[]string{"ratemin", "1k"}, ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.kv, "="), func(t *testing.T) {
			runtime := "10s"
			if tc.want == "" {
				runtime = "200ms"
			}
			j := job(t, "j", append([]string{"rw", "randread", "rate_iops", "100", "ratecycle", "50", "runtime", runtime, "time_based", "1"}, tc.kv...)...)
			r := runT(t, openT(t, "null://1m", j), []Job{j})
			jr := r.Jobs[0]
			if !strings.HasPrefix(jr.Error, tc.want) || tc.want == "" && jr.Error != "" {
				t.Fatalf("error %q, want %q", jr.Error, tc.want)
			}
			if tc.want == "" {
				return
			}
			if d := time.Duration(jr.EndNs - jr.StartNs); d >= 10*time.Second || jr.Read.IOs >= 1000 {
				t.Errorf("ran %v, %d I/Os: not stopped by the failed minimum", d, jr.Read.IOs)
			}
			var b bytes.Buffer
			if err := WriteSummary(&b, r); err != nil {
				t.Fatal(err)
			}
			out, err := ToFio(r, time.Unix(0, 0))
			if err != nil || !strings.Contains(b.String(), "err=5 (func=check_min_rate, error="+tc.want) || out.Jobs[0].Error != 5 || len(r.JobErrors()) != 1 {
				t.Errorf("JSON error %d (%v), summary:\n%s", out.Jobs[0].Error, err, b.String())
			}
		})
	}
}
