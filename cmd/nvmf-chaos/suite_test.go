package main

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// setBinary sets ownBinary once: tests that run in parallel must not
// write it at the same time.
var setBinary sync.Once

// useBuiltBinary points the runner at a real nvmf-chaos binary: the
// targets are started as processes, and a test binary is not one.
func useBuiltBinary(t *testing.T) {
	t.Helper()
	bin := testbin.Path(t)
	setBinary.Do(func() { ownBinary = func() (string, error) { return bin, nil } })
}

// shortScenario is a 1-node, 2 s run with a 200 ms hang; slo is appended
// to its SLOs.
func shortScenario(name, slo string) string {
	return `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: ` + name + `}
cluster: {nodes: [tgt-a]}
volumes: [{name: vol0, size: 32MiB, nodes: [tgt-a]}]
workloads: [{name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8, verify: crc32c}]
host: {kato: 5s, io_timeout: 10s}
timeline:
  warmup: 500ms
  duration: 2s
  faults: [{at: 1s, kind: process-pause, node: tgt-a, duration: 200ms}]
slos:
  - {metric: io_errors, max: "0"}
` + slo
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSuiteEndToEnd runs a suite of two short scenarios through the CLI;
// the second sets an IOPS floor no loopback target reaches, so the suite
// exits 1 with both rows in its summary and one failure in its JUnit.
func TestSuiteEndToEnd(t *testing.T) {
	useBuiltBinary(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"ok.yaml":   shortScenario("t-ok", "  - {metric: failover_time, max: 1s}\n"),
		"slow.yaml": shortScenario("t-slow", "  - {metric: iops, window: all, min: 100M}\n"),
		"suite.yaml": `apiVersion: nvmf-chaos/v1
kind: Suite
metadata: {name: two}
scenarios:
  - {scenario: ok.yaml}
  - {scenario: slow.yaml, seed: 3}
`,
	})
	out := filepath.Join(dir, "out")
	stdout, code := runCLI(t, "suite", filepath.Join(dir, "suite.yaml"), "--out", out, "--quiet")
	t.Log(stdout)
	if code != exitSLOFailed {
		t.Fatalf("exit %d, want 1 (an SLO failed)", code)
	}
	suiteDirs, _ := filepath.Glob(filepath.Join(out, "two-*"))
	if len(suiteDirs) != 1 {
		t.Fatalf("suite folders %v", suiteDirs)
	}
	sd := suiteDirs[0]
	for _, f := range []string{"summary.md", "junit.xml", "suite.json", "01-t-ok/results.json", "02-t-slow/results.json", "02-t-slow/junit.xml"} {
		if _, err := os.Stat(filepath.Join(sd, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	summary, _ := os.ReadFile(filepath.Join(sd, "summary.md"))
	for _, want := range []string{"suite two: 1 of 2 passed", "| t-ok | 1 | pass |", "| t-slow | 1 | FAIL |", "iops (all)"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, summary)
		}
	}
	junit, _ := os.ReadFile(filepath.Join(sd, "junit.xml"))
	if !strings.Contains(string(junit), `<testsuites name="nvmf-chaos" tests="4" failures="1" errors="0"`) {
		t.Errorf("junit.xml:\n%s", junit)
	}
	page, err := os.ReadFile(filepath.Join(sd, "report.html"))
	if err != nil {
		t.Fatalf("suite report: %v", err)
	}
	for _, want := range []string{`href="01-t-ok/report.html"`, `href="02-t-slow/report.html"`, "t-ok", "t-slow"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("suite report.html lacks %s", want)
		}
	}
	r, err := reports.ReadFile(filepath.Join(sd, "02-t-slow", "results.json"))
	if err != nil || r.Scenario.Seed != 3 {
		t.Errorf("entry seed override: %v, %+v", err, r)
	}
}

