package workloads

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// fioJSONReader is what a typical fio JSON consumer decodes: the documented
// fields with fio's types.
type fioJSONReader struct {
	Jobs []struct {
		JobName string           `json:"jobname"`
		Read    fioJSONReaderDir `json:"read"`
		Write   fioJSONReaderDir `json:"write"`
	} `json:"jobs"`
}

type fioJSONReaderDir struct {
	IOBytes  int64   `json:"io_bytes"`
	BW       int64   `json:"bw"`
	IOPS     float64 `json:"iops"`
	Runtime  int64   `json:"runtime"`
	TotalIOs int64   `json:"total_ios"`
	ClatNs   struct {
		Min        int64            `json:"min"`
		Max        int64            `json:"max"`
		Mean       float64          `json:"mean"`
		Stddev     float64          `json:"stddev"`
		Percentile map[string]int64 `json:"percentile"`
	} `json:"clat_ns"`
	LatNs struct {
		Min  int64   `json:"min"`
		Max  int64   `json:"max"`
		Mean float64 `json:"mean"`
	} `json:"lat_ns"`
}

// TestFioJSONLayout checks our JSON against a real fio 3.33 output: the
// same parser reads both, and every key we emit in a job's direction block
// exists in fio's (we add only nvmf_chaos_verify at the job level).
func TestFioJSONLayout(t *testing.T) {
	real, err := os.ReadFile("testdata/fio-3.33-randrw.json")
	if err != nil {
		t.Fatal(err)
	}
	var fromFio fioJSONReader
	if err := json.Unmarshal(real, &fromFio); err != nil {
		t.Fatalf("parser cannot read real fio output: %v", err)
	}
	if fromFio.Jobs[0].Read.ClatNs.Percentile["99.900000"] == 0 {
		t.Fatal("parser misses fio's percentile keys")
	}

	j := job(t, "mix", "rw", "randrw", "size", "4m", "iodepth", "8")
	r := runT(t, openT(t, "null://64m", j), []Job{j})
	var out bytes.Buffer
	if err := WriteJSON(&out, r, time.Unix(1795382378, 0)); err != nil {
		t.Fatal(err)
	}
	var ours fioJSONReader
	if err := json.Unmarshal(out.Bytes(), &ours); err != nil {
		t.Fatalf("parser cannot read our output: %v\n%s", err, out.String())
	}
	got, want := ours.Jobs[0], r.Jobs[0]
	if got.JobName != "mix" || got.Read.TotalIOs != want.Read.IOs || got.Write.IOBytes != want.Write.Bytes {
		t.Errorf("jobname %q total_ios %d io_bytes %d; want mix, %d, %d", got.JobName, got.Read.TotalIOs, got.Write.IOBytes, want.Read.IOs, want.Write.Bytes)
	}
	if bw := int64(want.Read.BW()) / 1024; got.Read.BW != bw || got.Read.Runtime != (want.Read.RuntimeNs+5e5)/1e6 {
		t.Errorf("bw %d KiB/s runtime %d ms; want %d, %d", got.Read.BW, got.Read.Runtime, bw, want.Read.RuntimeNs/1e6)
	}
	for _, p := range []string{"50.000000", "99.000000", "99.900000"} {
		if _, ok := got.Read.ClatNs.Percentile[p]; !ok {
			t.Errorf("clat_ns.percentile lacks %q", p)
		}
	}
	if got.Read.ClatNs.Max < got.Read.ClatNs.Min || got.Read.LatNs.Mean <= 0 {
		t.Errorf("clat %+v lat %+v", got.Read.ClatNs, got.Read.LatNs)
	}
	if extra := extraKeys(t, real, out.Bytes()); len(extra) > 0 {
		t.Errorf("keys fio does not have: %v", extra)
	}
}

