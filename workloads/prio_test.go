package workloads

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// prioCounter counts the priorities of the ops that reach a prioDevice.
type prioCounter struct {
	prioDevice
	mu    sync.Mutex
	count map[uint16]int
}

func (r *prioCounter) Submit(op *Op) {
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
				rec := &prioCounter{prioDevice: openT(t, target, j).(prioDevice), count: map[uint16]int{}}
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
		{[]string{"cmdprio_percentage", "10", "ioengine", "psync"}, "not to ioengine=psync"},
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

// opKey is what TestCmdprioBSSplit counts ops by.
type opKey struct {
	kind OpKind
	size int
	prio uint16
}

type splitRecorder struct {
	prioDevice
	mu    sync.Mutex
	count map[opKey]int
}

func (r *splitRecorder) Submit(op *Op) {
	r.mu.Lock()
	r.count[opKey{op.Kind, len(op.Buf), op.Prio}]++
	r.mu.Unlock()
	r.prioDevice.Submit(op)
}

// TestCmdprioBSSplit runs fio's cmdprio-bssplit.fio jobs: a per-direction
// bssplit (reads 64k/40 1M/60, writes 1M) and cmdprio_bssplit giving
// priorities by block size, in its three formats.
func TestCmdprioBSSplit(t *testing.T) {
	const n = 4000 // I/Os: about 2000 reads, 800 of them 64k
	base := []string{"rw", "randrw", "bssplit", "64k/40:1024k/60,1024k/100", "size", "8m", "number_ios", "4000", "io_size", "8g", "iodepth", "4"}
	rt, idle := uint16(1<<13), uint16(3<<13)
	tests := []struct {
		name string
		kv   []string
		want map[opKey]int // ±150
	}{
		{"bs/percent", []string{"cmdprio_bssplit", "64k/100:1024k/0,1024k/0", "cmdprio_class", "1", "cmdprio", "0"},
			map[opKey]int{{OpRead, 64 << 10, rt}: 800, {OpRead, 1 << 20, 0}: 1200, {OpWrite, 1 << 20, 0}: 2000}},
		{"bs/percent/class/level", []string{"cmdprio_bssplit", "64k/25/1/1:64k/75/3/2:1024k/0,1024k/0"},
			map[opKey]int{{OpRead, 64 << 10, rt | 1}: 200, {OpRead, 64 << 10, idle | 2}: 600, {OpRead, 1 << 20, 0}: 1200, {OpWrite, 1 << 20, 0}: 2000}},
		{"with a default", []string{"cmdprio_bssplit", "64k/25/1/1:64k/75/3/2:1024k/0,1024k/0", "prioclass", "2", "prio", "7"},
			map[opKey]int{{OpRead, 64 << 10, rt | 1}: 200, {OpRead, 64 << 10, idle | 2}: 600, {OpRead, 1 << 20, 2<<13 | 7}: 1200, {OpWrite, 1 << 20, 2<<13 | 7}: 2000}},
		{"hints", []string{"cmdprio_bssplit", "64k/50/2/0/1:64k/50/2/0/0:1024k/10/2/0/3", "rw", "randread", "bssplit", "64k/40:1024k/60"},
			map[opKey]int{{OpRead, 64 << 10, 2<<13 | 1<<3}: 800, {OpRead, 64 << 10, 2 << 13}: 800, {OpRead, 1 << 20, 2<<13 | 3<<3}: 240, {OpRead, 1 << 20, 0}: 2160}},
	}
	target := "file://" + filepath.Join(t.TempDir(), "f") + "?engine=io_uring"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := job(t, "b", append(append([]string{}, base...), tc.kv...)...)
			rec := &splitRecorder{prioDevice: openT(t, target, j).(prioDevice), count: map[opKey]int{}}
			r := runT(t, rec, []Job{j})
			total := 0
			for k, want := range tc.want {
				total += rec.count[k]
				if got := rec.count[k]; got < want-150 || got > want+150 {
					t.Errorf("%v %d bytes at %#04x: %d, want about %d (all: %v)", k.kind, k.size, k.prio, got, want, rec.count)
				}
			}
			if total != n || r.Jobs[0].Read.Errors+r.Jobs[0].Write.Errors != 0 {
				t.Errorf("%d of %d I/Os counted, %v", total, n, rec.count)
			}
		})
	}
}

