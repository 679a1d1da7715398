package workloads

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseFio(t *testing.T) {
	env := func(name string) (string, bool) {
		v, ok := map[string]string{"SIZE": "64m", "DEPTH": "16"}[name]
		return v, ok
	}
	tests := []struct {
		name    string
		file    string
		check   func(t *testing.T, jobs []Job)
		wantErr string // substring; with line numbers as name:line
	}{
		{
			name: "global inheritance and override",
			file: "[global]\nbs=8k\niodepth=4\nruntime=10\ntime_based\n\n[a]\nrw=randread\n\n[b]\nrw=randwrite\niodepth=32\nnumjobs=2\n",
			check: func(t *testing.T, jobs []Job) {
				if len(jobs) != 2 {
					t.Fatalf("%d jobs", len(jobs))
				}
				a, b := jobs[0], jobs[1]
				if a.Name != "a" || a.BS != 8192 || a.IODepth != 4 || a.RW != RWRandRead || !a.TimeBased || a.Runtime != 10*time.Second {
					t.Errorf("job a = %+v", a)
				}
				if b.IODepth != 32 || b.NumJobs != 2 || b.BS != 8192 || b.RW != RWRandWrite {
					t.Errorf("job b = %+v", b)
				}
			},
		},
		{
			name: "global after a job applies only to later jobs",
			file: "[a]\nbs=4k\n[global]\nbs=16k\n[b]\n",
			check: func(t *testing.T, jobs []Job) {
				if jobs[0].BS != 4096 || jobs[1].BS != 16384 {
					t.Errorf("bs = %d, %d; want 4096, 16384", jobs[0].BS, jobs[1].BS)
				}
			},
		},
		{
			name: "env expansion and comments",
			file: "; a comment\n# another\n[j]\nsize=${SIZE} ; trailing comment\niodepth=${DEPTH}\n",
			check: func(t *testing.T, jobs []Job) {
				if jobs[0].Size != 64<<20 || jobs[0].IODepth != 16 {
					t.Errorf("size %d iodepth %d", jobs[0].Size, jobs[0].IODepth)
				}
			},
		},
		{
			name: "size suffixes as fio reads them",
			file: "[j]\nsize=1g\noffset=4KiB\nbs=0x1000\nrate=1m,2m\nrate_iops=100\nbssplit=4k/60:64k\n",
			check: func(t *testing.T, jobs []Job) {
				j := jobs[0]
				if j.Size != 1<<30 || j.Offset != 4000 || j.BS != 4096 {
					t.Errorf("size %d offset %d bs %d", j.Size, j.Offset, j.BS)
				}
				if j.Rate != [numDirs]int64{1 << 20, 2 << 20} || j.RateIOPS != [numDirs]int64{100, 100, 100} {
					t.Errorf("rate %v rate_iops %v", j.Rate, j.RateIOPS)
				}
				if len(j.BSSplit) != 2 || j.BSSplit[1] != (BSSplit{Size: 65536, Percent: 40}) {
					t.Errorf("bssplit %v", j.BSSplit)
				}
			},
		},
		{
			name: "filename and ioengine map to targets",
			file: "[j]\nfilename=/dev/nvme0n1\nioengine=psync\niodepth=32\n[k]\nfilename=nvme+tcp://127.0.0.1:4420/nqn.x\n",
			check: func(t *testing.T, jobs []Job) {
				if jobs[0].Target != "file:///dev/nvme0n1" || jobs[0].IODepth != 1 {
					t.Errorf("target %q iodepth %d (psync keeps 1 in flight)", jobs[0].Target, jobs[0].IODepth)
				}
				if jobs[1].Target != "nvme+tcp://127.0.0.1:4420/nqn.x" {
					t.Errorf("target %q", jobs[1].Target)
				}
			},
		},
		{
			name: "how much a job does",
			file: "[j]\nloops=3\nio_limit=1g\nnumber_ios=2k\n[k]\nio_size=64m\n",
			check: func(t *testing.T, jobs []Job) {
				if j := jobs[0]; j.Loops != 3 || j.IOSize != 1<<30 || j.NumberIOs != 2048 {
					t.Errorf("loops %d io_size %d number_ios %d", j.Loops, j.IOSize, j.NumberIOs)
				}
				if j := jobs[1]; j.Loops != 1 || j.IOSize != 64<<20 || j.NumberIOs != 0 {
					t.Errorf("defaults: loops %d io_size %d number_ios %d", j.Loops, j.IOSize, j.NumberIOs)
				}
			},
		},
		{name: "loops at least 1", file: "[j]\nloops=0\n", wantErr: "jobs.fio:2:"},
		{name: "unsupported option names option and line", file: "[j]\nbs=4k\nexec_prerun=ls\n", wantErr: "jobs.fio:3: option \"exec_prerun\": unsupported fio option"},
		{name: "unsupported ioengine", file: "[global]\n\n[j]\nioengine=mmap\n", wantErr: "jobs.fio:4:"},
		{name: "unset variable", file: "[j]\nsize=${NOPE}\n", wantErr: "jobs.fio:2:"},
		{name: "bad value", file: "[j]\niodepth=0\n", wantErr: "jobs.fio:2:"},
		{name: "option outside a section", file: "bs=4k\n", wantErr: "jobs.fio:1:"},
		{name: "no jobs", file: "[global]\nbs=4k\n", wantErr: "no job sections"},
		{name: "validation names the line", file: "[j]\ntime_based=1\n", wantErr: "jobs.fio:2"},
		{name: "file list", file: "[j]\nfilename=/a:/b\n", wantErr: "jobs.fio:2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jobs, err := ParseFio(strings.NewReader(tc.file), "jobs.fio", env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, jobs)
		})
	}
}

