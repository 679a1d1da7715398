package workloads

import (
	"strings"
	"testing"
)

// zbdTargets are the backends zonemode=zbd runs on: both conventional.
func zbdTargets(t *testing.T) []string {
	return []string{"null://1m", "file://" + t.TempDir() + "/zbd"}
}

// zoneModel replays the writes a device saw against zones of zs bytes:
// each write must land at its zone's write pointer, or at the start of a
// full zone (a reset), or of any zone when resets are allowed early.
type zoneModel struct {
	zs, cap int64
	wp      map[int64]int64
	resets  int
	maxOpen int
}

func (m *zoneModel) write(t *testing.T, i int, off, n int64, earlyReset bool) {
	t.Helper()
	z := off / m.zs
	start := z * m.zs
	switch {
	case off == start+m.wp[z]:
	case off == start && (m.wp[z] == m.cap || earlyReset):
		m.wp[z] = 0
		m.resets++
	default:
		t.Fatalf("write %d at %d: zone %d's write pointer is at %d", i, off, z, start+m.wp[z])
	}
	m.wp[z] += n
	open := 0
	for _, w := range m.wp {
		if w > 0 && w < m.cap {
			open++
		}
	}
	m.maxOpen = max(m.maxOpen, open)
}

// TestZBDWrites: random writes go to the write pointer of their zone, so
// each zone is written sequentially; max_open_zones caps the zones being
// filled; a full zone is reset before it is written again, and
// zone_reset_threshold/frequency reset zones early once enough is written.
func TestZBDWrites(t *testing.T) {
	base := []string{"zonemode", "zbd", "zonesize", "64k", "bs", "4k", "rw", "randwrite", "size", "256k", "iodepth", "4"}
	tests := []struct {
		name        string
		kv          []string
		maxOpen     int  // most zones partly written at once; 0: unchecked
		resets      int  // 0: none, 1: some, -1: either (random offsets may pick a full zone)
		earlyResets bool // zones may be reset before they are full
	}{
		{"four zones", []string{"io_size", "128k"}, 0, 0, false}, // the random map: no zone gets over 16 blocks
		{"max_open_zones=1", []string{"io_size", "192k", "max_open_zones", "1"}, 1, -1, false},
		{"max_open_zones=2", []string{"io_size", "256k", "max_open_zones", "2"}, 2, -1, false},
		{"full zones reset", []string{"io_size", "1m"}, 0, 1, false},
		{"zone_reset_threshold", []string{"io_size", "512k", "zone_reset_threshold", "0.25", "zone_reset_frequency", "0.5"}, 0, 1, true},
	}
	for _, target := range zbdTargets(t) {
		for _, tc := range tests {
			t.Run(strings.SplitN(target, ":", 2)[0]+"/"+tc.name, func(t *testing.T) {
				j := job(t, "z", append(append([]string{}, base...), tc.kv...)...)
				rec := &recorder{Device: openT(t, target, j)}
				r := runT(t, rec, []Job{j})
				m := &zoneModel{zs: 64 << 10, cap: 64 << 10, wp: map[int64]int64{}}
				for i, off := range rec.offsets {
					if rec.kinds[i] != OpWrite || off >= 256<<10 {
						t.Fatalf("op %d: %v at %d, want writes in the region", i, rec.kinds[i], off)
					}
					m.write(t, i, off, 4<<10, tc.earlyResets)
				}
				if want := j.IOSize / 4096; r.Jobs[0].Write.IOs != want || int64(len(rec.offsets)) != want {
					t.Errorf("%d writes counted, %d seen, want %d", r.Jobs[0].Write.IOs, len(rec.offsets), want)
				}
				if tc.maxOpen > 0 && m.maxOpen > tc.maxOpen {
					t.Errorf("%d zones partly written at once, max_open_zones=%d", m.maxOpen, tc.maxOpen)
				}
				if tc.resets >= 0 && tc.resets != min(m.resets, 1) {
					t.Errorf("%d resets, want some: %v", m.resets, tc.resets > 0)
				}
				if got := r.Jobs[0].ZoneResets; got != int64(m.resets) {
					t.Errorf("zone_resets %d, the device saw %d", got, m.resets)
				}
			})
		}
	}
}

