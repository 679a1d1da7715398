package workloads

import (
	"math"
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

// TestOffsetModifiers: rw=read:N skips N bytes after each I/O (backwards
// when negative, from the end as fio does), rw=randread:N follows each
// random offset with N-1 sequential I/Os.
func TestOffsetModifiers(t *testing.T) {
	const k = 4096
	tests := []struct {
		rw   string
		want []int64 // offsets of the first I/Os, in 4 KiB blocks
	}{
		{"read", []int64{0, 1, 2, 3, 4, 5, 6, 7, 0}},
		{"write:4k", []int64{0, 2, 4, 6, 0, 2}},
		{"read:-8k", []int64{0, 7, 6, 5, 4, 3, 2, 1, 0, 7}},
		{"rw:12k", []int64{0, 4, 0, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.rw, func(t *testing.T) {
			j := job(t, "j", "rw", tc.rw, "bs", "4k")
			p := newPattern(&j, 0, 8*k, 1)
			for i, want := range tc.want {
				if off := p.next().offset; off != want*k {
					t.Fatalf("I/O %d at block %d, want %d", i, off/k, want)
				}
			}
		})
	}
	j := job(t, "j", "rw", "randread:4", "bs", "4k")
	p := newPattern(&j, 0, 1024*k, 1)
	for run := range 8 {
		first := p.next().offset
		for i := int64(1); i < 4; i++ {
			if off := p.next().offset; off != (first+i*k)%(1024*k) {
				t.Fatalf("run %d: I/O %d at %d, want it to follow %d", run, i, off, first)
			}
		}
	}
}

func TestOffsetModifierErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"rw=randread:0", "outside 1.."},
		{"rw=randread:4k", "not an integer"},
		{"rw=write:zz", "no number"},
		{"rw=sideways:4k", "want read"},
	} {
		_, err := ParseFio(strings.NewReader("[j]\n"+tc.line+"\n"), "m.fio", nil, WithTarget("null://1m"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "m.fio:2") {
			t.Errorf("%s: err %v, want %q at m.fio:2", tc.line, err, tc.want)
		}
	}
	j := job(t, "j", "rw", "read:1k")
	if _, _, err := j.Region(4096, 1<<20); err == nil || !strings.Contains(err.Error(), "offset modifier") {
		t.Errorf("1k modifier on a 4k device: %v", err)
	}
}

// TestPoissonPacer: rate_process=poisson keeps the mean gap of the rate
// but spreads the gaps exponentially (standard deviation about the mean);
// linear pacing keeps them equal.
func TestPoissonPacer(t *testing.T) {
	for _, tc := range []struct {
		poisson      bool
		minCV, maxCV float64
	}{{false, 0, 0.001}, {true, 0.9, 1.1}} {
		p := pacer{iops: 1000, poisson: tc.poisson}
		p.rng.Seed(1, 2)
		const n = 20_000
		var now, sum, sumSq float64
		for range n {
			prev := p.next
			p.take(int64(now), 4096)
			gap := float64(p.next - prev)
			now = float64(p.next) // the worker issues each I/O when due
			sum += gap
			sumSq += gap * gap
		}
		mean := sum / n
		cv := math.Sqrt(sumSq/n-mean*mean) / mean
		if mean < 0.95e6 || mean > 1.05e6 || cv < tc.minCV || cv > tc.maxCV {
			t.Errorf("poisson=%v: mean gap %.0f ns, variation %.2f; want 1e6 ns and %.2f..%.2f", tc.poisson, mean, cv, tc.minCV, tc.maxCV)
		}
	}
	if err := ApplyOption(new(Job), "rate_process", "bursty"); err == nil {
		t.Error("rate_process=bursty accepted")
	}
}

// TestStridedZones: zonemode=strided reads zonesize bytes of each zone of
// zonerange, then skips zoneskip, wrapping at the end of the region.
func TestStridedZones(t *testing.T) {
	const k = 4096
	tests := []struct {
		kv   []string
		want []int64 // first offsets, in 4 KiB blocks
	}{
		{[]string{"zonesize", "8k", "zoneskip", "16k"}, []int64{0, 1, 6, 7, 12, 13, 0, 1}},
		{[]string{"zonemode", "strided", "zonesize", "16k", "zonerange", "8k", "zoneskip", "4k"}, []int64{0, 1, 0, 1, 3, 4, 3, 4, 6}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.kv, "="), func(t *testing.T) {
			j := job(t, "j", append([]string{"rw", "read", "bs", "4k"}, tc.kv...)...)
			p := newPattern(&j, 0, 16*k, 1)
			for i, want := range tc.want {
				if off := p.next().offset; off != want*k {
					t.Fatalf("I/O %d at block %d, want %d", i, off/k, want)
				}
			}
		})
	}
	for _, tc := range []struct{ line, want string }{
		{"zonemode=zbd", "zonemode=zbd needs a zone size"},
		{"rw=randread\nzonesize=1m", "strided zones with random I/O"},
		{"zoneskip=1m", "need zonesize"},
	} {
		_, err := ParseFio(strings.NewReader("[j]\n"+tc.line+"\n"), "z.fio", nil, WithTarget("null://1m"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.line, err, tc.want)
		}
	}
}
