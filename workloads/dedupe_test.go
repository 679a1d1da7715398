package workloads

import (
	"bytes"
	"crypto/md5"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// contentRecorder remembers the contents of every write, in submit order.
type contentRecorder struct {
	Device
	mu     sync.Mutex
	writes [][md5.Size]byte
	offs   []int64
	bufs   [][]byte
}

func (r *contentRecorder) Submit(op *Op) {
	if op.Kind == OpWrite {
		r.mu.Lock()
		r.writes = append(r.writes, md5.Sum(op.Buf))
		r.offs = append(r.offs, op.Offset)
		if len(r.bufs) < 16 {
			r.bufs = append(r.bufs, bytes.Clone(op.Buf))
		}
		r.mu.Unlock()
	}
	r.Device.Submit(op)
}

// dedupeStats counts distinct contents, writes that repeat an earlier
// content, and the contents written more than once.
func dedupeStats(sums [][md5.Size]byte) (distinct, repeats, multi int) {
	seen := map[[md5.Size]byte]int{}
	for _, s := range sums {
		if seen[s]++; seen[s] > 1 {
			repeats++
		}
		if seen[s] == 2 {
			multi++
		}
	}
	return len(seen), repeats, multi
}

// TestDedupe: write contents per I/O. Fixed buffers repeat by iodepth;
// refill_buffers makes each unique; dedupe_percentage repeats that share
// of them: the previous unique buffer (repeat; with 100 all are the
// first), or one of the working set (of 10% of size: 25 buffers here).
func TestDedupe(t *testing.T) {
	base := []string{"rw", "write", "bs", "4k", "size", "1m", "iodepth", "4"} // 256 writes
	tests := []struct {
		name                 string
		kv                   []string
		distLo, distHi       int // distinct contents
		maxMulti             int // contents written more than once; -1: unchecked
		previousOnly, halfZs bool
	}{
		{"fixed buffers", nil, 1, 4, -1, false, false},
		{"refill_buffers", []string{"refill_buffers", "1"}, 256, 256, 0, false, false},
		{"dedupe 50 repeat", []string{"dedupe_percentage", "50"}, 100, 156, -1, true, false},
		{"dedupe 100", []string{"dedupe_percentage", "100"}, 1, 1, 1, false, false},
		{"working set", []string{"dedupe_percentage", "50", "dedupe_mode", "working_set", "dedupe_working_set_percentage", "10"}, 100, 181, 25, false, false},
		{"compressible", []string{"refill_buffers", "1", "buffer_compress_percentage", "50"}, 256, 256, 0, false, true},
	}
	for _, target := range []string{"null://1m", "file://" + filepath.Join(t.TempDir(), "d")} {
		for _, tc := range tests {
			t.Run(strings.SplitN(target, ":", 2)[0]+"/"+tc.name, func(t *testing.T) {
				j := job(t, "d", append(append([]string{}, base...), tc.kv...)...)
				rec := &contentRecorder{Device: openT(t, target, j)}
				runT(t, rec, []Job{j})
				d, _, multi := dedupeStats(rec.writes)
				if d < tc.distLo || d > tc.distHi || tc.maxMulti >= 0 && multi > tc.maxMulti {
					t.Errorf("%d distinct of %d writes (%d written again), want %d..%d (at most %d again)", d, len(rec.writes), multi, tc.distLo, tc.distHi, tc.maxMulti)
				}
				if tc.previousOnly {
					checkRepeatsPrevious(t, rec.writes)
				}
				for i, b := range rec.bufs {
					if half := bytes.Count(b[2048:], []byte{0}) == 2048 && bytes.Count(b[:2048], []byte{0}) < 64; half != tc.halfZs {
						t.Fatalf("write %d: second half zeros, first random: %v, want %v", i, half, tc.halfZs)
					}
				}
				if path, ok := strings.CutPrefix(target, "file://"); ok {
					checkFileBlocks(t, path, rec)
				}
			})
		}
	}
}

// checkRepeatsPrevious: with dedupe_mode=repeat a repeated buffer is the
// last unique one.
func checkRepeatsPrevious(t *testing.T, sums [][md5.Size]byte) {
	t.Helper()
	seen := map[[md5.Size]byte]bool{}
	var last [md5.Size]byte
	for i, s := range sums {
		switch {
		case !seen[s]:
			seen[s], last = true, s
		case s != last:
			t.Fatalf("write %d repeats a buffer older than the last unique one", i)
		}
	}
}

// checkFileBlocks: the file holds what was written, block by block.
func checkFileBlocks(t *testing.T, path string, rec *contentRecorder) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, off := range rec.offs {
		if md5.Sum(b[off:off+4096]) != rec.writes[i] {
			t.Fatalf("block at %d differs from what was written", off)
		}
	}
}

// TestDedupeGlobal: with dedupe_global two jobs' working sets are spread
// over both, so each writes buffers the other wrote; without, none.
func TestDedupeGlobal(t *testing.T) {
	for _, global := range []string{"0", "1"} {
		var jobs []Job
		for i, off := range []string{"0", "1m"} {
			jobs = append(jobs, job(t, string(rune('a'+i)), "rw", "write", "bs", "4k", "size", "1m", "offset", off,
				"dedupe_percentage", "50", "dedupe_mode", "working_set", "dedupe_working_set_percentage", "20", "dedupe_global", global))
		}
		rec := &contentRecorder{Device: openT(t, "null://2m", jobs...)}
		runT(t, rec, jobs)
		byJob := [2]map[[md5.Size]byte]bool{{}, {}}
		for i, s := range rec.writes {
			byJob[rec.offs[i]/(1<<20)][s] = true
		}
		shared := 0
		for s := range byJob[0] {
			if byJob[1][s] {
				shared++
			}
		}
		if (shared > 0) != (global == "1") {
			t.Errorf("dedupe_global=%s: %d buffers written by both jobs", global, shared)
		}
	}
}

func TestDedupeOptions(t *testing.T) {
	tests := []struct{ file, wantErr string }{
		{"[j]\ndedupe_percentage=10\ndedupe_mode=working_set\n", "give size explicitly"},
		{"[j]\nsize=1m\nrw=write\nrefill_buffers\nverify=md5\n", "verify headers make every block unique"},
		{"[j]\ndedupe_mode=sometimes\n", `want repeat or working_set`},
		{"[j]\nsize=1m\ndedupe_percentage=101\n", "dedupe_percentage"},
	}
	for _, tc := range tests {
		jobs, err := ParseFio(strings.NewReader(tc.file), "t.fio", nil, WithTarget("null://1m"))
		if err == nil {
			err = jobs[0].Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: err %v, want %q", tc.file, err, tc.wantErr)
		}
	}
}
