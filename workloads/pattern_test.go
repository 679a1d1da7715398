package workloads

import (
	"strings"
	"testing"
)

// TestBlockSizeRanges: bs=LO-HI and bsrange draw every multiple of LO (or,
// unaligned, of the device block) between the ends, and nothing else.
func TestBlockSizeRanges(t *testing.T) {
	tests := []struct {
		kv        []string
		unaligned int // grain the engine sets for bs_unaligned; 0: aligned
		want      []int
	}{
		{[]string{"bs", "4k-16k"}, 0, []int{4096, 8192, 12288, 16384}},
		{[]string{"bsrange", "8k:16k"}, 0, []int{8192, 16384}},
		{[]string{"blocksize_range", "4k-10k"}, 0, []int{4096, 8192}},
		{[]string{"bsrange", "4k-4k"}, 0, []int{4096}},
		{[]string{"bsrange", "1k-2k", "blocksize_unaligned", "1"}, 512, []int{1024, 1536, 2048}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.kv, "="), func(t *testing.T) {
			j := job(t, "j", tc.kv...)
			p := newPattern(&j, 0, 1<<20, 7)
			if tc.unaligned > 0 {
				p.grain = tc.unaligned
			}
			seen := map[int]int{}
			for range 1000 {
				seen[p.next().size]++
			}
			if len(seen) != len(tc.want) {
				t.Fatalf("sizes %v, want each of %v", seen, tc.want)
			}
			for _, s := range tc.want {
				if seen[s] == 0 {
					t.Fatalf("size %d never drawn: %v", s, seen)
				}
			}
		})
	}
}

func TestBlockSizeRangeErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"bsrange=16k-4k", "the high end is below the low"},
		{"bs=4k,64k", "per-direction block sizes"},
		{"bs=4k-zz", "no number"},
	} {
		_, err := ParseFio(strings.NewReader("[j]\n"+tc.line+"\n"), "b.fio", nil, WithTarget("null://1m"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "b.fio:2") {
			t.Errorf("%s: err %v, want %q at b.fio:2", tc.line, err, tc.want)
		}
	}
}