// TestSuiteInvalidRunsNothing: one bad entry stops the suite before any
// scenario runs, with exit 2 and every problem listed.
func TestSuiteInvalidRunsNothing(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"ok.yaml": shortScenario("t-ok", ""),
		"suite.yaml": `apiVersion: nvmf-chaos/v1
kind: Suite
metadata: {name: bad}
scenarios:
  - {scenario: ok.yaml}
  - {scenario: nope.yaml}
  - {scenario: ok.yaml, host: {policy: random}}
`,
	})
	out := filepath.Join(dir, "out")
	stdout, code := runCLI(t, "suite", filepath.Join(dir, "suite.yaml"), "--out", out)
	if code != exitCannotRun || !strings.Contains(stdout, "nope.yaml") || !strings.Contains(stdout, `"random"`) {
		t.Errorf("exit %d, output:\n%s", code, stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an invalid suite created %s", out)
	}
}

// TestRunRepeatFailingSLO: run --repeat 2 --duration judges the SLOs on
// both runs (exit 1 on a failed one) and writes the aggregate beside the
// runs.
func TestRunRepeatFailingSLO(t *testing.T) {
	useBuiltBinary(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"s.yaml": shortScenario("t-rep", "  - {metric: failover_time, max: 50ms, of: median}\n")})
	out := filepath.Join(dir, "out")
	stdout, code := runCLI(t, "run", filepath.Join(dir, "s.yaml"), "--repeat", "2", "--duration", "2500ms", "--seed", "11", "--out", out, "--quiet")
	t.Log(stdout)
	if code != exitSLOFailed {
		t.Fatalf("exit %d, want 1", code)
	}
	runDirs, _ := filepath.Glob(filepath.Join(out, "t-rep-*"))
	if len(runDirs) != 1 {
		t.Fatalf("folders %v", runDirs)
	}
	for _, f := range []string{"repeat.json", "summary.md", "junit.xml", "run-01/results.json", "run-02/results.json"} {
		if _, err := os.Stat(filepath.Join(runDirs[0], f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if !strings.Contains(stdout, "| failover_time | median | <= 50ms |") || !strings.Contains(stdout, "seeds [11 12]") {
		t.Errorf("summary lacks the median verdict or the seeds:\n%s", stdout)
	}
}

func TestSchemaCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		file string
		code int
	}{
		{[]string{"schema"}, "scenario.schema.json", 0},
		{[]string{"schema", "suite"}, "suite.schema.json", 0},
		{[]string{"schema", "pod"}, "", exitCannotRun},
	} {
		out, code := runCLI(t, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d", tc.args, code)
			continue
		}
		if tc.file == "" {
			continue
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "schema", tc.file))
		if err != nil || out != string(want) {
			t.Errorf("%v does not print the committed %s (%v)", tc.args, tc.file, err)
		}
	}
}

// TestSuitePushesEachRun: with --pushgateway, every run of a suite (here
// one scenario repeated twice) pushes its final metrics, grouped by its
// own run ID.
func TestSuitePushesEachRun(t *testing.T) {
	useBuiltBinary(t)
	var mu sync.Mutex
	pushes := map[string]string{}
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		pushes[r.URL.Path] = string(body)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer gw.Close()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"ok.yaml": shortScenario("t-push", ""),
		"suite.yaml": `apiVersion: nvmf-chaos/v1
kind: Suite
metadata: {name: pushed}
scenarios:
  - {scenario: ok.yaml, repeat: 2}
`,
	})
	stdout, code := runCLI(t, "suite", filepath.Join(dir, "suite.yaml"), "--out", filepath.Join(dir, "out"), "--quiet",
		"--pushgateway", gw.URL, "--metrics-addr", "127.0.0.1:0")
	if code != exitPass {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pushes) != 2 {
		t.Fatalf("pushes %v, want one per run (2)", slices.Collect(maps.Keys(pushes)))
	}
	for path, body := range pushes {
		// The push client orders grouping labels as it likes.
		if !strings.HasPrefix(path, "/metrics/job/nvmf-chaos/") || !strings.Contains(path, "/scenario/t-push") ||
			!strings.Contains(path, "/run_id/") {
			t.Errorf("push path %s: want job nvmf-chaos grouped by scenario and run_id", path)
		}
		if !strings.Contains(body, "nvmfchaos_io_total") {
			t.Errorf("push %s carries no I/O counters", path)
		}
	}
}