func TestParseFioUnsupportedIsTyped(t *testing.T) {
	_, err := ParseFio(strings.NewReader("[j]\nverify_pattern=%o\n"), "x", nil)
	if !errors.Is(err, ErrUnsupportedOption) {
		t.Errorf("err = %v, want ErrUnsupportedOption", err)
	}
}

// fio's example files name their file relative to fio's directory, after the
// job, or by a pattern: a target given to the parse replaces all of them
// before the jobs are checked.
func TestParseFioTarget(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		opts    []ParseOption
		want    []string // each job's Target
		wantErr string
	}{
		{name: "relative filename replaced", file: "[global]\nfilename=fio-rand-read\n[file1]\nsize=1m\n", opts: []ParseOption{WithTarget("null://1g")}, want: []string{"null://1g"}},
		{name: "no filename gets the target", file: "[a]\n[b]\n", opts: []ParseOption{WithTarget("file:///tmp/x")}, want: []string{"file:///tmp/x", "file:///tmp/x"}},
		{name: "directory and file list replaced", file: "[j]\ndirectory=data\nfilename=a:b\n", opts: []ParseOption{WithTarget("null://1g")}, want: []string{"null://1g"}},
		{name: "filename_format replaced", file: "[j]\nfilename_format=$jobname.$jobnum\nnumjobs=4\n", opts: []ParseOption{WithTarget("null://1g")}, want: []string{"null://1g"}},
		{name: "empty target drops them", file: "[j]\nfilename=rel\n", opts: []ParseOption{WithTarget("")}, want: []string{""}},
		{name: "no file options, no target", file: "[j]\n", want: []string{""}},
		{name: "absolute path", file: "[j]\nfilename=/dev/nvme0n1\n", want: []string{"file:///dev/nvme0n1"}},
		{name: "relative under an absolute directory", file: "[global]\ndirectory=/mnt/test\n[j]\nfilename=f1\n", want: []string{"file:///mnt/test/f1"}},
		{name: "fixed filename_format", file: "[j]\nfilename_format=/dev/sdb\n", want: []string{"file:///dev/sdb"}},
		{name: "URL kept", file: "[j]\ndirectory=/x\nfilename=null://64m\n", want: []string{"null://64m"}},
		{name: "relative names its line", file: "[global]\nfilename=fio-rand-read\n[file1]\n", wantErr: `jobs.fio:2: job "file1": filename "fio-rand-read": want an absolute path`},
		{name: "directory alone", file: "[j]\nbs=4k\ndirectory=/mnt\n", wantErr: `jobs.fio:3: job "j": directory "/mnt" without filename`},
		{name: "filename_format pattern", file: "[j]\nfilename_format=f.$jobnum\n", wantErr: "jobs.fio:2: job \"j\": filename_format \"f.$jobnum\": unsupported fio option"},
		{name: "file list", file: "[j]\nfilename=/a:/b\n", wantErr: "jobs.fio:2:"},
		{name: "empty filename", file: "[j]\nfilename=\n", wantErr: "jobs.fio:2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jobs, err := ParseFio(strings.NewReader(tc.file), "jobs.fio", nil, tc.opts...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, j := range jobs {
				got = append(got, j.Target)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") || len(got) != len(tc.want) {
				t.Errorf("targets %q, want %q", got, tc.want)
			}
		})
	}
}

func TestApplyOptionFileOptions(t *testing.T) {
	tests := []struct {
		kv      []string
		want    string
		wantErr string
	}{
		{kv: []string{"filename", "/dev/sdb"}, want: "file:///dev/sdb"},
		{kv: []string{"directory", "/mnt", "filename", "f"}, want: "file:///mnt/f"},
		{kv: []string{"filename", "f", "directory", "/mnt"}, wantErr: `filename "f": want an absolute path`},
		{kv: []string{"directory", "/mnt"}, want: ""},
		{kv: []string{"filename", "nvme+tcp://h:4420/nqn.x"}, want: "nvme+tcp://h:4420/nqn.x"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.kv, "="), func(t *testing.T) {
			j := DefaultJob("j")
			var err error
			for i := 0; i < len(tc.kv) && err == nil; i += 2 {
				err = ApplyOption(&j, tc.kv[i], tc.kv[i+1])
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || j.Target != tc.want {
				t.Errorf("target %q, err %v; want %q", j.Target, err, tc.want)
			}
		})
	}
}

// allrandrepeat is randrepeat for every generator; the engine has one seed.
func TestAllRandRepeat(t *testing.T) {
	jobs, err := ParseFio(strings.NewReader("[j]\nallrandrepeat=0\n"), "a.fio", nil, WithTarget("null://1m"))
	if err != nil || jobs[0].RandRepeat {
		t.Errorf("allrandrepeat=0: randrepeat %v, err %v", jobs[0].RandRepeat, err)
	}
}

// TestRateTrimValue: rate=R,W,T takes fio's third (trim) value; one value
// caps every direction.
func TestRateTrimValue(t *testing.T) {
	for _, tc := range []struct {
		v       string
		want    [numDirs]int64
		wantErr bool
	}{
		{"300,300,300", [numDirs]int64{300, 300, 300}, false},
		{"1m,,5m", [numDirs]int64{1 << 20, 0, 5 << 20}, false},
		{"2k", [numDirs]int64{2048, 2048, 2048}, false},
		{"1,2,x", [numDirs]int64{}, true},
		{"1,2,3,4", [numDirs]int64{}, true},
	} {
		j := DefaultJob("j")
		err := ApplyOption(&j, "rate", tc.v)
		if (err != nil) != tc.wantErr || err == nil && j.Rate != tc.want {
			t.Errorf("rate=%s: %v, err %v", tc.v, j.Rate, err)
		}
	}
}
