package workloads

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadPhaseAfterFill: a read-only verify phase after a fill_device
// write phase that stopped early (here after number_ios) checks what that
// phase wrote and counts the rest of the file as never written, as fio
// reads back a file fill_device grew only so far; after a writer without
// fill_device the unwritten units fail as fio's bad magic does.
func TestReadPhaseAfterFill(t *testing.T) {
	const phases = `[global]
bs=64k
verify=meta
verify_interval=512
verify_pattern=0xaa555aa5
[write-phase]
rw=write
number_ios=4
do_verify=0
%s
[verify-phase]
stonewall
rw=read
do_verify=1
`
	tests := []struct {
		name       string
		writer     string
		wantFailed bool
	}{
		{"fill_device writer", "fill_device=1", false},
		{"sized writer", "size=1m", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "scan.dat")
			if err := os.WriteFile(path, make([]byte, 1<<20), 0o600); err != nil {
				t.Fatal(err)
			}
			target := "file://" + path
			text := strings.Replace(phases, "%s", tc.writer, 1)
			jobs, err := ParseFio(strings.NewReader(text), "scan.fio", func(string) (string, bool) { return "", false }, WithTarget(target))
			if err != nil {
				t.Fatal(err)
			}
			r := runT(t, openT(t, target, jobs...), jobs)
			v := jobNamed(t, r, "verify-phase").Verify
			if v == nil {
				t.Fatal("verify-phase has no verify result")
			}
			if got := r.VerifyFailures() != 0; got != tc.wantFailed {
				t.Errorf("verification failed: %v, want %v (%+v)", got, tc.wantFailed, *v)
			}
			// 4 writes of 64k stamp 512 units; the read phase checks them.
			if v.ReadsChecked < 512 {
				t.Errorf("%d units checked, want at least the 512 written", v.ReadsChecked)
			}
		})
	}
}
