package workloads

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// prioRecorder counts the priorities of the ops that reach a prioDevice.
type prioRecorder struct {
	prioDevice
	mu    sync.Mutex
	count map[uint16]int
}

func (r *prioRecorder) Submit(op *Op) {
	r.mu.Lock()
	r.count[op.Prio]++
	r.mu.Unlock()
	r.prioDevice.Submit(op)
}

func fileTargets(t *testing.T) []string {
	dir := t.TempDir()
	return []string{"file://" + filepath.Join(dir, "psync"), "file://" + filepath.Join(dir, "uring") + "?engine=io_uring"}
}

// TestPrio: prioclass/prio give every I/O a priority, cmdprio_percentage
// gives that share of each direction cmdprio_class/cmdprio instead, and
// the kernel gets them: a value it refuses fails every I/O (EINVAL).
func TestPrio(t *testing.T) {
	const n = 2000
	base := []string{"rw", "randrw", "bs", "4k", "size", "1m", "iodepth", "4", "io_size", "8000k", "ioengine", "libaio"}
	tests := []struct {
		name   string
		kv     []string
		want   map[uint16]int // expected count of each priority (±120)
		errors bool           // the kernel refuses the priority
	}{
		{"prioclass=2 prio=5", []string{"prioclass", "2", "prio", "5"}, map[uint16]int{2<<13 | 5: n}, false},
		{"cmdprio_percentage=20", []string{"cmdprio_percentage", "20", "prioclass", "3"}, map[uint16]int{1 << 13: n / 5, 3 << 13: n * 4 / 5}, false},
		{"per direction", []string{"cmdprio_percentage", "0,100", "cmdprio_class", "2", "cmdprio", "6"}, map[uint16]int{0: n / 2, 2<<13 | 6: n / 2}, false},
		{"class none with a level", []string{"prioclass", "0", "prio", "3"}, map[uint16]int{3: n}, true},
	}
	for _, target := range fileTargets(t) {
		for _, tc := range tests {
			t.Run(filepath.Base(strings.SplitN(target, "?", 2)[0])+"/"+tc.name, func(t *testing.T) {
				j := job(t, "p", append(append([]string{}, base...), tc.kv...)...)
				rec := &prioRecorder{prioDevice: openT(t, target, j).(prioDevice), count: map[uint16]int{}}
				r := runT(t, rec, []Job{j})
				for p, want := range tc.want {
					if got := rec.count[p]; got < want-120 || got > want+120 {
						t.Errorf("priority %#04x on %d I/Os, want about %d (all: %v)", p, got, want, rec.count)
					}
				}
				errs := r.Jobs[0].Read.Errors + r.Jobs[0].Write.Errors
				if tc.errors != (errs == n) || !tc.errors && errs != 0 {
					t.Errorf("%d of %d I/Os failed, want all: %v", errs, n, tc.errors)
				}
				if tc.errors && (len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Err, syscall.EINVAL.Error())) {
					t.Errorf("errors %v, want the kernel's EINVAL", r.Errors)
				}
			})
		}
	}
}

// TestPrioRefused: backends that cannot carry a priority refuse the job,
// and cmdprio options need an engine of fio's that has them.
func TestPrioRefused(t *testing.T) {
	tests := []struct {
		kv      []string
		wantErr string
	}{
		{[]string{"prioclass", "1"}, "cannot carry a per-I/O priority"},
		{[]string{"cmdprio_percentage", "10"}, "cannot carry a per-I/O priority"},
		{[]string{"cmdprio_percentage", "10", "ioengine", "psync"}, "not of ioengine=psync"},
	}
	for _, tc := range tests {
		j := DefaultJob("p")
		for i := 0; i < len(tc.kv); i += 2 {
			if err := ApplyOption(&j, tc.kv[i], tc.kv[i+1]); err != nil {
				t.Fatal(err)
			}
		}
		_, err := NewEngine(openT(t, "null://1m"), []Job{j})
		if err == nil || !errors.Is(err, ErrInvalidJob) || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%v: err %v, want %q", tc.kv, err, tc.wantErr)
		}
	}
}

// TestPrioLog: the log's priority column is the value in hex with
// log_prio, else 1 for a real-time I/O.
func TestPrioLog(t *testing.T) {
	for _, logPrio := range []string{"0", "1"} {
		dir := t.TempDir()
		j := job(t, "l", "rw", "randread", "bs", "4k", "size", "1m", "cmdprio_percentage", "50",
			"prioclass", "2", "prio", "4", "write_lat_log", "l", "log_prio", logPrio)
		target := "file://" + filepath.Join(dir, "f")
		r := runT(t, openT(t, target, j), []Job{j})
		if _, _, err := WriteFioLogs(dir, r); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "l_clat.1.log"))
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for line := range strings.Lines(string(b)) {
			f := strings.Split(strings.TrimSpace(line), ", ")
			count[f[len(f)-1]]++
		}
		want := []string{"0", "1"}
		if logPrio == "1" {
			want = []string{"0x4004", "0x2000"} // best effort level 4; cmdprio: real time level 0
		}
		if count[want[0]]+count[want[1]] != 256 || count[want[0]] < 80 || count[want[1]] < 80 {
			t.Errorf("log_prio=%s: priority column %v, want about 128 each of %v", logPrio, count, want)
		}
	}
}
