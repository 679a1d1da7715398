package workloads

import (
	"fmt"
	"math"
)

// Where a job works and how much it transfers, as fio decides it for one
// file: the file is the target, size=N% and offset_increment=N% are of the
// device, filesize is the file's size (the region) with size bounding the
// bytes transferred, and offset_increment moves each clone's region.

// Region validates the job against the device it will run on and returns
// the region [start, start+length) its first worker addresses; with
// offset_increment, each clone's is further on (see cloneRegion).
func (j *Job) Region(blockSize int, devSize int64) (start, length int64, err error) {
	return j.cloneRegion(0, blockSize, devSize)
}

// extent validates every clone's region and returns the span they cover.
func (j *Job) extent(blockSize int, devSize int64) (start, length int64, err error) {
	start, length, err = j.cloneRegion(0, blockSize, devSize)
	if err != nil || j.NumJobs < 2 || j.increment(devSize) == 0 {
		return start, length, err
	}
	ls, ll, err := j.cloneRegion(j.NumJobs-1, blockSize, devSize)
	if err != nil {
		return 0, 0, err
	}
	return start, max(start+length, ls+ll) - start, nil
}

// Span is the part of a device of devSize bytes the job's workers address
// together, [start, end), for overlap checks made before the device is
// open; when the job does not fit, it is everything from its offset on.
func (j *Job) Span(devSize int64) (start, end int64) {
	start, length, err := j.extent(1, devSize)
	if err != nil {
		return j.Offset, devSize
	}
	return start, start + length
}

// increment is offset_increment in bytes; a percentage is aligned down to
// the smallest transfer, as fio aligns percentage offsets.
func (j *Job) increment(devSize int64) int64 {
	if p := j.OffsetIncrementPercent; p > 0 {
		inc := percentOf(devSize, p)
		return inc - inc%int64(j.MinBS())
	}
	return j.OffsetIncrement
}

// cloneRegion validates clone c's region and returns it.
func (j *Job) cloneRegion(c, blockSize int, devSize int64) (start, length int64, err error) {
	bad := func(option, format string, a ...any) error {
		return fmt.Errorf("%w %q: %s%s: %s", ErrInvalidJob, j.Name, option, j.where(option), fmt.Sprintf(format, a...))
	}
	if err := j.checkAligned(blockSize, devSize); err != nil {
		return 0, 0, err
	}
	inc := j.increment(devSize)
	start = j.Offset + int64(c)*inc
	if start >= devSize {
		if c > 0 {
			return 0, 0, bad("offset_increment", "clone %d starts at %d, past the end of the device (%d bytes)", c, start, devSize)
		}
		return 0, 0, bad("offset", "%d is past the end of the device (%d bytes)", start, devSize)
	}
	sizeOpt := "size"
	switch {
	case j.FillDevice:
		length = devSize - start
	case j.FileSize > 0:
		length, sizeOpt = j.FileSize, "filesize"
	case j.SizePercent > 0:
		length = min(percentOf(devSize, j.SizePercent), devSize-start)
	case j.Size > 0:
		length = j.Size
	default:
		length = devSize - start
	}
	if start+length > devSize {
		if c > 0 {
			return 0, 0, bad("offset_increment", "clone %d at offset %d + %s %d exceeds the device (%d bytes)", c, start, sizeOpt, length, devSize)
		}
		return 0, 0, bad(sizeOpt, "offset %d + %s %d exceeds the device (%d bytes)", start, sizeOpt, length, devSize)
	}
	if j.ZBD.On {
		if start, length, err = j.alignToZones(start, length); err != nil {
			return 0, 0, err
		}
	}
	// Whole units of the smallest transfer, so every offset is aligned to it.
	length -= length % int64(j.MinBS())
	if length < int64(j.MaxBS()) {
		return 0, 0, bad(sizeOpt, "region of %d bytes is smaller than bs %d", length, j.MaxBS())
	}
	if err := j.Distribution.check(length); err != nil {
		return 0, 0, bad("random_distribution", "%v", err)
	}
	return start, length, nil
}

// checkAligned checks that every size and offset the job names is a
// multiple of the device block (zone sizes of the smallest transfer too).
func (j *Job) checkAligned(blockSize int, devSize int64) error {
	bad := func(option, format string, a ...any) error {
		return fmt.Errorf("%w %q: %s%s: %s", ErrInvalidJob, j.Name, option, j.where(option), fmt.Sprintf(format, a...))
	}
	for _, bs := range j.BlockSizes() {
		if bs%blockSize != 0 {
			return bad("bs", "%d is not a multiple of the device block size %d", bs, blockSize)
		}
	}
	for _, o := range []struct {
		name string
		v    int64
	}{{"offset", j.Offset}, {"blockalign", j.BlockAlign}, {"offset_increment", j.increment(devSize)}, {"zoneskip", j.ZoneSkip}} {
		if o.v%int64(blockSize) != 0 {
			return bad(o.name, "%d is not a multiple of the device block size %d", o.v, blockSize)
		}
	}
	for _, z := range []struct {
		name string
		v    int64
	}{{"zonesize", j.ZoneSize}, {"zonerange", j.ZoneRange}} {
		if z.v%int64(blockSize) != 0 || z.v%int64(j.MinBS()) != 0 {
			return bad(z.name, "%d is not a multiple of the block size", z.v)
		}
	}
	if j.SeqAdd%int64(blockSize) != 0 {
		return bad("rw", "offset modifier %d is not a multiple of the device block size %d", j.SeqAdd, blockSize)
	}
	return nil
}

// transferBytes is what each worker transfers after the ramp when time does
// not end it first: io_size, else size (at most the region with filesize,
// as fio caps size at the files' total), else the region; times loops.
func (j *Job) transferBytes(region int64) int64 {
	n := region
	if j.Size > 0 && !j.FillDevice {
		n = j.Size
		if j.FileSize > 0 {
			n = min(n, region)
		}
	}
	if j.IOSize > 0 {
		n = j.IOSize
	}
	loops := int64(max(j.Loops, 1))
	if n > math.MaxInt64/loops {
		return math.MaxInt64
	}
	return n * loops
}

// addressed is how far into the target the job reaches when its sizes are
// in bytes: what a file target must hold. Without a size, clones spread by
// offset_increment assume a device the increments tile (fio's
// cross-stripe-verify.fio: 30 clones 124g apart on a 30*124g drive), so
// the last clone gets one increment too, not a region starting at the end.
func (j *Job) addressed() int64 {
	n := j.Size
	if j.FileSize > 0 {
		n = j.FileSize
	}
	if n == 0 && j.SizePercent == 0 && !j.FillDevice {
		n = j.OffsetIncrement
	}
	return j.Offset + n + j.OffsetIncrement*int64(max(j.NumJobs-1, 0))
}

// percentOf is p% of n, rounded down.
func percentOf(n int64, p int) int64 {
	if n > math.MaxInt64/100 {
		return n / 100 * int64(p)
	}
	return n * int64(p) / 100
}
