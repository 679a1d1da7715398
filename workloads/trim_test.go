package workloads

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrimPatterns runs each trim pattern on each backend: the directions
// and offsets issued (a trimwrite writes the block it just trimmed), fio's
// accounting of trims as a third direction, and on a file that trimmed
// blocks read back as zeros while the file keeps its size.
func TestTrimPatterns(t *testing.T) {
	const size, bs = 64 << 10, 4 << 10
	tests := []struct {
		rw                   string
		trims, writes        int64
		sequential, zeroTail bool
	}{
		{"trim", 16, 0, true, true},
		{"randtrim", 16, 0, false, true},
		{"trimwrite", 16, 16, true, false},
		{"randtrimwrite", 16, 16, false, false},
	}
	for _, target := range syncTargets(t) {
		for _, tc := range tests {
			t.Run(strings.SplitN(target, ":", 2)[0]+"/"+tc.rw, func(t *testing.T) {
				path := strings.TrimPrefix(strings.SplitN(target, "?", 2)[0], "file://")
				isFile := strings.HasPrefix(target, "file://")
				if isFile {
					fillFile(t, path, 2*size)
				}
				j := job(t, "t", "rw", tc.rw, "bs", "4k", "size", "64k", "iodepth", "4")
				rec := &recorder{Device: openT(t, target, j)}
				r := runT(t, rec, []Job{j})
				jr := r.Jobs[0]
				if jr.Trim.IOs != tc.trims || jr.Trim.Bytes != tc.trims*bs || jr.Write.IOs != tc.writes || jr.Read.IOs != 0 {
					t.Fatalf("trim %d/%dB write %d read %d, want %d trims, %d writes", jr.Trim.IOs, jr.Trim.Bytes, jr.Write.IOs, jr.Read.IOs, tc.trims, tc.writes)
				}
				if jr.Trim.Errors != 0 || jr.Trim.Latency.N != tc.trims {
					t.Errorf("trim errors %d, latencies %d", jr.Trim.Errors, jr.Trim.Latency.N)
				}
				checkTrimOrder(t, rec, tc.writes > 0, tc.sequential, size/bs)
				if isFile {
					checkTrimmedFile(t, path, size, 2*size, tc.zeroTail)
				}
			})
		}
	}
}

// checkTrimOrder checks the ops: trims (each followed by a write of its
// block with trimwrite) covering each block once, in order if sequential.
func checkTrimOrder(t *testing.T, rec *recorder, paired, sequential bool, blocks int) {
	t.Helper()
	seen := map[int64]bool{}
	step := 1
	if paired {
		step = 2
	}
	for i := 0; i < len(rec.kinds); i += step {
		off := rec.offsets[i]
		if rec.kinds[i] != OpTrim || paired && (rec.kinds[i+1] != OpWrite || rec.offsets[i+1] != off) {
			t.Fatalf("op %d: %v at %d then %v, want a trim (then a write of its block)", i, rec.kinds[i], off, rec.kinds[min(i+1, len(rec.kinds)-1)])
		}
		if sequential && off != int64(len(seen))*4096 {
			t.Fatalf("op %d: trim at %d, want %d", i, off, len(seen)*4096)
		}
		seen[off] = true
	}
	if len(seen) != blocks {
		t.Errorf("%d distinct blocks trimmed, want %d", len(seen), blocks)
	}
}

func fillFile(t *testing.T, path string, n int) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Repeat([]byte{0xa5}, n), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkTrimmedFile checks that the first size bytes were trimmed (zeros,
// unless written after), the rest untouched, and the size kept.
func checkTrimmedFile(t *testing.T, path string, size, total int, zeros bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != total {
		t.Fatalf("file is %d bytes, want %d (KEEP_SIZE)", len(b), total)
	}
	if !bytes.Equal(b[size:], bytes.Repeat([]byte{0xa5}, total-size)) {
		t.Error("bytes after the trimmed region changed")
	}
	allZero := bytes.Count(b[:size], []byte{0}) == size
	if zeros != allZero {
		t.Errorf("trimmed region all zeros = %v, want %v", allZero, zeros)
	}
}

// TestTrimOptions: the rw= names parse, trims are refused with verify, and
// rate= caps trims with its third value.
func TestTrimOptions(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
		check   func(Job) bool
	}{
		{"[j]\nrw=randtrimwrite\n", "", func(j Job) bool {
			return j.RW == RWRandTrimWrite && j.RW.Random() && j.RW.Writes() && j.RW.Trims() && !j.RW.Reads()
		}},
		{"[j]\nrw=trim\nrate_iops=,,100\n", "", func(j Job) bool { return j.RW == RWTrim && !j.RW.Writes() && j.RateIOPS == [numDirs]int64{0, 0, 100} }},
		{"[j]\nrw=trimwrite\nverify=crc32c\n", `verify (t.fio:3): with rw=trimwrite`, nil},
		{"[j]\nrw=trimread\n", "t.fio:2: option rw=\"trimread\"", nil},
	}
	for _, tc := range tests {
		jobs, err := ParseFio(strings.NewReader(tc.file), "t.fio", nil, WithTarget("null://1m"))
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.file, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.file, err)
		case !tc.check(jobs[0]):
			t.Errorf("%q: job %+v", tc.file, jobs[0])
		}
	}
}

// TestTrimBlockDeviceDiscards: on a block device (a loop device over a
// file) trims are discards (BLKDISCARD), through psync and io_uring alike:
// the trimmed region reads back as zeros, the rest is untouched.
func TestTrimBlockDeviceDiscards(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: sets up a loop device")
	}
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("needs losetup (util-linux)")
	}
	const size, total = 64 << 10, 128 << 10
	for _, engine := range []string{"psync", "io_uring"} {
		t.Run(engine, func(t *testing.T) {
			backing := filepath.Join(t.TempDir(), "backing")
			fillFile(t, backing, total)
			out, err := exec.Command("losetup", "-f", "--show", backing).Output()
			if err != nil {
				t.Skipf("no loop device here: %v", err)
			}
			dev := strings.TrimSpace(string(out))
			detached := false
			detach := func() {
				if !detached {
					detached = true
					if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
						t.Errorf("losetup -d %s: %v: %s", dev, err, out)
					}
				}
			}
			defer detach()
			j := job(t, "t", "rw", "randtrim", "bs", "4k", "size", "64k", "iodepth", "4")
			r := runT(t, openT(t, "file://"+dev+"?engine="+engine, j), []Job{j})
			if tr := r.Jobs[0].Trim; tr.IOs != 16 || tr.Errors != 0 {
				t.Fatalf("%d trims, %d errors, want 16 and 0", tr.IOs, tr.Errors)
			}
			detach() // the loop device's writes reach the backing file
			checkTrimmedFile(t, backing, size, total, true)
		})
	}
}
