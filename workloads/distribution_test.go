package workloads

import (
	"strconv"
	"strings"
	"testing"
)

// hits draws n offsets of job kv over blocks 4 KiB blocks and counts them per block.
func hits(t *testing.T, blocks int64, n int, kv ...string) []int {
	t.Helper()
	j := job(t, "j", append([]string{"rw", "randread", "bs", "4k"}, kv...)...)
	p := newPattern(&j, 0, blocks*4096, 3)
	h := make([]int, blocks)
	for range n {
		off := p.next().offset
		if off%4096 != 0 || off < 0 || off >= blocks*4096 {
			t.Fatalf("offset %d outside the region or unaligned", off)
		}
		h[off/4096]++
	}
	return h
}

// topShare is the share of draws that fell in the most hit tenth of blocks.
func topShare(h []int) float64 {
	s := append([]int(nil), h...)
	for i := range s { // selection of the largest tenth, small n
		for k := i + 1; k < len(s); k++ {
			if s[k] > s[i] {
				s[i], s[k] = s[k], s[i]
			}
		}
		if i >= len(s)/10 {
			break
		}
	}
	top, all := 0, 0
	for i, v := range h {
		all += v
		if i < len(s)/10 {
			top += s[i]
		}
	}
	return float64(top) / float64(all)
}

// TestDistributionsSkew: zipf, pareto and normal put most draws on few
// blocks, more so with a stronger parameter; uniform does not.
func TestDistributionsSkew(t *testing.T) {
	tests := []struct {
		dist     string
		min, max float64 // share of draws in the busiest tenth of blocks
	}{
		{"random", 0, 0.2},
		{"zipf:0.5", 0.25, 0.6},
		{"zipf:1.2", 0.7, 1},
		{"pareto:0.3", 0.45, 1},
		{"normal:5", 0.5, 1},
		{"normal:40", 0, 0.35},
	}
	for _, tc := range tests {
		t.Run(tc.dist, func(t *testing.T) {
			s := topShare(hits(t, 1000, 100_000, "random_distribution", tc.dist, "norandommap", "1"))
			if s < tc.min || s > tc.max {
				t.Errorf("busiest tenth took %.2f of the draws, want %.2f..%.2f", s, tc.min, tc.max)
			}
		})
	}
}

// TestNormalCenter: normal:D:C draws around C of the region.
func TestNormalCenter(t *testing.T) {
	h := hits(t, 1000, 20_000, "random_distribution", "normal:2:0.25")
	near := 0
	for i := 200; i < 300; i++ {
		near += h[i]
	}
	if near < 18_000 {
		t.Errorf("%d of 20000 draws within 5%% of the center 0.25", near)
	}
}

// TestZoned: each zone gets its share of the draws, inside its bounds.
func TestZoned(t *testing.T) {
	for _, tc := range []struct {
		dist  string
		zones [][2]int // [first, end) blocks
		want  []float64
	}{
		{"zoned:50/5:30/15:20/", [][2]int{{0, 50}, {50, 200}, {200, 1000}}, []float64{.5, .3, .2}},
		{"zoned_abs:60/400k:40/3600k", [][2]int{{0, 100}, {100, 1000}}, []float64{.6, .4}},
	} {
		h := hits(t, 1000, 50_000, "random_distribution", tc.dist)
		for i, z := range tc.zones {
			n := 0
			for b := z[0]; b < z[1]; b++ {
				n += h[b]
			}
			if got := float64(n) / 50_000; got < tc.want[i]-0.02 || got > tc.want[i]+0.02 {
				t.Errorf("%s: zone %d took %.3f, want %.2f", tc.dist, i, got, tc.want[i])
			}
		}
	}
}

// TestPercentageRandom: percentage_random=P leaves 100-P percent of the
// I/Os following on from the previous one.
func TestPercentageRandom(t *testing.T) {
	for _, pr := range []int{0, 30, 100} {
		j := job(t, "j", "rw", "randread", "bs", "4k", "percentage_random", itoa(pr))
		p := newPattern(&j, 0, 1<<30, 5)
		prev, follow := p.next(), 0
		for range 10_000 {
			s := p.next()
			if s.offset == prev.offset+int64(prev.size) {
				follow++
			}
			prev = s
		}
		if want := (100 - pr) * 100; follow < want-300 || follow > want+300 {
			t.Errorf("percentage_random=%d: %d of 10000 followed on, want about %d", pr, follow, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSequence: sequence replays its block indices; with
// random_sequence_stride each round moves on by its length (fio's
// sequence-distribution example).
func TestSequence(t *testing.T) {
	for _, tc := range []struct {
		stride string
		want   []int64
	}{
		{"0", []int64{2, 0, 1, 2, 0, 1, 2}},
		{"1", []int64{2, 0, 1, 5, 3, 4, 8, 6, 7, 11, 9, 10, 2}},
	} {
		j := job(t, "j", "rw", "randread", "bs", "4k", "random_sequence_stride", tc.stride, "random_distribution", "sequence:2,0,1")
		p := newPattern(&j, 0, 12*4096, 5)
		for i, want := range tc.want {
			if off := p.next().offset; off != want*4096 {
				t.Fatalf("stride=%s: I/O %d at block %d, want %d", tc.stride, i, off/4096, want)
			}
		}
	}
}

// TestBlockAlign: random offsets are multiples of blockalign.
func TestBlockAlign(t *testing.T) {
	j := job(t, "j", "rw", "randread", "bs", "4k", "blockalign", "64k")
	p := newPattern(&j, 0, 1<<24, 5)
	for range 1000 {
		if off := p.next().offset; off%(64<<10) != 0 {
			t.Fatalf("offset %d not 64k-aligned", off)
		}
	}
}

func TestDistributionErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"random_distribution=zipf:1", "not 1"},
		{"random_distribution=pareto:1.5", "between 0 and 1"},
		{"random_distribution=normal:200", "0..100"},
		{"random_distribution=zipf:1.2:2", "center"},
		{"random_distribution=zoned:50/5:30/15", "add up to 80%"},
		{"random_distribution=zoned:50/60:50/60", "cover 120%"},
		{"random_distribution=zoned:50/5,50/10", "per-direction"},
		{"random_distribution=sequence:2,x", "sequence element"},
		{"random_distribution=gamma:1", "want random, zipf"},
		{"percentage_random=101", "outside 0..100"},
		{"blockalign=0", "must be positive"},
	} {
		_, err := ParseFio(strings.NewReader("[j]\n"+tc.line+"\n"), "d.fio", nil, WithTarget("null://1m"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "d.fio:2") {
			t.Errorf("%s: err %v, want %q at d.fio:2", tc.line, err, tc.want)
		}
	}
	j := job(t, "j", "random_distribution", "zoned_abs:50/1m:50/4m")
	if _, _, err := j.Region(4096, 2<<20); err == nil || !strings.Contains(err.Error(), "random_distribution") {
		t.Errorf("zoned_abs past the device: %v", err)
	}
}