// extraKeys lists keys of our jobs[0] (read block, latency blocks, top
// level) that fio's output lacks.
func extraKeys(t *testing.T, fio, ours []byte) []string {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal(fio, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ours, &b); err != nil {
		t.Fatal(err)
	}
	var extra []string
	var walk func(path string, x, y any)
	walk = func(path string, x, y any) {
		xm, ok1 := x.(map[string]any)
		ym, ok2 := y.(map[string]any)
		if !ok1 || !ok2 || strings.HasSuffix(path, "percentile") || strings.HasSuffix(path, "job options") {
			return
		}
		for k, v := range ym {
			if _, ok := xm[k]; !ok && k != "nvmf_chaos_verify" {
				extra = append(extra, path+"."+k)
				continue
			}
			walk(path+"."+k, xm[k], v)
		}
	}
	walk("", a, b)
	walk("jobs[0]", a["jobs"].([]any)[0], b["jobs"].([]any)[0])
	sort.Strings(extra)
	return extra
}

func TestWriteSummary(t *testing.T) {
	j := verifyJob(t, "rw", "randwrite", "size", "256k")
	dev := &faultyDevice{memDevice: newMemDevice(1 << 20), dropWrite: 3, staleDone: map[int64]bool{}}
	r := runT(t, dev, []Job{j})
	var b bytes.Buffer
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"v: (rw=randwrite, bs=4KiB, iodepth=4, jobs=1, groupid=0)", "write: IOPS=", "clat percentiles (usec):", "99.90th=[", "lost_writes=1", "verify: bad magic header 0, wanted 4346564e at file v offset ", "(lost, at "} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// TestReportOptions: percentile_list, clat_percentiles, lat_percentiles
// and unified_rw_reporting shape the JSON and the summary as in fio.
func TestReportOptions(t *testing.T) {
	tests := []struct {
		opts      string
		dirs      string // JSON direction blocks present
		clat, lat string // percentile keys, "" for none
		summary   []string
	}{
		{"", "read write trim", "99.900000", "", []string{"  read: IOPS", "  write: IOPS", "clat percentiles"}},
		{"percentile_list=50:99.5\nlat_percentiles=1\nclat_percentiles=0\n", "read write trim", "", "99.500000", []string{"lat percentiles", "99.50th"}},
		{"unified_rw_reporting=mixed\n", "mixed", "99.900000", "", []string{"  mixed: IOPS"}},
		{"unified_rw_reporting=both\n", "read write trim mixed", "99.900000", "", []string{"  read: IOPS", "  mixed: IOPS"}},
	}
	for _, tc := range tests {
		t.Run(tc.opts, func(t *testing.T) {
			jobs, err := ParseFio(strings.NewReader("[j]\nrw=randrw\nsize=256k\n"+tc.opts), "r.fio", nil, WithTarget("null://1m"))
			if err != nil {
				t.Fatal(err)
			}
			r := runT(t, openT(t, "null://1m", jobs...), jobs)
			out, err := ToFio(r, time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			fj := out.Jobs[0]
			var dirs []string
			for _, d := range []struct {
				name string
				fd   *FioDir
			}{{"read", fj.Read}, {"write", fj.Write}, {"trim", fj.Trim}, {"mixed", fj.Mixed}} {
				if d.fd != nil {
					dirs = append(dirs, d.name)
				}
			}
			if strings.Join(dirs, " ") != tc.dirs {
				t.Fatalf("blocks %v, want %s", dirs, tc.dirs)
			}
			d := fj.Read
			if d == nil {
				d = fj.Mixed
				if d.TotalIOs != 64 {
					t.Errorf("mixed counts %d I/Os, want all 64", d.TotalIOs)
				}
			}
			for _, c := range []struct {
				got  map[string]int64
				want string
			}{{d.ClatNs.Percentile, tc.clat}, {d.LatNs.Percentile, tc.lat}} {
				if _, ok := c.got[c.want]; c.want == "" && len(c.got) != 0 || c.want != "" && !ok {
					t.Errorf("percentiles %v, want key %q", c.got, c.want)
				}
			}
			var b bytes.Buffer
			if err := WriteSummary(&b, r); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.summary {
				if !strings.Contains(b.String(), s) {
					t.Errorf("summary lacks %q:\n%s", s, b.String())
				}
			}
		})
	}
}