// TestSplitOptions: bssplit per direction (trims take the writes' split
// when not given), and cmdprio_bssplit's formats and limits.
func TestSplitOptions(t *testing.T) {
	tests := []struct {
		file, wantErr string
		check         func(Job) bool
	}{
		{"[j]\nbssplit=4k/50:8k/50,16k\n", "", func(j Job) bool {
			return j.MinBS() == 4096 && j.MaxBS() == 16384 && len(j.splitFor(DirWrite)) == 1 && j.splitFor(DirTrim)[0].Size == 16384 && len(j.splitFor(DirRead)) == 2
		}},
		{"[j]\nbssplit=4k,8k,512k\n", "", func(j Job) bool {
			return j.splitFor(DirTrim)[0].Size == 512<<10 && j.splitFor(DirWrite)[0].Size == 8192
		}},
		{"[j]\nbssplit=4k/50,8k\nbs=4k\n", "", func(j Job) bool { return j.BSSplitWrite == nil && j.BSSplit == nil }},
		{"[j]\ncmdprio_bssplit=64k/25/1/1:64k/75/3/2,1m/10\n", "", func(j Job) bool {
			p := j.Prio.CmdBSSplit
			return len(p[0]) == 2 && p[0][1] == PrioSplit{BS: 64 << 10, Percent: 75, Own: true, Class: 3, Level: 2} && p[1][0] == PrioSplit{BS: 1 << 20, Percent: 10}
		}},
		{"[j]\nbssplit=4k/60:8k/30,8k\n", "add up to 90", nil},
		{"[j]\ncmdprio_bssplit=64k/60/1/1:64k/60/1/2\n", "add up to over 100%", nil},
		{"[j]\ncmdprio_bssplit=64k/60/1\n", "want bs/percent", nil},
		{"[j]\ncmdprio_bssplit=64k/60\ncmdprio_percentage=5\n", "mutually exclusive", nil},
	}
	for _, tc := range tests {
		jobs, err := ParseFio(strings.NewReader(tc.file), "t.fio", nil, WithTarget("null://1m"))
		if err == nil {
			err = jobs[0].Validate()
		}
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

// TestPrioStats: a cmdprio job's latencies split by priority, counted and
// merged as fio's clat_prio, in fio's JSON ("prios") and summary lines;
// a job with one priority has none.
func TestPrioStats(t *testing.T) {
	tests := []struct {
		kv    []string
		prios int // entries fio prints per direction
	}{
		{[]string{"cmdprio_percentage", "30", "prioclass", "2", "numjobs", "2", "group_reporting", "1"}, 2},
		{[]string{"cmdprio_percentage", "100"}, 0},
		{[]string{"prioclass", "2"}, 0},
	}
	for _, tc := range tests {
		j := job(t, "s", append([]string{"rw", "randrw", "bs", "4k", "size", "1m", "ioengine", "io_uring"}, tc.kv...)...)
		r := runT(t, openT(t, "file://"+filepath.Join(t.TempDir(), "f"), j), []Job{j})
		out, err := ToFio(r, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var sum strings.Builder
		if err := WriteSummary(&sum, r); err != nil {
			t.Fatal(err)
		}
		for _, d := range []*FioDir{out.Jobs[0].Read, out.Jobs[0].Write} {
			if len(d.Prios) != tc.prios {
				t.Fatalf("%v: %d prios entries, want %d", tc.kv, len(d.Prios), tc.prios)
			}
			var n int64
			for _, p := range d.Prios {
				n += p.ClatNs.N
			}
			if tc.prios > 0 && (n != d.TotalIOs || d.Prios[0].PrioClass != 1 || d.Prios[1].PrioClass != 2 || d.Prios[0].ClatNs.N*2 > d.TotalIOs) {
				t.Errorf("%v: prios %+v of %d I/Os, want real time (~30%%) and best effort summing to them", tc.kv, d.Prios, d.TotalIOs)
			}
		}
		if got := strings.Count(sum.String(), "clat prio "); got != 4*tc.prios {
			t.Errorf("%v: %d 'clat prio' lines in the summary, want %d:\n%s", tc.kv, got, 4*tc.prios, sum.String())
		}
	}
}
