package workloads

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// zonemode=zbd on a conventional target, as fio runs it on a regular file
// or a block device that is not zoned (fio's zbd.c, init_zone_info): the
// target is cut into zones of zonesize bytes, every zone a sequential-write
// zone that starts empty. Writes go to the write pointer of the zone their
// offset falls in (random writes pick the zone, not the place in it), at
// most max_open_zones zones take writes at a time, a full zone is reset
// (its write pointer back to its start) before it is written again, reads
// stay below the write pointer unless read_beyond_wp, and a trim resets the
// zones it covers. A reset moves the emulated write pointer only: on a
// conventional target fio sends no command for it, and neither do we.

// ZBD holds a job's zonemode=zbd settings.
type ZBD struct {
	// On is zonemode=zbd; ZoneSize (zonesize) is then each zone's size.
	On bool `json:"on,omitempty"`
	// Capacity is the writable part of each zone (zonecapacity; 0: the zone).
	Capacity int64 `json:"zonecapacity,omitempty"`
	// ReadBeyondWP lets reads go past a zone's write pointer (read_beyond_wp).
	ReadBeyondWP bool `json:"read_beyond_wp,omitempty"`
	// MaxOpenZones caps the zones all jobs write at once (max_open_zones; 0: none).
	MaxOpenZones int `json:"max_open_zones,omitempty"`
	// ResetThreshold and ResetFrequency simulate garbage collection: once
	// the written bytes of the zones exceed ResetThreshold of the job's
	// range, every 1/ResetFrequency-th write resets its zone first
	// (zone_reset_threshold, zone_reset_frequency).
	ResetThreshold float64 `json:"zone_reset_threshold,omitempty"`
	ResetFrequency float64 `json:"zone_reset_frequency,omitempty"`
}

// zoneUnits are sizes given in zones ("size=128z"), resolved to bytes
// once zonesize is known, as fio's zbd_recalc_options_with_zone_granularity.
type zoneUnits struct {
	size, offset, ioSize int64
}

