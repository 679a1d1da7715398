package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// dropper acknowledges its 5th write without performing it: a target that
// loses an acknowledged write.
type dropper struct {
	workloads.Device
	writes atomic.Int64
}

func (d *dropper) Submit(op *workloads.Op) {
	if op.Kind == workloads.OpWrite && d.writes.Add(1) == 5 {
		op.Done(op)
		return
	}
	d.Device.Submit(op)
}

func init() {
	// A scheme registered from outside the engine, as nvme+tcp will be.
	workloads.Register("lossy", func(ctx context.Context, u *url.URL, o workloads.OpenOptions) (workloads.Device, error) {
		d, err := workloads.Open(ctx, "file://"+u.Path, o)
		if err != nil {
			return nil, err
		}
		return &dropper{Device: d}, nil
	})
}

func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		out.WriteString(err.Error())
	}
	return out.String(), exitCode(err)
}

func TestBench(t *testing.T) {
	dir := t.TempDir()
	jobFile := filepath.Join(dir, "two.fio")
	if err := os.WriteFile(jobFile, []byte("[global]\nbs=4k\nsize=256k\n[r]\nrw=randread\n[w]\nrw=randwrite\niodepth=4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := "file://" + dir + "/bench.dat"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"flags as in the README", []string{"--target", "null://1g", "--rw", "randread", "--bs", "4k", "--iodepth", "32", "--runtime", "100ms", "--time_based"}, 0, []string{"bench: (rw=randread, bs=4KiB, iodepth=32", "read: IOPS="}},
		{"json", []string{"--target", "null://64m", "--rw", "randrw", "--size", "1m", "--output-format", "json"}, 0, []string{`"jobname": "bench"`, `"99.900000"`}},
		{"json+ on null", []string{"--target", "null://64m", "--rw", "randread", "--size", "1m", "--output-format", "json+"}, 0, []string{`"bins": {`, `"99.900000"`}},
		{"json+ on a file", []string{"--target", file, "--rw", "randwrite", "--size", "1m", "--fsync", "8", "--output-format=json+"}, 0, []string{`"bins": {`, `"sync": {`, `"total_ios": 32`}},
		{"bad output format", []string{"--target", "null://64m", "--output-format", "xml"}, 2, []string{`--output-format "xml": want normal, json or json+`}},
		{"job file", []string{"--fio", jobFile, "--target", file}, 0, []string{"r: (rw=randread", "w: (rw=randwrite"}},
		{"target replaces a relative filename", []string{"--fio", writeFile(t, dir, "fio-rand-read.fio", "[global]\nname=fio-rand-read\nfilename=fio-rand-read\nrw=randread\nbs=4K\n[file1]\nsize=256k\n"), "--target", file}, 0, []string{"file1: (rw=randread"}},
		{"groups of an example file", []string{"--fio", "../../workloads/testdata/fio-examples/ssd-steps.fio", "--target", "null://16m"}, 0,
			[]string{"rand-write: (rw=randwrite, bs=4KiB, iodepth=4, jobs=1, groupid=3)", "Run status group 3 (all jobs):\n  WRITE: bw=", "io=1MiB", "note: ../../workloads/testdata/fio-examples/ssd-steps.fio:5: ioengine=libaio"}},
		{"relative filename without target", []string{"--fio", writeFile(t, dir, "rel.fio", "[global]\nfilename=fio-rand-read\n[file1]\nsize=256k\n")}, 2, []string{`rel.fio:2: job "file1": filename "fio-rand-read"`}},
		{"verify clean", []string{"--target", file, "--size", "1m", "--rw", "randwrite", "--verify", "crc32c", "--seed", "3"}, 0, []string{"lost_writes=0"}},
		{"lost write exits 1", []string{"--target", "lossy://" + dir + "/lossy.dat", "--size", "1m", "--rw", "randwrite", "--verify", "crc32c"}, 1, []string{"lost_writes=1", "verification failed"}},
		{"bad flag value names flag and value", []string{"--target", "null://1g", "--rw", "sideways"}, 2, []string{`--rw "sideways"`}},
		{"bad bs", []string{"--target", "null://1g", "--bs", "4q"}, 2, []string{`--bs "4q"`}},
		{"unknown flag", []string{"--target", "null://1g", "--exec_prerun", "ls"}, 2, []string{"exec_prerun"}},
		{"no target", []string{"--rw", "read"}, 2, []string{"no target"}},
		{"bad target", []string{"--target", "gopher://x"}, 2, []string{"unknown target scheme"}},
		{"bad format", []string{"--target", "null://1g", "--output-format", "xml"}, 2, []string{"--output-format"}},
		{"job file with unsupported option", []string{"--fio", writeFile(t, dir, "bad.fio", "[j]\nexec_prerun=ls\n"), "--target", "null://1g"}, 2, []string{"bad.fio:2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runCLI(t, append([]string{"bench"}, tc.args...)...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestBenchJSONDecodes(t *testing.T) {
	out, code := runCLI(t, "bench", "--target", "null://64m", "--rw", "read", "--size", "1m", "--output-format", "json")
	var v workloads.FioOutput
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.Jobs[0].Read.TotalIOs != 256 {
		t.Fatalf("exit %d, err %v, output:\n%s", code, err, out)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBenchResultsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	out, code := runCLI(t, "bench", "--target", "null://64m", "--rw", "randwrite", "--rate_iops", "1000", "--runtime", "200ms", "--time_based", "--interval", "50ms", "--results", path)
	data, err := os.ReadFile(path)
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	var r workloads.Result
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if w := r.Jobs[0].Write; len(w.Series) < 4 || w.Latency.HDR == "" || r.IntervalNs != 50e6 {
		t.Errorf("results: %d intervals, hdr %q, interval %d", len(w.Series), w.Latency.HDR, r.IntervalNs)
	}
}

// TestBenchFlagForms: fio's command line takes --opt=value and --opt value,
// and a boolean alone means 1.
func TestBenchFlagForms(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(j workloads.Job) bool
		wantErr string
	}{
		{"space", []string{"--iodepth", "8", "--rw", "randread"}, func(j workloads.Job) bool { return j.IODepth == 8 && j.RW == workloads.RWRandRead }, ""},
		{"equals", []string{"--iodepth=8", "--rw=randread"}, func(j workloads.Job) bool { return j.IODepth == 8 && j.RW == workloads.RWRandRead }, ""},
		{"boolean with a space", []string{"--direct", "0"}, func(j workloads.Job) bool { return !j.Direct }, ""},
		{"boolean with equals", []string{"--direct=0"}, func(j workloads.Job) bool { return !j.Direct }, ""},
		{"boolean alone", []string{"--direct=0", "--norandommap"}, func(j workloads.Job) bool { return !j.Direct && j.NoRandomMap }, ""},
		{"boolean alone before a flag", []string{"--time_based", "--runtime", "50ms"}, func(j workloads.Job) bool { return j.TimeBased }, ""},
		{"boolean alone last", []string{"--runtime", "50ms", "--time_based"}, func(j workloads.Job) bool { return j.TimeBased }, ""},
		{"boolean word", []string{"--runtime", "50ms", "--time_based", "yes"}, func(j workloads.Job) bool { return j.TimeBased }, ""},
		{"fio option without a flag", []string{"--ioengine=libaio", "--loops", "2", "--group_reporting"},
			func(j workloads.Job) bool {
				return j.IOEngine == "libaio" && j.Loops == 2 && j.GroupReporting && len(j.Notes) == 1
			}, ""},
		{"quiet boolean with a space", []string{"--invalidate", "1", "--thread"}, func(j workloads.Job) bool { return len(j.Notes) == 2 }, ""},
		{"fio option value starting with a dash", []string{"--nice", "-5"}, func(j workloads.Job) bool { return len(j.Notes) == 1 && strings.HasPrefix(j.Notes[0], "nice=-5:") }, ""},
		{"fio option without a value", []string{"--number_ios"}, nil, "--number_ios needs a value"},
		{"bad value of a fio option", []string{"--loops", "0"}, nil, `--loops "0": 0 outside 1..`},
		{"unsupported fio option", []string{"--exec_prerun", "ls"}, nil, "unknown flag: --exec_prerun"},
		{"bad boolean names the flag", []string{"--direct", "maybe"}, nil, `--direct "maybe": "maybe" is not a boolean`},
		{"bad integer names the flag", []string{"--iodepth", "many"}, nil, `--iodepth "many": "many" is not an integer`},
		{"missing value", []string{"--iodepth"}, nil, "flag needs an argument: --iodepth"},
		{"stray argument", []string{"--rw", "read", "extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "results.json")
			args := append([]string{"bench", "--target", "null://64m", "--size", "64k", "--results", path}, tc.args...)
			out, code := runCLI(t, args...)
			if tc.wantErr != "" {
				if code != exitCannotRun || !strings.Contains(out, tc.wantErr) {
					t.Errorf("exit %d, want 2 and %q:\n%s", code, tc.wantErr, out)
				}
				return
			}
			data, err := os.ReadFile(path)
			if code != 0 || err != nil {
				t.Fatalf("exit %d, %v\n%s", code, err, out)
			}
			var r workloads.Result
			if err := json.Unmarshal(data, &r); err != nil {
				t.Fatal(err)
			}
			if !tc.check(r.Jobs[0].Job) {
				t.Errorf("job %+v", r.Jobs[0].Job)
			}
		})
	}
}

func TestBenchHelp(t *testing.T) {
	for _, h := range []string{"--help", "-h"} {
		out, code := runCLI(t, "bench", h)
		if code != 0 || !strings.Contains(out, "--iodepth") || !strings.Contains(out, "--direct alone means --direct=1") {
			t.Errorf("bench %s: exit %d\n%s", h, code, out)
		}
	}
}
