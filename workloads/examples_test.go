package workloads

import (
	"path/filepath"
	"testing"
)

// TestFioExamples runs the job files of testdata/fio-examples, written by
// the project in the shapes of fio's example files, as a user would: the
// target replaces their file names. Sizes are small and runtimes at most
// 100 ms; each file's reporting groups are checked for their order and
// their sums.
func TestFioExamples(t *testing.T) {
	type group struct {
		reads, writes int64 // exact; -1: some
		afterPrevious bool  // starts only once every earlier group ended
	}
	tests := []struct {
		file    string
		onFile  bool // a file in t.TempDir() rather than null://16m
		entries int
		groups  []group
		after   [][2]string   // job [0] starts only once job [1] ended
		notes   int           // distinct notes of options without effect
		trims   map[int]int64 // by group, exact or -1: some; 0 elsewhere
		syncs   map[int]bool  // groups whose entries report flushes
	}{
		{file: "rand-read.fio", entries: 1, groups: []group{{-1, 0, false}}, notes: 1},
		{file: "rand-write.fio", onFile: true, entries: 1, groups: []group{{0, 256, false}}, notes: 1},
		{file: "seq-read-stonewall.fio", entries: 3, groups: []group{{256, 0, false}, {32, 0, true}, {4, 0, true}}, notes: 1},
		{file: "ssd-steps.fio", onFile: true, entries: 4, groups: []group{{256, 0, false}, {256, 0, true}, {0, 256, true}, {0, 256, true}}, notes: 1},
		{file: "multi-group.fio", entries: 2, groups: []group{{128, 128, false}, {256, 128, false}}, notes: 1},
		{file: "wait-for.fio", entries: 3, groups: []group{{272, 16, false}}, after: [][2]string{{"readback", "fill"}}, notes: 1},
		{file: "mixed-bssplit.fio", entries: 1, groups: []group{{-1, -1, false}}, notes: 1},
		{file: "loops-and-counts.fio", entries: 3, groups: []group{{232, 96, false}}, notes: 1},
		{file: "size-percent.fio", entries: 2, groups: []group{{64, 8, false}}, notes: 1},
		{file: "tuned-host.fio", entries: 1, groups: []group{{128, 64, false}}, notes: 7},
		{file: "ramp-startdelay.fio", entries: 3, groups: []group{{-1, 0, false}, {0, -1, true}}, notes: 1},
		{file: "verify-phases.fio", onFile: true, entries: 2, groups: []group{{0, 64, false}, {64, 0, true}}, notes: 1},
		{file: "skewed.fio", entries: 6, groups: []group{{224, 32, false}}, notes: 0},
		{file: "env-sized.fio", entries: 2, groups: []group{{0, 128, false}, {128, 0, true}}, notes: 1},
		{file: "phases.fio", onFile: true, entries: 4, groups: []group{{0, -1, false}, {-1, 0, true}, {-1, -1, true}, {0, 0, true}}, trims: map[int]int64{3: -1}, syncs: map[int]bool{2: true}, notes: 1},
	}
	t.Setenv("BS", "4k")
	t.Setenv("SIZE", "512k")
	t.Setenv("DEPTH", "8")
	t.Setenv("RUNTIME", "100ms")
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			target := "null://16m"
			if tc.onFile {
				target = "file://" + filepath.Join(t.TempDir(), "target.dat")
			}
			jobs, err := ParseFioFile(filepath.Join("testdata", "fio-examples", tc.file), WithTarget(target))
			if err != nil {
				t.Fatal(err)
			}
			r := runT(t, openT(t, target, jobs...), jobs)
			for _, j := range r.Jobs {
				// A reading verify job checks every unit an earlier job wrote.
				if v := j.Verify; v != nil && !j.Job.RW.Writes() && v.ReadsChecked != j.Read.Bytes/v.Unit {
					t.Errorf("%s: %d units checked of %d read", j.Name, v.ReadsChecked, j.Read.Bytes/v.Unit)
				}
			}
			if n := r.VerifyFailures(); n != 0 {
				t.Errorf("%d verification failures on a clean target", n)
			}
			entries, err := r.Reported()
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != tc.entries {
				t.Errorf("%d entries, want %d", len(entries), tc.entries)
			}
			groups := Groups(entries)
			if len(groups) != len(tc.groups) {
				t.Fatalf("%d groups, want %d", len(groups), len(tc.groups))
			}
			for g, want := range tc.groups {
				checkCount(t, g, "reads", groups[g].Read.IOs, want.reads)
				checkCount(t, g, "writes", groups[g].Write.IOs, want.writes)
				checkCount(t, g, "trims", groups[g].Trim.IOs, tc.trims[g])
				for _, e := range entries {
					if e.Group == g && (e.Sync != nil && e.Sync.IOs > 0) != tc.syncs[g] {
						t.Errorf("group %d: entry %s reports flushes: %v, want %v", g, e.Name, e.Sync != nil, tc.syncs[g])
					}
				}
				checkSums(t, r, &groups[g])
				if want.afterPrevious {
					checkAfterGroups(t, r, g)
				}
			}
			for _, p := range tc.after {
				a, b := jobNamed(t, r, p[0]), jobNamed(t, r, p[1])
				if a.StartNs < b.EndNs {
					t.Errorf("job %s started at %d, before job %s ended at %d", a.Name, a.StartNs, b.Name, b.EndNs)
				}
			}
			if n := len(r.AllNotes()) - len(r.Notes); n != tc.notes {
				t.Errorf("%d notes, want %d: %q", n, tc.notes, r.AllNotes())
			}
		})
	}
}

func checkCount(t *testing.T, g int, what string, got, want int64) {
	t.Helper()
	if want < 0 && got <= 0 || want >= 0 && got != want {
		t.Errorf("group %d: %d %s, want %d (-1: some)", g, got, what, want)
	}
}

// checkSums: a group's totals are the sums of its jobs' own records, and
// its longest runtime is its longest job's.
func checkSums(t *testing.T, r *Result, g *GroupStats) {
	t.Helper()
	for d := range numDirs {
		var ios, bytes, longest int64
		for _, j := range r.Jobs {
			if j.Group == g.Group && j.Dir(d).IOs > 0 {
				ios, bytes = ios+j.Dir(d).IOs, bytes+j.Dir(d).Bytes
				longest = max(longest, j.Dir(d).RuntimeNs)
			}
		}
		s := g.Dir(d)
		if s.IOs != ios || s.Bytes != bytes || s.MaxRuntimeNs != longest {
			t.Errorf("group %d dir %d: %d I/Os, %d bytes, longest %d; its jobs: %d, %d, %d", g.Group, d, s.IOs, s.Bytes, s.MaxRuntimeNs, ios, bytes, longest)
		}
	}
}

// checkAfterGroups: every job of group g started after every job of the
// groups before it ended.
func checkAfterGroups(t *testing.T, r *Result, g int) {
	t.Helper()
	for _, a := range r.Jobs {
		for _, b := range r.Jobs {
			if a.Group == g && b.Group < g && a.StartNs < b.EndNs {
				t.Errorf("job %s (group %d) started at %d, before job %s (group %d) ended at %d", a.Name, g, a.StartNs, b.Name, b.Group, b.EndNs)
			}
		}
	}
}

func jobNamed(t *testing.T, r *Result, name string) *JobResult {
	t.Helper()
	for i := range r.Jobs {
		if r.Jobs[i].Name == name {
			return &r.Jobs[i]
		}
	}
	t.Fatalf("no job %q", name)
	return nil
}
