package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// fixture is a results.json recorded from a real run (make fixtures).
func fixture(name string) string {
	return filepath.Join("..", "..", "reports", "htmlreport", "testdata", name+".results.json")
}

// scaledFixture writes a copy of a fixture whose stored baseline IOPS is
// scaled by factor, and returns its path.
func scaledFixture(t *testing.T, name string, factor float64) string {
	t.Helper()
	r, err := reports.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Metrics.Overall.Windows {
		r.Metrics.Overall.Windows[i].IOPS *= factor
	}
	path := filepath.Join(t.TempDir(), name+".results.json")
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeInput(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareCLI(t *testing.T) {
	old := writeInput(t, "old.json", `{"schemaVersion": 0, "scenario": {"name": "x"}}`)
	newer := writeInput(t, "new.json", `{"schemaVersion": 99}`)
	notJSON := writeInput(t, "bad.json", `not json`)
	missing := filepath.Join(t.TempDir(), "missing.json")
	base := fixture("kill-two-workloads")
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"same run", []string{base, base}, exitPass, []string{"no regression", "failover_time"}},
		{"IOPS halved", []string{base, scaledFixture(t, "kill-two-workloads", 0.5)}, exitSLOFailed,
			[]string{"regression(s)", "iops.baseline", "REGRESSION"}},
		{"IOPS down 5% within default 10%", []string{base, scaledFixture(t, "kill-two-workloads", 0.95)}, exitPass,
			[]string{"no regression"}},
		{"IOPS down 5% past --threshold", []string{base, scaledFixture(t, "kill-two-workloads", 0.95), "--threshold", "iops=-2%"},
			exitSLOFailed, []string{"REGRESSION"}},
		{"old schema", []string{old, base}, exitCannotRun, []string{old, "schema version 0 is no longer read"}},
		{"newer schema", []string{base, newer}, exitCannotRun, []string{newer, "upgrade nvmf-chaos"}},
		{"not JSON", []string{base, notJSON}, exitCannotRun, []string{notJSON, "not JSON"}},
		{"missing file", []string{missing, base}, exitCannotRun, []string{missing}},
		{"bad threshold", []string{base, base, "--threshold", "iops=10%"}, exitCannotRun, []string{"--threshold", "start with +"}},
		{"unknown metric", []string{base, base, "--threshold", "speed=+1%"}, exitCannotRun, []string{"unknown metric"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runCLI(t, append([]string{"compare"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestCompareCLIHTML(t *testing.T) {
	page := filepath.Join(t.TempDir(), "cmp", "compare.html")
	out, code := runCLI(t, "compare", fixture("ana-short"), scaledFixture(t, "ana-short", 0.5), "--html", page)
	if code != exitSLOFailed {
		t.Fatalf("exit %d, want %d:\n%s", code, exitSLOFailed, out)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("--html wrote nothing: %v", err)
	}
	if !strings.Contains(string(b), "REGRESSION") || !strings.Contains(string(b), "<svg") {
		t.Errorf("comparison page lacks the regression row or the curves")
	}
}

func TestReportCLI(t *testing.T) {
	dir := t.TempDir()
	out, code := runCLI(t, "report", fixture("baseline"), "--out", dir)
	if code != exitPass {
		t.Fatalf("one file: exit %d:\n%s", code, out)
	}
	mustContain(t, filepath.Join(dir, "report.html"), "baseline", "<svg")

	site := filepath.Join(dir, "site")
	out, code = runCLI(t, "report", fixture("baseline"), fixture("kill-two-workloads"), "--out", site)
	if code != exitPass {
		t.Fatalf("suite: exit %d:\n%s", code, out)
	}
	// Both fixtures sit in one folder: the run folders are made unique.
	mustContain(t, filepath.Join(site, "report.html"), `href="testdata/report.html"`, `href="testdata-2/report.html"`, "1 of 2 runs passed")
	mustContain(t, filepath.Join(site, "testdata-2", "report.html"), "kill-two-workloads", "SLO failed")

	bad := writeInput(t, "bad.json", `{"schemaVersion": 1}`)
	out, code = runCLI(t, "report", fixture("baseline"), bad, "--out", site)
	if code != exitCannotRun || !strings.Contains(out, bad) {
		t.Fatalf("bad input: exit %d, want %d naming %s:\n%s", code, exitCannotRun, bad, out)
	}
}

func mustContain(t *testing.T, path string, wants ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wants {
		if !strings.Contains(string(b), w) {
			t.Errorf("%s lacks %q", path, w)
		}
	}
}
