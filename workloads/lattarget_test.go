package workloads

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// queueingDevice completes each op after unit × the ops in flight when it
// was submitted (itself included): latency grows with queue depth, so a
// latency target has one deepest depth that meets it.
type queueingDevice struct {
	Device
	unit     time.Duration
	inFlight atomic.Int64
}

func (q *queueingDevice) Submit(op *Op) {
	n := q.inFlight.Add(1)
	time.AfterFunc(time.Duration(n)*q.unit, func() {
		q.inFlight.Add(-1)
		op.Err = nil
		op.Done(op)
	})
}

// TestLatencySearchSteps drives the search with a modelled device whose
// latency is 10 ms per I/O in flight and whose throughput is depth I/Os per
// latency, on a simulated clock: the depths it visits are fio's (double up
// to a failing depth, bisect down, settle, one final window), and so are
// latency_run's retries and the failure at depth 1.
func TestLatencySearchSteps(t *testing.T) {
	tests := []struct {
		name     string
		kv       []string
		steps    string // depths visited, in order
		errno    int
		stops    bool
		slowTail bool // one I/O in five takes a second more
	}{
		{"settles at 4", []string{"latency_target", "45ms", "latency_window", "200ms"}, "1 2 4 8 6 5 4", 0, true, false},
		{"iodepth caps the doubling", []string{"latency_target", "1s", "latency_window", "200ms", "iodepth", "6"}, "1 2 4 6", 0, true, false},
		{"latency_run retries one deeper after three stable windows", []string{"latency_target", "45ms", "latency_window", "200ms", "latency_run", "1"}, "1 2 4 8 6 5 4 5 4 5 4", 0, false, false},
		{"percentile tolerates the slow tail", []string{"latency_target", "45ms", "latency_window", "200ms", "latency_percentile", "75"}, "1 2 4 8 6 5 4", 0, true, true},
		{"the slow tail fails a higher percentile", []string{"latency_target", "45ms", "latency_window", "200ms", "latency_percentile", "90"}, "1", 0, false, true},
		{"missed at depth 1", []string{"latency_target", "5ms"}, "1", errTimedOut, true, false},
		{"window missed at depth 1 keeps trying", []string{"latency_target", "5ms", "latency_window", "50ms", "latency_percentile", "50"}, "1", 0, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := job(t, "lt", append([]string{"iodepth", "32"}, tc.kv...)...)
			w := &worker{job: &j, depth: j.IODepth, lat: newLatSearch(&j)}
			steps := []string{"1"}
			now := int64(0)
			for i := 0; i < 20000 && !w.stopping; i++ {
				w.latHolds(now) // the modelled device drains at once
				qd := w.depthLimit()
				if s := strconv.Itoa(qd); steps[len(steps)-1] != s {
					steps = append(steps, s)
				}
				lat := int64(qd) * int64(10*time.Millisecond)
				now += lat / int64(qd)
				if i%5 == 0 && tc.slowTail {
					lat += int64(time.Second) // one I/O in five far over the target
				}
				w.latCompleted(lat, now)
			}
			if got := strings.Join(steps, " "); !strings.HasPrefix(got, tc.steps) || tc.stops && got != tc.steps {
				t.Errorf("depths %s, want %s", got, tc.steps)
			}
			errno := 0
			if w.fail != nil {
				errno = w.fail.errno
			}
			if errno != tc.errno || w.stopping != tc.stops {
				t.Errorf("errno %d, stopped %v; want %d, %v", errno, w.stopping, tc.errno, tc.stops)
			}
		})
	}
}

