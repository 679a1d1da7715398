package workloads

import (
	"errors"
	"strings"
	"testing"
)

// TestRegions runs jobs on null://4m and checks where their I/O went: each
// block of the expected regions touched exactly `each` times, nothing else.
func TestRegions(t *testing.T) {
	const m = 1 << 20
	tests := []struct {
		name    string
		kv      []string
		regions [][2]int64 // [start, end) the job's workers cover, together
		each    int
	}{
		{"size percent", []string{"size", "50%"}, [][2]int64{{0, 2 * m}}, 1},
		{"size percent cut at the end", []string{"size", "50%", "offset", "3m"}, [][2]int64{{3 * m, 4 * m}}, 1},
		{"filesize is the region, size at most that", []string{"filesize", "1m", "size", "4m"}, [][2]int64{{0, m}}, 1},
		{"filesize with io_size", []string{"filesize", "512k", "io_size", "1m"}, [][2]int64{{0, m / 2}}, 2},
		{"offset_increment", []string{"offset_increment", "1m", "numjobs", "3", "size", "256k"}, [][2]int64{{0, m / 4}, {m, m + m/4}, {2 * m, 2*m + m/4}}, 1},
		{"fill_device ignores size", []string{"fill_device", "1", "size", "1m", "offset", "3m"}, [][2]int64{{3 * m, 4 * m}}, 1},
		{"offset_increment in percent", []string{"offset_increment", "25%", "numjobs", "2", "offset", "1m", "size", "512k"}, [][2]int64{{m, m + m/2}, {2 * m, 2*m + m/2}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := job(t, "j", append([]string{"rw", "randread"}, tc.kv...)...)
			rec := &recorder{Device: openT(t, "null://4m", j)}
			runT(t, rec, []Job{j})
			want := map[int64]bool{}
			for _, r := range tc.regions {
				for off := r[0]; off < r[1]; off += 4096 {
					want[off] = true
				}
			}
			seen := map[int64]int{}
			for _, off := range rec.offsets {
				if !want[off] {
					t.Fatalf("I/O at %d, outside the regions %v", off, tc.regions)
				}
				seen[off]++
			}
			for off := range want {
				if seen[off] != tc.each {
					t.Fatalf("block at %d touched %d times, want %d", off, seen[off], tc.each)
				}
			}
		})
	}
}

func TestRegionErrors(t *testing.T) {
	tests := []struct {
		file, want string
		is         error
	}{
		{"[j]\nsize=1m\nnumjobs=4\noffset_increment=1m\noffset=512k\n", `offset_increment (r.fio:4): clone 3 at offset 3670016 + size 1048576 exceeds the device`, ErrInvalidJob},
		{"[j]\nnumjobs=3\noffset_increment=2m\n", `offset_increment (r.fio:3): clone 2 starts at 4194304, past the end of the device`, ErrInvalidJob},
		{"[j]\noffset=4m\n", `offset (r.fio:2): 4194304 is past the end of the device`, ErrInvalidJob},
		{"[j]\nfilesize=8m\n", `filesize (r.fio:2): offset 0 + filesize 8388608 exceeds the device`, ErrInvalidJob},
		{"[j]\noffset_increment=1000\nnumjobs=2\nsize=1m\n", "offset_increment (r.fio:2): 1000 is not a multiple of the device block size", ErrInvalidJob},
		{"[j]\nrw=randwrite\nverify=crc32c\nsize=1m\nnumjobs=2\noffset_increment=1m\n", "verify with offset_increment (r.fio:6)", ErrUnsupportedOption},
		{"[j]\nfilesize=1k-2m\n", "r.fio:2:", ErrUnsupportedOption},
		{"[j]\nsize=0%\n", "r.fio:2:", nil},
		{"[j]\nsize=101%\n", "r.fio:2:", nil},
	}
	for _, tc := range tests {
		jobs, err := ParseFio(strings.NewReader(tc.file), "r.fio", nil)
		if err == nil {
			_, err = NewEngine(openT(t, "null://4m"), jobs)
		}
		if err == nil || tc.is != nil && !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.file, err, tc.want)
		}
	}
}

func TestOpenOptionsMinSize(t *testing.T) {
	tests := []struct {
		kv   []string
		want int64
	}{
		{[]string{"size", "1m", "offset", "1m"}, 2 << 20},
		{[]string{"filesize", "2m", "size", "64k"}, 2 << 20},
		{[]string{"size", "1m", "numjobs", "3", "offset_increment", "1m"}, 3 << 20},
		{[]string{"size", "50%"}, 0},
		// No size: the increments tile the device, the last clone's included.
		{[]string{"numjobs", "3", "offset_increment", "1m", "offset", "4k"}, 3<<20 + 4096},
	}
	for _, tc := range tests {
		if got := OpenOptionsFor([]Job{job(t, "j", tc.kv...)}).MinSize; got != tc.want {
			t.Errorf("%v: MinSize %d, want %d", tc.kv, got, tc.want)
		}
	}
}

func TestSpan(t *testing.T) {
	tests := []struct {
		kv         []string
		start, end int64
	}{
		{[]string{"offset", "1m"}, 1 << 20, 4 << 20},
		{[]string{"offset", "1m", "size", "1m"}, 1 << 20, 2 << 20},
		{[]string{"size", "25%"}, 0, 1 << 20},
		{[]string{"filesize", "512k", "size", "2m"}, 0, 512 << 10},
		{[]string{"size", "256k", "numjobs", "4", "offset_increment", "1m"}, 0, 3<<20 + 256<<10},
		{[]string{"offset", "3m", "size", "2m"}, 3 << 20, 4 << 20}, // does not fit: all from its offset
	}
	for _, tc := range tests {
		j := DefaultJob("j")
		for i := 0; i < len(tc.kv); i += 2 {
			if err := ApplyOption(&j, tc.kv[i], tc.kv[i+1]); err != nil {
				t.Fatal(err)
			}
		}
		if s, e := j.Span(4 << 20); s != tc.start || e != tc.end {
			t.Errorf("%v: span [%d, %d), want [%d, %d)", tc.kv, s, e, tc.start, tc.end)
		}
	}
}
