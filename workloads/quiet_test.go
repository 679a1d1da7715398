package workloads

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestQuietOptions: options that mean nothing for a block target are
// accepted, each noted with its line and reason; a bad value is still an
// error naming the line, and an option that cannot be honoured stays one.
func TestQuietOptions(t *testing.T) {
	tests := []struct {
		line    string // the option line of [j]
		note    string // in the job's notes; "" for none
		wantErr string
	}{
		{"invalidate=1", "q.fio:2: invalidate=1: the page cache is not dropped", ""},
		{"gtod_reduce=1", "q.fio:2: gtod_reduce=1: every I/O is timed anyway", ""},
		{"thread", "q.fio:2: thread: workers are goroutines", ""},
		{"cpus_allowed=0-3,8", "q.fio:2: cpus_allowed=0-3,8: workers are goroutines", ""},
		{"cpus_allowed_policy=split", "q.fio:2: cpus_allowed_policy=split:", ""},
		{"cpumask=0xf", "q.fio:2: cpumask=0xf:", ""},
		{"ioscheduler=none", "q.fio:2: ioscheduler=none: the kernel's I/O scheduler is left as it is", ""},
		{"nice=-5", "q.fio:2: nice=-5:", ""},
		{"fadvise_hint=0", "q.fio:2: fadvise_hint=0:", ""},
		{"overwrite=1", "q.fio:2: overwrite=1:", ""},
		{"ioengine=libaio", "q.fio:2: ioengine=libaio: nvmf-chaos's engine runs the job, keeping iodepth I/Os in flight as libaio would", ""},
		{"ioengine=pvsync2", "q.fio:2: ioengine=pvsync2: nvmf-chaos's engine runs the job with one I/O in flight", ""},
		{"ioengine=null", "q.fio:2: ioengine=null: fio's null engine does no I/O", ""},
		{"threads=1", "q.fio:2: threads=1: an option of fio's tiobench profile", ""},
		{"numa_cpu_nodes=0-1", "q.fio:2: numa_cpu_nodes=0-1: workers are goroutines", ""},
		{"numa_mem_policy=bind:0", "q.fio:2: numa_mem_policy=bind:0:", ""},
		{"io_submit_mode=offload", "q.fio:2: io_submit_mode=offload: every worker submits asynchronously", ""},
		{"random_generator=lfsr", "q.fio:2: random_generator=lfsr: offsets come from", ""},
		{"create_serialize=0", "q.fio:2: create_serialize=0: files are not laid out", ""},
		{"fallocate=none", "q.fio:2: fallocate=none:", ""},
		{"verify_async=4", "q.fio:2: verify_async=4: each worker checks", ""},
		{"verify_dump=1", "q.fio:2: verify_dump=1: failed blocks are listed", ""},
		{"buffered=0", "", ""},
		{"group_reporting", "", ""},
		{"invalidate=maybe", "", "q.fio:2: option invalidate=\"maybe\""},
		{"cpus_allowed_policy=spread", "", "q.fio:2: option cpus_allowed_policy=\"spread\""},
		{"nice=40", "", "q.fio:2: option nice=\"40\""},
		{"io_submit_mode=thread", "", "q.fio:2: option io_submit_mode=\"thread\""},
		{"random_generator=mt", "", "q.fio:2: option random_generator=\"mt\""},
		{"ioengine=mmap", "", "q.fio:2: option ioengine=\"mmap\": unsupported fio option"},
		{"exec_prerun=ls", "", "q.fio:2: option \"exec_prerun\": unsupported fio option"},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			jobs, err := ParseFio(strings.NewReader("[j]\n"+tc.line+"\n"), "q.fio", nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			notes := strings.Join(jobs[0].Notes, "\n")
			if tc.note == "" && notes != "" || !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q, want %q", notes, tc.note)
			}
		})
	}
}

func TestBufferedIsInverseDirect(t *testing.T) {
	for _, tc := range []struct {
		file   string
		direct bool
	}{{"[j]\nbuffered=0\n", true}, {"[j]\nbuffered=1\n", false}, {"[j]\nbuffered\n", false}, {"[j]\ndirect=0\nbuffered=0\n", true}} {
		jobs, err := ParseFio(strings.NewReader(tc.file), "b.fio", nil)
		if err != nil || jobs[0].Direct != tc.direct {
			t.Errorf("%q: direct %v, err %v; want direct %v", tc.file, jobs[0].Direct, err, tc.direct)
		}
	}
}

// A note of a [global] option is printed once, however many jobs share it.
func TestNotesInSummary(t *testing.T) {
	file := "[global]\nioengine=libaio\ninvalidate=1\nbs=4k\nsize=64k\n[a]\n[b]\ncpus_allowed=1\n"
	jobs, err := ParseFio(strings.NewReader(file), "n.fio", nil, WithTarget("null://1m"))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs[0].Notes) != 2 || len(jobs[1].Notes) != 3 {
		t.Fatalf("notes a %q, b %q", jobs[0].Notes, jobs[1].Notes)
	}
	r := runT(t, openT(t, "null://1m", jobs...), jobs)
	var b bytes.Buffer
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"note: n.fio:2: ioengine=libaio", "note: n.fio:3: invalidate=1", "note: n.fio:8: cpus_allowed=1"} {
		if n := strings.Count(b.String(), want); n != 1 {
			t.Errorf("%q printed %d times:\n%s", want, n, b.String())
		}
	}
}

func TestApplyOptionQuiet(t *testing.T) {
	j := DefaultJob("j")
	if err := ApplyOption(&j, "invalidate", ""); err != nil || len(j.Notes) != 1 || !strings.HasPrefix(j.Notes[0], "invalidate: the page cache") {
		t.Errorf("notes %q, err %v", j.Notes, err)
	}
	if err := ApplyOption(&j, "ioscheduler", ""); !errors.As(err, new(*OptionError)) {
		t.Errorf("ioscheduler without a value: %v", err)
	}
}

// Every option accepted without effect is listed in the README's table.
func TestQuietOptionsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range quietOptions {
		if !bytes.Contains(readme, []byte("`"+name+"`")) {
			t.Errorf("README.md does not list `%s`", name)
		}
	}
	for e := range ioEngines {
		if !bytes.Contains(readme, []byte("`"+e+"`")) {
			t.Errorf("README.md does not list ioengine `%s`", e)
		}
	}
}
