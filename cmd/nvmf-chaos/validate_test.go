package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateAndRunRefuseAlike: what run refuses without starting,
// validate refuses too, with the same words at file:line:col, and run
// stops there (exit 2) before it makes a run folder.
func TestValidateAndRunRefuseAlike(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "malloc2.yaml")
	doc := `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: malloc2}
cluster: {nodes: [tgt-a, tgt-b]}
volumes:
  - {name: vol0, size: 64MiB, nodes: [tgt-a, tgt-b], backing: malloc}
workloads:
  - {name: w, volume: vol0, rw: randread, bs: 4k}
timeline: {duration: 2s}
`
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	want := file + ":6:63: volumes[0].backing: malloc backing lives in one process and cannot be shared by 2 nodes"
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{{"validate", file}, {"run", "--quiet", "--out", out, file}} {
		got, code := runCLI(t, args...)
		if code != exitCannotRun || !strings.Contains(got, want) {
			t.Errorf("%s: exit %d, output\n%s\nwant exit %d and %q", args[0], code, got, exitCannotRun, want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("run made %s before refusing", out)
	}
}
