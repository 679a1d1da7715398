package workloads

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestGroupReporting checks fio's reporting: which jobs share an entry and
// what a group sums. Jobs are size-bound on null://, so counts are exact.
func TestGroupReporting(t *testing.T) {
	const g = "[global]\nbs=4k\nsize=256k\n" // 64 I/Os per worker
	type entry struct {
		name           string
		group, workers int
		reads, writes  int64
	}
	tests := []struct {
		name    string
		file    string
		entries []entry
		groups  [][2]int64 // reads, writes of each group
	}{
		{"one entry per job without it", g + "[a]\nrw=randread\n[b]\nrw=randwrite\nnumjobs=2\n",
			[]entry{{"a", 0, 1, 64, 0}, {"b", 0, 2, 0, 128}}, [][2]int64{{64, 128}}},
		{"group_reporting merges a group", g + "group_reporting\n[a]\nrw=randread\nnumjobs=3\n[b]\nrw=randwrite\n",
			[]entry{{"a", 0, 4, 192, 64}}, [][2]int64{{192, 64}}},
		{"one entry per group", g + "group_reporting\n[a]\n[b]\n[c]\nstonewall\nrw=write\n[d]\nrw=write\n[e]\nnew_group\n",
			[]entry{{"a", 0, 2, 128, 0}, {"c", 1, 2, 0, 128}, {"e", 2, 1, 64, 0}}, [][2]int64{{128, 0}, {0, 128}, {64, 0}}},
		{"joins the entry before it, as fio", g + "[a]\n[b]\ngroup_reporting\n[c]\n",
			[]entry{{"a", 0, 2, 128, 0}, {"c", 0, 1, 64, 0}}, [][2]int64{{192, 0}}},
		{"never across groups", g + "[a]\n[b]\nnew_group\ngroup_reporting\n",
			[]entry{{"a", 0, 1, 64, 0}, {"b", 1, 1, 64, 0}}, [][2]int64{{64, 0}, {64, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jobs, err := ParseFio(strings.NewReader(tc.file), "g.fio", nil, WithTarget("null://64m"))
			if err != nil {
				t.Fatal(err)
			}
			r := runT(t, openT(t, "null://64m", jobs...), jobs)
			entries, err := r.Reported()
			if err != nil {
				t.Fatal(err)
			}
			var got []entry
			for _, e := range entries {
				got = append(got, entry{e.Name, e.Group, e.Workers, e.Read.IOs, e.Write.IOs})
				checkMerged(t, &e)
			}
			if len(got) != len(tc.entries) {
				t.Fatalf("entries %+v, want %+v", got, tc.entries)
			}
			for i := range got {
				if got[i] != tc.entries[i] {
					t.Errorf("entry %d = %+v, want %+v", i, got[i], tc.entries[i])
				}
			}
			groups := Groups(entries)
			if len(groups) != len(tc.groups) {
				t.Fatalf("%d groups, want %d", len(groups), len(tc.groups))
			}
			for i, gs := range groups {
				if gs.Group != i || gs.Read.IOs != tc.groups[i][0] || gs.Write.IOs != tc.groups[i][1] {
					t.Errorf("group %d: %d reads, %d writes; want %v", gs.Group, gs.Read.IOs, gs.Write.IOs, tc.groups[i])
				}
				checkGroup(t, &gs, entries)
			}
		})
	}
}

// checkMerged: an entry's histogram and series hold exactly its I/Os, and
// its rates are its totals over its runtime.
func checkMerged(t *testing.T, e *Entry) {
	t.Helper()
	for d := range numDirs {
		dr := e.Dir(d)
		var series int64
		for _, iv := range dr.Series {
			series += iv.IOs
		}
		if dr.Latency.N != dr.IOs || series != dr.IOs || dr.Bytes != dr.IOs*4096 {
			t.Errorf("%s dir %d: %d I/Os, %d bytes, histogram %d, series %d", e.Name, d, dr.IOs, dr.Bytes, dr.Latency.N, series)
		}
		if dr.IOs > 0 && dr.IOPS() != float64(dr.IOs)*1e9/float64(dr.RuntimeNs) {
			t.Errorf("%s: IOPS %v is not I/Os over runtime", e.Name, dr.IOPS())
		}
	}
}

// checkGroup: fio's aggregate is the group's bytes over its longest
// runtime, between the slowest and the fastest entry.
func checkGroup(t *testing.T, g *GroupStats, entries []Entry) {
	t.Helper()
	for d := range numDirs {
		s := g.Dir(d)
		var longest int64
		for _, e := range entries {
			if e.Group == g.Group && e.Dir(d).IOs > 0 {
				longest = max(longest, e.Dir(d).RuntimeNs)
			}
		}
		if s.MaxRuntimeNs != longest || s.Bytes != s.IOs*4096 || s.MinRuntimeNs > s.MaxRuntimeNs || s.MinBW > s.MaxBW {
			t.Errorf("group %d dir %d: %+v, longest entry runtime %d", g.Group, d, *s, longest)
		}
		if s.IOs > 0 && s.BW() != float64(s.Bytes)*1e9/float64(longest) {
			t.Errorf("group %d: bw %v is not its bytes over its longest runtime", g.Group, s.BW())
		}
	}
}

func TestOutputPerGroup(t *testing.T) {
	file := "[global]\nbs=4k\nsize=256k\ngroup_reporting\n[seq]\nrw=write\nnumjobs=2\n[rand]\nstonewall\nrw=randread\n"
	jobs, err := ParseFio(strings.NewReader(file), "o.fio", nil, WithTarget("null://64m"))
	if err != nil {
		t.Fatal(err)
	}
	r := runT(t, openT(t, "null://64m", jobs...), jobs)
	var text bytes.Buffer
	if err := WriteSummary(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"seq: (rw=write, bs=4KiB, iodepth=1, jobs=2, groupid=0)", "rand: (rw=randread, bs=4KiB, iodepth=1, jobs=1, groupid=1)",
		"Run status group 0 (all jobs):\n  WRITE: bw=", "io=512KiB, run=", "Run status group 1 (all jobs):\n   READ: bw=", "io=256KiB, run="} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r, time.Now()); err != nil {
		t.Fatal(err)
	}
	var out FioOutput
	if err := json.Unmarshal(js.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Jobs) != 2 || out.Jobs[0].GroupID != 0 || out.Jobs[0].Write.TotalIOs != 128 || out.Jobs[1].GroupID != 1 || out.Jobs[1].Read.TotalIOs != 64 {
		t.Errorf("JSON jobs: %+v", out.Jobs)
	}
}

