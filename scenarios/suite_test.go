package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuiltinSuitesLoad(t *testing.T) {
	for _, name := range BuiltinSuites() {
		ls, err := LoadSuite(name, SuiteOverrides{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(ls.Runs) == 0 {
			t.Errorf("%s: no scenarios", name)
		}
	}
	// The release suite covers the whole local library, the kubernetes
	// suite the Kubernetes one, and both scale for CI.
	covered := map[string]string{}
	for _, suite := range []string{"release", "kubernetes"} {
		ls, err := LoadSuite(suite, SuiteOverrides{Duration: 30 * time.Second, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range ls.Runs {
			covered[r.Batch.Name] = suite
			if r.Batch.Seed != 5 || r.Batch.Cells[0].Scenario.Timeline.Duration.D() != 30*time.Second {
				t.Errorf("%s: seed %d, duration %s", r.Dir, r.Batch.Seed, r.Batch.Cells[0].Scenario.Timeline.Duration)
			}
		}
	}
	bs, _ := Builtins()
	for _, b := range bs {
		l, err := Load(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		want := "release"
		if l.Scenario.Cluster.Backend == backendKubernetes {
			want = "kubernetes"
		}
		if covered[b.Name] != want {
			t.Errorf("built-in %s is in suite %q, want %q", b.Name, covered[b.Name], want)
		}
	}
}

func TestSuiteOverrides(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "mine.yaml"), minimal)
	write(t, filepath.Join(dir, "s.yaml"), `apiVersion: nvmf-chaos/v1
kind: Suite
metadata: {name: s}
scenarios:
  - {scenario: mine.yaml, repeat: 3, seed: 9, host: {kato: 2s, policy: round-robin}, duration: 10s}
  - {scenario: baseline}
`)
	ls, err := LoadSuite(filepath.Join(dir, "s.yaml"), SuiteOverrides{})
	if err != nil {
		t.Fatal(err)
	}
	b := ls.Runs[0].Batch
	sc := b.Cells[0].Scenario
	if b.Repeat != 3 || b.Seed != 9 || sc.Host.KATO.D() != 2*time.Second || sc.Host.Policy != "round-robin" || sc.Timeline.Duration.D() != 10*time.Second {
		t.Errorf("overrides not applied: repeat %d seed %d host %+v duration %s", b.Repeat, b.Seed, sc.Host, sc.Timeline.Duration)
	}
	if ls.Runs[0].Dir != "01-t1" || ls.Runs[1].Dir != "02-baseline" {
		t.Errorf("folders %q %q", ls.Runs[0].Dir, ls.Runs[1].Dir)
	}
}

// TestSuiteReportsEveryBadEntry: all problems, across entries, at once
// and located in the suite file, before anything runs.
func TestSuiteReportsEveryBadEntry(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "mine.yaml"), minimal)
	path := filepath.Join(dir, "s.yaml")
	write(t, path, `apiVersion: nvmf-chaos/v1
kind: Suite
metadata: {name: s}
scenarios:
  - {scenario: missing.yaml}
  - {scenario: mine.yaml, host: {reconnect_delay: 1m, ctrl_loss_tmo: 10s}}
  - {scenario: link-flap, duration: 5s}
  - {scenario: baseline, repeat: 5000}
  - {scenario: baseline}
`)
	_, err := LoadSuite(path, SuiteOverrides{})
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	want := map[string]int{"missing.yaml": 5, "reconnect_delay": 6, "shortest duration": 7, "want 0..1000": 8}
	for sub, line := range want {
		found := false
		for _, e := range errs {
			if strings.Contains(e.Error(), sub) {
				found = true
				if e.Line != line || e.File != path {
					t.Errorf("%q at %s:%d, want line %d", sub, e.File, e.Line, line)
				}
			}
		}
		if !found {
			t.Errorf("errors lack %q:\n%v", sub, err)
		}
	}
	if _, err := LoadSuite("no-such-suite", SuiteOverrides{}); err == nil || !strings.Contains(err.Error(), "release") {
		t.Errorf("unknown suite: %v", err)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
