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
				if j.Rate != [numDirs]int64{1 << 20, 2 << 20} || j.RateIOPS != [numDirs]int64{100, 100} {
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
		{name: "unsupported option names option and line", file: "[j]\nbs=4k\nfsync=1\n", wantErr: "jobs.fio:3: option \"fsync\": unsupported fio option"},
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
	_, err := ParseFio(strings.NewReader("[j]\nverify_pattern=0xff\n"), "x", nil)
	if !errors.Is(err, ErrUnsupportedOption) {
		t.Errorf("err = %v, want ErrUnsupportedOption", err)
	}
}