// TestLatencyTarget runs the search in the engine, on a device whose
// latency is 10 ms per I/O in flight: a 45 ms target never settles deeper
// than 4 (timers are never early; a loaded machine may make it settle
// shallower), the job reports its final window alone and stops long before
// its runtime; latency_run runs the whole runtime.
func TestLatencyTarget(t *testing.T) {
	const unit = 10 * time.Millisecond
	search := []string{"latency_target", "45ms", "latency_window", "200ms", "latency_percentile", "90"}
	tests := []struct {
		name      string
		kv        []string
		runtime   time.Duration
		untilEnd  bool // ran its whole runtime
		finalOnly bool // counts only the final window
	}{
		{"stops after its final window", search, 8 * time.Second, false, true},
		{"latency_run keeps adjusting", append([]string{"latency_run", "1"}, search...), 2 * time.Second, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := job(t, "lt", append([]string{"rw", "randread", "iodepth", "32", "runtime", tc.runtime.String(), "time_based", "1"}, tc.kv...)...)
			r := runT(t, &queueingDevice{Device: openT(t, "null://64m", j), unit: unit}, []Job{j})
			jr := r.Jobs[0]
			if jr.LatencyDepth < 1 || jr.LatencyDepth > 5 || !tc.untilEnd && jr.LatencyDepth > 4 {
				t.Errorf("latency_depth %d, want 1..4 (5 while latency_run retries it)", jr.LatencyDepth)
			}
			if jr.Errno != 0 {
				t.Errorf("errno %d (%s: %s)", jr.Errno, jr.ErrorFunc, jr.Error)
			}
			ran := time.Duration(jr.EndNs - jr.StartNs)
			if tc.untilEnd != (ran >= tc.runtime-100*time.Millisecond) {
				t.Errorf("ran %v of the %v runtime; want the whole of it: %v", ran, tc.runtime, tc.untilEnd)
			}
			// The final window: ~200ms of I/Os of up to 40ms, 4 at a time.
			if n := jr.Read.IOs; tc.finalOnly && (n < 4 || n > 100 || jr.Read.RuntimeNs > int64(1500*time.Millisecond)) {
				t.Errorf("reported %d I/Os over %v, want the final window's alone", n, time.Duration(jr.Read.RuntimeNs))
			}
		})
	}
}

// TestLatencyTargetBackends: on null:// and file:// a generous target is
// met at every depth, so the search doubles up to iodepth and stops; the
// outcome is printed as fio prints it.
func TestLatencyTargetBackends(t *testing.T) {
	for _, target := range []string{"null://64m", "file://" + filepath.Join(t.TempDir(), "f")} {
		t.Run(strings.SplitN(target, ":", 2)[0], func(t *testing.T) {
			j := job(t, "lt", "rw", "randread", "iodepth", "8", "size", "8m", "runtime", "5s", "time_based", "1", "latency_target", "1s", "latency_window", "20ms")
			r := runT(t, openT(t, target, j), []Job{j})
			if d := r.Jobs[0].LatencyDepth; d != 8 {
				t.Errorf("latency_depth %d, want iodepth 8", d)
			}
			var sum, js strings.Builder
			if err := WriteSummary(&sum, r); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&js, r, time.Now()); err != nil {
				t.Fatal(err)
			}
			if want := "latency   : target=1.00sec, window=20.00msec, percentile=100.00%, depth=8"; !strings.Contains(sum.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, sum.String())
			}
			for _, want := range []string{`"latency_depth": 8`, `"latency_target": 1000000000`, `"latency_window": 20000`, `"latency_percentile": 100`} {
				if !strings.Contains(js.String(), want) {
					t.Errorf("JSON lacks %q", want)
				}
			}
		})
	}
}

// TestLatencyTargetOptions parses the options as fio reads them: times in
// microseconds unless they carry a unit.
func TestLatencyTargetOptions(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
		check   func(Job) bool
	}{
		{"[j]\nlatency_target=500000\nlatency_window=5000000\nlatency_percentile=99.9\n", "", func(j Job) bool {
			return j.LatencyTarget == 500*time.Millisecond && j.LatencyWindow == 5*time.Second && j.LatencyPercentile == 99.9 && !j.LatencyRun
		}},
		{"[j]\nlatency_target=2ms\nlatency_run\n", "", func(j Job) bool {
			return j.LatencyTarget == 2*time.Millisecond && j.LatencyRun && j.latencyPercentile() == 100
		}},
		{"[j]\nlatency_percentile=101\n", "l.fio:2: option latency_percentile=\"101\"", nil},
		{"[j]\nlatency_target=soon\n", "l.fio:2: option latency_target=\"soon\"", nil},
	}
	for _, tc := range tests {
		jobs, err := ParseFio(strings.NewReader(tc.file), "l.fio", nil, WithTarget("null://1m"))
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.file, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.file, err)
		case !tc.check(jobs[0]):
			t.Errorf("%q: job %+v", tc.file, jobs[0])
		}
	}
}
