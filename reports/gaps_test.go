package reports

import (
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

func TestMergeGaps(t *testing.T) {
	tests := []struct {
		name    string
		streams [][]Gap
		want    []Gap
	}{
		{"one stream", [][]Gap{{{10, 20, false}}}, []Gap{{10, 20, false}}},
		{"overlap", [][]Gap{{{10, 30, false}}, {{15, 40, false}}}, []Gap{{15, 30, false}}},
		{"one worker busy", [][]Gap{{{10, 30, false}}, {}}, nil},
		{"short overlap dropped", [][]Gap{{{10, 30, false}}, {{28, 40, false}}}, nil},
		{"both open", [][]Gap{{{10, 100, true}}, {{20, 100, true}}}, []Gap{{20, 100, true}}},
		{"one resumes", [][]Gap{{{10, 100, true}}, {{20, 60, false}}}, []Gap{{20, 60, false}}},
		{"several", [][]Gap{{{0, 50, false}, {100, 200, false}}, {{40, 120, false}, {150, 300, false}}},
			[]Gap{{40, 50, false}, {100, 120, false}, {150, 200, false}}},
	}
	for _, tt := range tests {
		if got := MergeGaps(5, tt.streams...); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestMergeGapsMatchesMergedStream checks the exactness claim: gaps merged
// from per-worker gaps equal the gaps of the merged completion stream.
func TestMergeGapsMatchesMergedStream(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	const floor, end = 20, 10000
	for round := range 200 {
		var all []int64
		var streams [][]Gap
		for range 1 + rng.IntN(4) {
			var times []int64
			for range rng.IntN(60) {
				times = append(times, rng.Int64N(end))
			}
			all = append(all, times...)
			streams = append(streams, gapsOf(times, floor, end))
		}
		got := MergeGaps(floor, streams...)
		want := gapsOf(all, floor, end)
		if len(got) != 0 || len(want) != 0 {
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d: merged %v, want %v", round, got, want)
			}
		}
	}
}

// gapsOf is the reference: the gaps of one completion stream over [0, end],
// the stretch before the first completion starting at 0 and the one after
// the last open at end.
func gapsOf(times []int64, floor, end int64) []Gap {
	ts := append([]int64{0}, times...)
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	var gs []Gap
	for i := 1; i < len(ts); i++ {
		if ts[i]-ts[i-1] > floor {
			gs = append(gs, Gap{StartNs: ts[i-1], EndNs: ts[i]})
		}
	}
	if last := ts[len(ts)-1]; end-last > floor {
		gs = append(gs, Gap{StartNs: last, EndNs: end, Open: true})
	}
	return gs
}
