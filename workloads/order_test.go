package workloads

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestJobOrder runs job files on null:// and checks fio's order: who waits
// for whom (a job starts only after the jobs it waits for ended) and the
// reporting groups.
func TestJobOrder(t *testing.T) {
	const small = "[global]\nbs=4k\nsize=64k\n"
	tests := []struct {
		name   string
		file   string
		groups []int   // reporting group of each job
		waits  [][]int // jobs each job must start after
	}{
		{"no ordering", small + "[a]\n[b]\n[c]\n", []int{0, 0, 0}, [][]int{nil, nil, nil}},
		{"stonewall waits for all before", small + "[a]\n[b]\n[c]\nstonewall\n", []int{0, 0, 1}, [][]int{nil, nil, {0, 1}}},
		{"jobs after a stonewall start with it", small + "[a]\n[b]\nstonewall\n[c]\n[d]\nstonewall\n", []int{0, 1, 1, 2}, [][]int{nil, {0}, {0}, {0, 1, 2}}},
		{"stonewall on the first job", small + "[a]\nstonewall\n[b]\n", []int{0, 0}, [][]int{nil, nil}},
		{"stonewall in global: one job at a time", "[global]\nbs=4k\nsize=64k\nstonewall\n[a]\n[b]\n[c]\n", []int{0, 1, 2}, [][]int{nil, {0}, {0, 1}}},
		{"wait_for_previous is stonewall", small + "[a]\n[b]\nwait_for_previous\n", []int{0, 1}, [][]int{nil, {0}}},
		{"new_group only reports apart", small + "[a]\n[b]\nnew_group\n[c]\n", []int{0, 1, 1}, [][]int{nil, nil, nil}},
		{"wait_for one job", small + "[a]\n[b]\n[c]\nwait_for=a\n", []int{0, 0, 0}, [][]int{nil, nil, {0}}},
		{"wait_for across a stonewall", small + "[a]\n[b]\nstonewall\n[c]\nwait_for=b\n", []int{0, 1, 1}, [][]int{nil, {0}, {0, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jobs, err := ParseFio(strings.NewReader(tc.file), "order.fio", nil, WithTarget("null://64m"))
			if err != nil {
				t.Fatal(err)
			}
			r := runT(t, openT(t, "null://64m", jobs...), jobs)
			for i, jr := range r.Jobs {
				if jr.Group != tc.groups[i] {
					t.Errorf("job %s: group %d, want %d", jr.Name, jr.Group, tc.groups[i])
				}
				if jr.Read.IOs != 16 {
					t.Errorf("job %s: %d reads, want 16", jr.Name, jr.Read.IOs)
				}
				if jr.StartNs < r.StartNs || jr.EndNs < jr.StartNs || jr.EndNs > r.EndNs {
					t.Errorf("job %s: ran %d..%d outside the run %d..%d", jr.Name, jr.StartNs, jr.EndNs, r.StartNs, r.EndNs)
				}
				for _, k := range tc.waits[i] {
					if jr.StartNs < r.Jobs[k].EndNs {
						t.Errorf("job %s started at %d, before job %s ended at %d", jr.Name, jr.StartNs, r.Jobs[k].Name, r.Jobs[k].EndNs)
					}
				}
				if tc.waits[i] == nil && jr.StartNs != r.StartNs {
					t.Errorf("job %s waits for nothing but started at %d, not with the run at %d", jr.Name, jr.StartNs, r.StartNs)
				}
			}
		})
	}
}

// gate holds the I/O of one job (by offset) until another job submits:
// proof that the second does not wait for the first.
type gate struct {
	Device
	holdBelow, openAt int64 // hold ops below holdBelow until one at openAt or above
	mu                sync.Mutex
	held              []*Op
	opened            bool
	timedOut          bool
}

func (g *gate) Submit(op *Op) {
	g.mu.Lock()
	switch {
	case op.Offset >= g.openAt && !g.opened:
		g.opened = true
		held := g.held
		g.held = nil
		g.mu.Unlock()
		for _, h := range held {
			g.Device.Submit(h)
		}
	case op.Offset < g.holdBelow && !g.opened:
		g.held = append(g.held, op)
		g.mu.Unlock()
		return
	default:
		g.mu.Unlock()
	}
	g.Device.Submit(op)
}

// release lets held ops go after a long wait, so a wrong order fails the
// test instead of hanging it.
func (g *gate) release() {
	g.mu.Lock()
	held := g.held
	g.held, g.timedOut, g.opened = nil, !g.opened, true
	g.mu.Unlock()
	for _, h := range held {
		g.Device.Submit(h)
	}
}

func TestWaitForDoesNotWaitForOthers(t *testing.T) {
	file := "[global]\nbs=4k\nsize=64k\n[a]\noffset=1m\n[b]\n[c]\noffset=2m\nwait_for=a\n"
	jobs, err := ParseFio(strings.NewReader(file), "w.fio", nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{Device: openT(t, "null://64m", jobs...), holdBelow: 1 << 20, openAt: 2 << 20}
	timer := time.AfterFunc(10*time.Second, g.release)
	defer timer.Stop()
	r := runT(t, g, jobs)
	if g.timedOut {
		t.Fatal("job c (wait_for=a) did not start while job b was still running")
	}
	if c, a := r.Jobs[2], r.Jobs[0]; c.StartNs < a.EndNs || c.Read.IOs != 16 {
		t.Errorf("c started at %d (a ended at %d) and read %d blocks", c.StartNs, a.EndNs, c.Read.IOs)
	}
}

func TestJobOrderErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown job", "[a]\n[b]\nwait_for=zz\n", `wait_for (o.fio:3): no other job is named "zz"`},
		{"later job", "[a]\nwait_for=b\n[b]\n", `wait_for (o.fio:2): job "b" comes later`},
		{"duplicate name", "[a]\n[a]\n[b]\nwait_for=a\n", `wait_for (o.fio:4): more than one job is named "a"`},
		{"itself", "[a]\nwait_for=a\n", `wait_for (o.fio:2): a job cannot wait for itself`},
		{"startdelay range", "[a]\nstartdelay=1-5\n", "o.fio:2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFio(strings.NewReader(tc.file), "o.fio", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestStartDelay(t *testing.T) {
	file := "[global]\nbs=4k\nsize=64k\n[a]\n[b]\nstartdelay=50ms\n[c]\nstonewall\nstartdelay=20ms\n"
	jobs, err := ParseFio(strings.NewReader(file), "d.fio", nil, WithTarget("null://64m"))
	if err != nil {
		t.Fatal(err)
	}
	r := runT(t, openT(t, "null://64m", jobs...), jobs)
	a, b, c := r.Jobs[0], r.Jobs[1], r.Jobs[2]
	if b.StartNs-a.StartNs < int64(50*time.Millisecond) {
		t.Errorf("b started %v after a, want at least its startdelay 50ms", time.Duration(b.StartNs-a.StartNs))
	}
	if c.StartNs-max(a.EndNs, b.EndNs) < int64(20*time.Millisecond) {
		t.Errorf("c started %v after the stonewall, want at least 20ms", time.Duration(c.StartNs-max(a.EndNs, b.EndNs)))
	}
}

func TestPlannedLength(t *testing.T) {
	tests := []struct {
		name string
		file string
		want time.Duration
	}{
		{"together", "[global]\nruntime=10\n[a]\n[b]\nruntime=20\n", 20 * time.Second},
		{"stonewall adds", "[global]\nruntime=10\n[a]\n[b]\nstonewall\nramp_time=2\n", 22 * time.Second},
		{"wait_for and startdelay", "[global]\nruntime=10\n[a]\n[b]\nruntime=30\n[c]\nwait_for=a\nstartdelay=5\n", 30 * time.Second},
		{"wait_for chain", "[global]\nruntime=10\n[a]\n[b]\nwait_for=a\n[c]\nwait_for=b\nstartdelay=1\n", 31 * time.Second},
		{"a job without runtime", "[a]\nruntime=10\n[b]\n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jobs, err := ParseFio(strings.NewReader(tc.file), "p.fio", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := PlannedLength(jobs); got != tc.want {
				t.Errorf("PlannedLength = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckConcurrent(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"[a]\nstonewall\n[b]\nnew_group\n", ""},
		{"[a]\n[b]\nstonewall\n", "stonewall (c.fio:3)"},
		{"[a]\n[b]\nwait_for=a\n", "wait_for (c.fio:3)"},
		{"[global]\nstartdelay=1\n[a]\n", "startdelay (c.fio:2)"},
	}
	for _, tc := range tests {
		jobs, err := ParseFio(strings.NewReader(tc.file), "c.fio", nil)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckConcurrent(jobs)
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, ErrSequential) || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: err = %v, want %q", tc.file, err, tc.want)
		}
	}
}

// TestExitAll: a job with exitall ends the others exit_what names when it
// ends: its reporting group, the running jobs, or every job, even those
// still waiting to start (fio's exitwhat example).
func TestExitAll(t *testing.T) {
	const long = 20 * time.Second // a broken exitall makes the test this slow, then fail
	tests := []struct {
		what  string
		ended []string // jobs cut short: far fewer I/Os than their runtime allows
		never []string // jobs that did no I/O
		ran   []string // jobs that ran their full number_ios
	}{
		{"group", []string{"fast1"}, nil, []string{"slow2"}}, // other, not ended, runs 1s
		{"stonewall", []string{"fast1", "other"}, nil, []string{"slow2"}},
		{"all", []string{"fast1", "other"}, []string{"slow2"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.what, func(t *testing.T) {
			otherRuntime := int(long.Seconds())
			if tc.what == "group" {
				otherRuntime = 1
			}
			file := fmt.Sprintf(`[global]
bs=4k
size=1m
[slow1]
exitall
exit_what=%s
number_ios=50
[fast1]
rw=randread
runtime=%d
time_based
[other]
new_group
rw=randread
runtime=%d
time_based
[slow2]
stonewall
number_ios=10
`, tc.what, int(long.Seconds()), otherRuntime)
			jobs, err := ParseFio(strings.NewReader(file), "x.fio", nil, WithTarget("null://1m"))
			if err != nil {
				t.Fatal(err)
			}
			r := runT(t, openT(t, "null://1m", jobs...), jobs)
			byName := map[string]JobResult{}
			for _, j := range r.Jobs {
				byName[j.Name] = j
			}
			for _, n := range tc.ended {
				if d := time.Duration(byName[n].EndNs - byName[n].StartNs); d >= long {
					t.Errorf("%s ran %v: not ended by exitall", n, d)
				}
			}
			for _, n := range tc.never {
				if ios := byName[n].Read.IOs; ios != 0 {
					t.Errorf("%s did %d I/Os, want none", n, ios)
				}
			}
			for _, n := range tc.ran {
				if ios := byName[n].Read.IOs; ios != 10 {
					t.Errorf("%s did %d I/Os, want its 10", n, ios)
				}
			}
		})
	}
}

// TestThinkTime: with thinktime, at most thinktime_blocks I/Os are in
// flight, and the job pauses after each batch: it cannot take less than
// the pauses add up to.
func TestThinkTime(t *testing.T) {
	j := job(t, "j", "rw", "randread", "size", "1m", "iodepth", "8", "number_ios", "40", "thinktime", "2000", "thinktime_blocks", "4")
	rec := &recorder{Device: openT(t, "null://1m", j)}
	r := runT(t, rec, []Job{j})
	if m := rec.maxOut.Load(); m > 4 {
		t.Errorf("%d I/Os in flight, want at most thinktime_blocks=4", m)
	}
	if d := time.Duration(r.Jobs[0].EndNs - r.Jobs[0].StartNs); r.Jobs[0].Read.IOs != 40 || d < 9*2*time.Millisecond {
		t.Errorf("%d I/Os in %v, want 40 with 9 pauses of 2ms at least", r.Jobs[0].Read.IOs, d)
	}
}