// parseZoneCount reads "Nz", a count of zones; ok is false for anything else.
func parseZoneCount(v string) (n int64, ok bool, err error) {
	t := strings.TrimSpace(v)
	if len(t) < 2 || (t[len(t)-1] != 'z' && t[len(t)-1] != 'Z') {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(t[:len(t)-1], 10, 64)
	if err != nil || n < 0 {
		return 0, true, fmt.Errorf("%q: want a count of zones before z", v)
	}
	return n, true, nil
}

// zoneSizeOpt sets a size option that fio also takes in zones ("Nz").
func zoneSizeOpt(field func(*Job) *int64, zones func(*zoneUnits) *int64) optionSetter {
	return func(j *Job, v string, _ bool) error {
		n, ok, err := parseZoneCount(v)
		if err != nil {
			return err
		}
		if ok {
			*zones(&j.zones) = max(n, 1) // 0z is no count
			*field(j) = 0
			return nil
		}
		*zones(&j.zones) = 0
		n, err = ParseSize(v)
		if err == nil {
			*field(j) = n
		}
		return err
	}
}

// resolveZoneUnits turns sizes given in zones into bytes; without
// zonesize they stay unresolved and Validate refuses them.
func (j *Job) resolveZoneUnits() {
	if j.ZoneSize <= 0 {
		return
	}
	for _, u := range []struct {
		n   int64
		dst *int64
	}{{j.zones.size, &j.Size}, {j.zones.offset, &j.Offset}, {j.zones.ioSize, &j.IOSize}} {
		if u.n > 0 {
			*u.dst = u.n * j.ZoneSize
		}
	}
	if j.zones.size > 0 {
		j.SizePercent = 0
	}
}

// validateZBD checks what fio checks of a zoned job before it starts.
func (j *Job) validateZBD() error {
	bad := func(option, format string, a ...any) error {
		return fmt.Errorf("%w %q: %s%s: %s", ErrInvalidJob, j.Name, option, j.where(option), fmt.Sprintf(format, a...))
	}
	z := j.ZBD
	switch {
	case j.zones != zoneUnits{} && j.ZoneSize <= 0:
		return bad("size", "a size in zones (Nz) needs zonesize")
	case !z.On:
		return nil
	case j.ZoneSize < 512:
		return bad("zonesize", "zonemode=zbd needs a zone size of at least 512 bytes, got %d", j.ZoneSize)
	case z.Capacity < 0 || z.Capacity > j.ZoneSize:
		return bad("zonecapacity", "%d is larger than the zone size %d", z.Capacity, j.ZoneSize)
	case j.ZoneSkip != 0:
		return bad("zoneskip", "must be 0 with zonemode=zbd")
	case j.RW.Writes() && int64(j.MaxBS()) > j.zoneCapacity():
		return bad("bs", "%d exceeds the zone capacity %d", j.MaxBS(), j.zoneCapacity())
	case j.ZoneSize%int64(j.MinBS()) != 0:
		return bad("zonesize", "%d is not a multiple of the smallest block size %d", j.ZoneSize, j.MinBS())
	case j.Verify != "":
		return bad("verify", "with zonemode=zbd: %v: zone resets would erase what the verifier expects", ErrUnsupportedOption)
	case z.MaxOpenZones < 0:
		return bad("max_open_zones", "%d is negative", z.MaxOpenZones)
	case z.ResetThreshold < 0 || z.ResetThreshold > 1 || z.ResetFrequency < 0 || z.ResetFrequency > 1:
		return bad("zone_reset_threshold", "threshold and frequency are ratios between 0 and 1")
	}
	return nil
}

func (j *Job) zoneCapacity() int64 {
	if j.ZBD.Capacity > 0 {
		return j.ZBD.Capacity
	}
	return j.ZoneSize
}

// alignToZones rounds a zoned job's region to whole zones, as fio's
// zbd_zone_align_file_sizes: a reading job's end down, a writing job's
// start up and end down.
func (j *Job) alignToZones(start, length int64) (int64, int64, error) {
	zs := j.ZoneSize
	end := (start + length) / zs * zs
	if j.RW.Writes() || j.RW.Trims() {
		start = (start + zs - 1) / zs * zs
	}
	if end <= start {
		return 0, 0, fmt.Errorf("%w %q: size%s: zonemode=zbd: the region holds no whole zone of %d bytes", ErrInvalidJob, j.Name, j.where("size"), zs)
	}
	return start, end - start, nil
}

// zonedTarget is the zone state every zoned job of a run shares, as fio
// shares a file's zone information between jobs.
type zonedTarget struct {
	mu       sync.Mutex
	size     int64   // zone size
	capacity int64   // writable bytes per zone
	wp       []int64 // bytes written in each zone
	open     []int   // zones taking writes, in the order they were opened
	isOpen   []bool
	maxOpen  int
	// valid is the written bytes of all zones; writeCnt counts writes down
	// to the next garbage-collection reset.
	valid    int64
	writeCnt uint64
}

func newZonedTarget(j *Job, devSize int64) (*zonedTarget, error) {
	if devSize < j.ZoneSize {
		return nil, fmt.Errorf("%w %q: zonesize%s: the target (%d bytes) is smaller than one zone (%d)", ErrInvalidJob, j.Name, j.where("zonesize"), devSize, j.ZoneSize)
	}
	n := (devSize + j.ZoneSize - 1) / j.ZoneSize
	return &zonedTarget{
		size: j.ZoneSize, capacity: j.zoneCapacity(), wp: make([]int64, n), isOpen: make([]bool, n),
		maxOpen: j.ZBD.MaxOpenZones,
	}, nil
}

// zonesFor returns the run's zones once a zoned job needs them: t, or
// new ones for the first zoned job.
func zonesFor(t *zonedTarget, j *Job, devSize int64) (*zonedTarget, error) {
	switch {
	case !j.ZBD.On:
		return t, nil
	case t == nil:
		return newZonedTarget(j, devSize)
	}
	return t, t.check(j)
}

// check refuses a second zoned job that sees other zones.
func (t *zonedTarget) check(j *Job) error {
	if j.ZoneSize != t.size || j.zoneCapacity() != t.capacity {
		return fmt.Errorf("%w %q: zonesize%s: %d (capacity %d) differs from an earlier zoned job's %d (%d); the target has one zone layout", ErrInvalidJob, j.Name, j.where("zonesize"), j.ZoneSize, j.zoneCapacity(), t.size, t.capacity)
	}
	if j.ZBD.MaxOpenZones != 0 {
		t.maxOpen = j.ZBD.MaxOpenZones // as fio: the last job's limit holds for the file
	}
	return nil
}

// zoneView is one worker's access to the zones of its region.
type zoneView struct {
	t              *zonedTarget
	start, length  int64 // the worker's region, whole zones
	minZone, maxZ  int   // zones [minZone, maxZ) of the region
	minBS          int64
	random         bool
	readBeyondWP   bool
	threshold, gcf float64
	resets         int64 // zone resets this worker made (fio's zone_resets)
}

func newZoneView(t *zonedTarget, j *Job, start, length int64) *zoneView {
	v := &zoneView{
		t: t, start: start, length: length,
		minZone: int(start / t.size), maxZ: int((start + length + t.size - 1) / t.size),
		minBS: int64(j.MinBS()), random: j.RW.Random(), readBeyondWP: j.ZBD.ReadBeyondWP,
		threshold: j.ZBD.ResetThreshold, gcf: j.ZBD.ResetFrequency,
	}
	t.mu.Lock()
	t.resetWriteCnt(v.gcf)
	t.mu.Unlock()
	return v
}

func (t *zonedTarget) resetWriteCnt(f float64) {
	t.writeCnt = ^uint64(0)
	if f > 0 {
		t.writeCnt = uint64(1 / f)
	}
}

// adjust moves an I/O to where zonemode=zbd lets it go. ok is false when
// no zone can take it: the worker has reached fio's end of file. A trim
// resets the zones it covers and is marked zoneReset: it needs no command.
func (v *zoneView) adjust(s ioSpec) (ioSpec, bool) {
	t := v.t
	t.mu.Lock()
	defer t.mu.Unlock()
	zi := int(s.offset / t.size)
	switch s.dir {
	case DirRead:
		return v.read(s, zi)
	case DirWrite:
		return v.write(s, zi)
	}
	if v.random && t.wp[zi] == 0 { // a random trim targets a zone with data
		if zi = v.findZone(zi, 1); zi < 0 {
			return s, false
		}
		s.offset = int64(zi) * t.size
	}
	if s.offset%t.size != 0 {
		return s, false // fio: "Trim offset not at zone start"
	}
	for z := zi; z < len(t.wp) && int64(z)*t.size < s.offset+int64(s.size); z++ {
		v.reset(z)
	}
	s.zoneReset = true
	return s, true
}

// read keeps a read below its zone's write pointer (fio's zbd_adjust_block).
func (v *zoneView) read(s ioSpec, zi int) (ioSpec, bool) {
	t := v.t
	if v.readBeyondWP {
		return s, true
	}
	orig := int64(zi) * t.size
	filled := t.wp[zi]
	if filled < v.minBS || !v.random && s.offset+v.minBS > orig+filled {
		if zi = v.findZone(zi, v.minBS); zi < 0 {
			return s, false
		}
		filled = t.wp[zi]
		if !v.random {
			s.offset = int64(zi) * t.size
		}
	}
	zs := int64(zi) * t.size
	switch {
	case filled <= int64(s.size):
		s.offset = zs
	case v.random:
		s.offset = zs + (s.offset-orig)%(filled-int64(s.size))/v.minBS*v.minBS
	}
	s.size = int(min(int64(s.size), zs+filled-s.offset) / v.minBS * v.minBS)
	return s, s.size > 0
}

// findZone returns the nearest zone of the region from zi holding at
// least n bytes: the next one for sequential I/O, either side for random
// (fio's zbd_find_zone); -1 when there is none.
func (v *zoneView) findZone(zi int, n int64) int {
	for a, b := zi+1, zi-1; a < v.maxZ || b >= v.minZone; a, b = a+1, b-1 {
		if a < v.maxZ && v.t.wp[a] >= n {
			return a
		}
		if a >= v.maxZ && !v.random {
			return -1
		}
		if v.random && b >= v.minZone && v.t.wp[b] >= n {
			return b
		}
	}
	return -1
}

// write sends a write to the write pointer of its zone, or of an open zone
// when max_open_zones are taken, resetting a full zone first.
func (v *zoneView) write(s ioSpec, zi int) (ioSpec, bool) {
	t := v.t
	if zi = v.writeZone(s.offset, zi); zi < 0 {
		return s, false
	}
	gc := false
	if v.gcf > 0 && float64(t.valid) >= float64(v.length)*v.threshold {
		if t.writeCnt--; t.writeCnt == 0 {
			t.resetWriteCnt(v.gcf)
			gc = true
		}
	}
	if gc || t.wp[zi]+v.minBS > t.capacity {
		v.reset(zi)
	}
	s.offset = int64(zi)*t.size + t.wp[zi]
	n := min(int64(s.size), t.capacity-t.wp[zi]) / v.minBS * v.minBS
	if n < v.minBS {
		return s, false
	}
	s.size = int(n)
	t.wp[zi] += n
	t.valid += n
	if t.wp[zi]+v.minBS > t.capacity && t.isOpen[zi] { // full: no longer open
		t.isOpen[zi] = false
		t.open = slices.DeleteFunc(t.open, func(z int) bool { return z == zi })
	}
	return s, true
}

// writeZone is the zone a write at off may go to under max_open_zones:
// its own when open or when a zone may still be opened, else one of the
// open zones of the region, picked from off as fio picks it; -1 if none.
func (v *zoneView) writeZone(off int64, zi int) int {
	t := v.t
	if t.maxOpen == 0 || t.isOpen[zi] {
		return zi
	}
	if len(t.open) < t.maxOpen {
		t.isOpen[zi] = true
		t.open = append(t.open, zi)
		return zi
	}
	k := int((off - v.start) * int64(len(t.open)) / v.length)
	for i := range t.open {
		if z := t.open[(k+i)%len(t.open)]; z >= v.minZone && z < v.maxZ {
			return z
		}
	}
	return -1
}

// reset empties zone zi (the caller holds t.mu).
func (v *zoneView) reset(zi int) {
	t := v.t
	if t.wp[zi] == 0 {
		return // fio counts no reset of an empty zone
	}
	t.valid -= t.wp[zi]
	t.wp[zi] = 0
	v.resets++
}
