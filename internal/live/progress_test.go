package live

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fedRun returns a Run in the middle of a failover: I/O flowing, one
// fault active, one path down.
func fedRun(t *testing.T) *Run {
	clk := &fakeClock{}
	clk.Set(t0)
	r := New(Info{Scenario: "s1"}, WithClock(clk.Now))
	r.Begin(t0, 65*time.Second)
	o := r.Workload("oltp", "vol0")
	for i := int64(0); i < 10; i++ {
		o.Observe(interval("j", read, i, 1234, lat(t, map[time.Duration]int64{1230 * time.Microsecond: 1234})))
	}
	r.Fault("process-kill", "tgt-a", true)
	r.Path("vol0", "127.0.0.1:4420", "down")
	r.Path("vol0", "127.0.0.1:4421", "optimized")
	clk.Set(t0.Add(1050 * time.Millisecond))
	return r
}

func TestFormatLine(t *testing.T) {
	tests := []struct {
		name string
		s    Snapshot
		want []string
	}{
		{"failover", fedRun(t).Snapshot(), []string{"[   1.1s/1m5s]", "oltp 12.3k IOPS 48.2MiB/s p99 1.2",
			"faults: process-kill@tgt-a", "vol0: 127.0.0.1:4420 down, 127.0.0.1:4421 optimized"}},
		{"before any I/O", Snapshot{}, []string{"[   0.0s]", "no I/O yet", "faults: none"}},
		{"errors and verdict", Snapshot{Workloads: []WorkloadStats{{Name: "w", Errors: 3}}, Finished: true},
			[]string{"w 0 IOPS 0.0MiB/s p99 -", "errors 3", "SLOs FAILED"}},
		{"after the timeline", Snapshot{Elapsed: 28 * time.Second, Total: 23 * time.Second, Workloads: []WorkloadStats{{Name: "w"}}},
			[]string{"[  28.0s/23s] timeline done: collecting results"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := FormatLine(tc.s)
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("line %q lacks %q", line, w)
				}
			}
			if strings.ContainsAny(line, "\r\n") {
				t.Errorf("line %q spans lines", line)
			}
		})
	}
}

// TestProgressRendering checks both renderings on the writer given: the
// terminal rewrites one line in place, cut to the width; a log gets whole
// lines; log lines written through the view clear the live line first.
func TestProgressRendering(t *testing.T) {
	tests := []struct {
		name  string
		tty   bool
		width int
		check func(t *testing.T, out string)
	}{
		{"terminal", true, 60, func(t *testing.T, out string) {
			lines := strings.Split(out, "\n")
			if len(lines) != 3 || lines[2] != "" {
				t.Fatalf("want a log line then the final live line, got %q", out)
			}
			if !strings.HasSuffix(lines[0], clearEOL+"\r"+clearEOL+"[phase] baseline") {
				t.Errorf("log line %q does not clear the live line first", lines[0])
			}
			last := lines[1]
			if !strings.HasPrefix(last, "\r[") || !strings.HasSuffix(last, clearEOL) || len([]rune(last)) != 1+59+len(clearEOL) {
				t.Errorf("live line %q: want \\r, 59 columns, clear-to-EOL", last)
			}
		}},
		{"log", false, 0, func(t *testing.T, out string) {
			if strings.ContainsAny(out, "\r\x1b") {
				t.Errorf("control characters in a log: %q", out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 3 || !strings.Contains(lines[2], "faults: process-kill@tgt-a") || !strings.Contains(lines[2], "12.3k IOPS") {
				t.Errorf("want two renders around a log line, got %q", out)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := NewProgress(&buf, fedRun(t), tc.tty, tc.width)
			p.Render()
			fmt.Fprintln(p, "[phase] baseline")
			p.Start()
			p.Stop()
			p.Stop()
			tc.check(t, buf.String())
		})
	}
}