// A merged entry's runtime in a direction is the longest of the members
// that did I/O in it: a write-only job's time does not stretch the reads.
func TestReportedRuntimeByDirection(t *testing.T) {
	gr := DefaultJob("x")
	gr.GroupReporting = true
	jr := func(name string, reads, readNs, writes, writeNs int64) JobResult {
		j := gr
		j.Name = name
		return JobResult{Name: name, Job: j, Read: DirResult{IOs: reads, RuntimeNs: readNs}, Write: DirResult{IOs: writes, RuntimeNs: writeNs}}
	}
	r := &Result{Jobs: []JobResult{
		jr("writer", 0, 900, 10, 900), // its runtime shows in both directions
		jr("reader", 10, 100, 0, 100),
		jr("mixed", 5, 300, 5, 300),
	}}
	entries, err := r.Reported()
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries %+v, %v", entries, err)
	}
	if e := entries[0]; e.Read.RuntimeNs != 300 || e.Write.RuntimeNs != 900 || e.Read.IOs != 15 || e.Write.IOs != 15 {
		t.Errorf("read %d I/Os in %d ns, write %d in %d; want 15 in 300, 15 in 900", e.Read.IOs, e.Read.RuntimeNs, e.Write.IOs, e.Write.RuntimeNs)
	}
}