// TestZBDReadsAndTrims: reads stay below the write pointers an earlier
// job left (all of the region with read_beyond_wp), and on a fresh target
// find nothing to read; a trim resets zones without a command.
func TestZBDReadsAndTrims(t *testing.T) {
	zone := []string{"zonemode", "zbd", "zonesize", "64k", "size", "4z"}
	writer := append([]string{"rw", "write", "bs", "16k", "io_size", "96k"}, zone...) // 1.5 zones
	tests := []struct {
		name      string
		writeNone bool
		kv        []string
		reads     int64 // bytes read
		trims     int64
		readsEnd  int64 // no read at or past this offset
	}{
		{"seq read below wp", false, []string{"rw", "read", "bs", "16k"}, 96 << 10, 0, 96 << 10},
		{"rand read below wp", false, []string{"rw", "randread", "bs", "16k", "io_size", "256k"}, 256 << 10, 0, 96 << 10},
		{"read_beyond_wp", false, []string{"rw", "read", "bs", "16k", "read_beyond_wp", "1"}, 256 << 10, 0, 256 << 10},
		{"empty zones", true, []string{"rw", "read", "bs", "16k"}, 0, 0, 0},
		{"randtrim resets", false, []string{"rw", "randtrim", "bs", "64k", "io_size", "128k"}, 0, 2, 0},
		{"randtrim, nothing written", true, []string{"rw", "randtrim", "bs", "64k"}, 0, 0, 0},
	}
	for _, target := range zbdTargets(t) {
		for _, tc := range tests {
			t.Run(strings.SplitN(target, ":", 2)[0]+"/"+tc.name, func(t *testing.T) {
				second := job(t, "second", append(append([]string{"stonewall", "1"}, zone...), tc.kv...)...)
				jobs := []Job{second}
				if !tc.writeNone {
					jobs = []Job{job(t, "first", writer...), second}
				}
				rec := &recorder{Device: openT(t, target, jobs...)}
				r := runT(t, rec, jobs)
				got := r.Jobs[len(jobs)-1]
				if got.Read.Bytes != tc.reads || got.Trim.IOs != tc.trims {
					t.Errorf("read %d bytes, %d trims; want %d, %d", got.Read.Bytes, got.Trim.IOs, tc.reads, tc.trims)
				}
				for i, k := range rec.kinds {
					if k == OpTrim {
						t.Fatalf("op %d: a trim reached the device; zone resets send none", i)
					}
					if k == OpRead && rec.offsets[i] >= tc.readsEnd {
						t.Fatalf("op %d: read at %d, past the write pointer %d", i, rec.offsets[i], tc.readsEnd)
					}
				}
				if got.ZoneResets != tc.trims {
					t.Errorf("zone_resets %d, want %d", got.ZoneResets, tc.trims)
				}
			})
		}
	}
}

// TestZBDOptions: sizes in zones, zone-aligned regions, and what fio
// refuses of a zoned job.
func TestZBDOptions(t *testing.T) {
	tests := []struct {
		file       string
		wantErr    string
		start, len int64
	}{
		{"[j]\nzonemode=zbd\nzonesize=64k\noffset=2z\nsize=3z\nrw=write\n", "", 128 << 10, 192 << 10},
		{"[j]\nzonemode=zbd\nzonesize=64k\noffset=10k\nsize=200k\nrw=randwrite\n", "", 64 << 10, 128 << 10}, // start up, end down
		{"[j]\nzonemode=zbd\nzonesize=64k\noffset=10k\nsize=200k\nrw=read\n", "", 10 << 10, 180 << 10},      // a reader's end only (then whole blocks)
		{"[j]\nzonemode=zbd\nrw=write\n", "zonemode=zbd needs a zone size", 0, 0},
		{"[j]\nsize=2z\n", "a size in zones (Nz) needs zonesize", 0, 0},
		{"[j]\nzonemode=zbd\nzonesize=64k\nbs=128k\nrw=write\n", "exceeds the zone capacity", 0, 0},
		{"[j]\nzonemode=zbd\nzonesize=64k\nrw=write\nverify=crc32c\n", "zone resets would erase", 0, 0},
		{"[j]\nzonemode=zbd\nzonesize=64k\nzone_reset_threshold=1.5\n", "not between 0 and 1", 0, 0},
		{"[j]\nzonemode=zbd\nzonesize=64k\nzonecapacity=128k\n", "larger than the zone size", 0, 0},
		{"[j]\nzonemode=zbd\nzonesize=64k\nzoneskip=64k\n", "must be 0 with zonemode=zbd", 0, 0},
	}
	for _, tc := range tests {
		jobs, err := ParseFio(strings.NewReader(tc.file), "t.fio", nil, WithTarget("null://1m"))
		if err == nil {
			err = jobs[0].Validate()
		}
		var start, length int64
		if err == nil {
			start, length, err = jobs[0].Region(512, 1<<20)
		}
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.file, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.file, err)
		case start != tc.start || length != tc.len:
			t.Errorf("%q: region [%d, +%d), want [%d, +%d)", tc.file, start, length, tc.start, tc.len)
		}
	}
}
