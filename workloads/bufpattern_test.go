package workloads

import (
	"bytes"
	"crypto/md5"
	"path/filepath"
	"strings"
	"testing"
)

// TestBufferPattern: buffer_pattern lays its bytes from the start of every
// write, repeated (a 3-byte pattern does not divide 4 KiB: each buffer
// restarts it), over zero_buffers and with refill_buffers alike; the file
// holds what was written.
func TestBufferPattern(t *testing.T) {
	base := []string{"rw", "randwrite", "bs", "4k", "size", "256k", "iodepth", "4"}
	tests := []struct {
		name    string
		kv      []string
		pattern []byte
	}{
		{"string", []string{"buffer_pattern", `"abc"`}, []byte("abc")},
		{"hex over zero_buffers", []string{"buffer_pattern", "0xdeadbeef", "zero_buffers", "1"}, []byte{0xde, 0xad, 0xbe, 0xef}},
		{"with refill_buffers", []string{"buffer_pattern", `"xy"`, "refill_buffers", "1"}, []byte("xy")},
	}
	for _, target := range []string{"null://1m", "file://" + filepath.Join(t.TempDir(), "p")} {
		for _, tc := range tests {
			t.Run(strings.SplitN(target, ":", 2)[0]+"/"+tc.name, func(t *testing.T) {
				j := job(t, "p", append(append([]string{}, base...), tc.kv...)...)
				rec := &contentRecorder{Device: openT(t, target, j)}
				runT(t, rec, []Job{j})
				want := make([]byte, 4096)
				fillPattern(want, tc.pattern)
				sum := md5.Sum(want)
				if len(rec.writes) != 64 {
					t.Fatalf("%d writes, want 64", len(rec.writes))
				}
				for i, s := range rec.writes {
					if s != sum {
						t.Fatalf("write %d at %d: not the pattern from its start (first bytes %q)", i, rec.offs[i], rec.bufs[min(i, len(rec.bufs)-1)][:8])
					}
				}
				if !bytes.HasPrefix(rec.bufs[0], tc.pattern) {
					t.Fatalf("first write starts %x, want %x", rec.bufs[0][:8], tc.pattern)
				}
				if path, ok := strings.CutPrefix(target, "file://"); ok {
					checkFileBlocks(t, path, rec)
				}
			})
		}
	}
}

// TestRefusedOptionsSayWhy: an option fio has and nvmf-chaos cannot honour
// fails naming it, its line and the reason.
func TestRefusedOptionsSayWhy(t *testing.T) {
	tests := []struct{ file, want string }{
		{"[j]\natomic=1\n", `t.fio:2: option "atomic": unsupported fio option: atomic writes`},
		{"[j]\ncontinue_on_error=write\n", `t.fio:2: option "continue_on_error": unsupported fio option: the engine never stops`},
		{"[j]\nrw=write\nsprandom=1\n", `t.fio:3: option "sprandom": unsupported fio option: fio's SPRandom`},
		{"[j]\nsize=1m\nbuffer_pattern=\"ab\"\nbuffer_compress_percentage=50\n", `buffer_pattern (t.fio:3): with dedupe_percentage or buffer_compress_percentage`},
		{"[j]\nbuffer_pattern=ab\n", `t.fio:2: option buffer_pattern="ab": "ab": unsupported fio option: give the pattern as 0xHEX or a "string"`},
	}
	for _, tc := range tests {
		jobs, err := ParseFio(strings.NewReader(tc.file), "t.fio", nil, WithTarget("null://1m"))
		if err == nil {
			err = jobs[0].Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want it to contain %q", tc.file, err, tc.want)
		}
	}
}
