package workloads

import (
	"cmp"
	"math"
	"math/bits"
	"math/rand/v2"
)

// ioSpec is the next I/O a worker will issue, decided before rate limiting so
// that the sequence of I/Os depends only on the seed, never on timing.
type ioSpec struct {
	dir    Direction
	offset int64
	size   int
	// zoneReset marks a zonemode=zbd trim: a reset of emulated zones,
	// done when decided, that sends no command (as fio on a regular file).
	zoneReset bool
}

// pattern decides directions, sizes and offsets for one worker. It is
// deterministic for a given seed.
type pattern struct {
	rw      RW
	mixRead uint64
	split   []BSSplit
	// splits are per direction when bssplit gave one each: the direction
	// is then drawn first, the size from its split.
	splits [numDirs][]BSSplit
	perDir bool
	bs     int
	// With a range, sizes are drawn as bs + k*grain up to bsMax.
	bsMax, grain int

	start, length  int64 // region
	unit           int64 // offsets are multiples of this (the smallest bs)
	cursor         int64 // sequential position within the region
	seqAdd         int64 // rw=read:N: bytes added after each I/O
	seqNr, seqLeft int   // rw=randread:N: I/Os per random offset, and left of this run
	zone           zoneStride

	rng       rand.PCG
	randomMap bool
	dist      sampler     // nil: uniform
	align     int64       // random offsets are multiples of this
	seqPct    uint64      // percent of a random job's I/Os that follow on
	perm      permutation // random order covering each unit once per pass
	permPos   uint64
	// trimwrite: the trim just issued, whose block the next I/O writes.
	last    ioSpec
	trimmed bool
}

func newPattern(j *Job, start, length int64, seed uint64) *pattern {
	p := &pattern{
		rw: j.RW, mixRead: uint64(j.RWMixRead), split: j.BSSplit, bs: j.BS, bsMax: j.BSMax, grain: j.BS,
		start: start, length: length, unit: int64(j.MinBS()),
		seqAdd: j.SeqAdd, seqNr: j.SeqNr,
		zone: zoneStride{size: j.ZoneSize, rng: cmp.Or(j.ZoneRange, j.ZoneSize), skip: j.ZoneSkip},
	}
	p.rng.Seed(seed, seed^0x9e3779b97f4a7c15)
	if p.perDir = j.BSSplitWrite != nil || j.BSSplitTrim != nil; p.perDir {
		for d := range numDirs {
			p.splits[d] = j.splitFor(d)
		}
	}
	// fio's random map makes each block be touched once per pass. A keyed
	// permutation gives the same guarantee with no memory; it needs one
	// transfer size, so bssplit jobs draw offsets uniformly.
	// With rw=randread:N, the offsets between random draws are not in the map.
	p.randomMap = j.RW.Random() && !j.NoRandomMap && len(j.BSSplit) == 0 && j.BSMax == 0 && j.SeqNr <= 1 &&
		j.Distribution.Kind == "" && j.BlockAlign == 0 && j.PercentSequential == 0
	p.align, p.seqPct = p.unit, uint64(j.PercentSequential)
	if j.BlockAlign > 0 {
		p.align = j.BlockAlign
	}
	if j.RW.Random() && j.Distribution.Kind != "" {
		p.dist = newSampler(j.Distribution, uint64(max(length/p.align, 1)), p.align, &p.rng)
	}
	if p.randomMap {
		p.perm = newPermutation(uint64(length/p.unit), &p.rng)
	}
	return p
}

func (p *pattern) next() ioSpec {
	if p.rw == RWTrimWrite || p.rw == RWRandTrimWrite {
		// As fio: each block is trimmed, then written.
		if p.trimmed {
			p.trimmed = false
			return ioSpec{dir: DirWrite, offset: p.last.offset, size: p.last.size}
		}
		p.trimmed = true
	}
	var s ioSpec
	if p.perDir {
		s.dir = p.pickDir()
		p.split = p.splits[s.dir]
		s.size = p.pickSize()
	} else {
		s.size = p.pickSize()
		s.dir = p.pickDir()
	}
	switch {
	case p.rw.Random() && (p.seqLeft > 0 || p.seqPct > 0 && p.rng.Uint64()%100 < p.seqPct):
		p.seqLeft = max(p.seqLeft-1, 0)
		s.offset = p.sequentialOffset(s.size)
	case p.rw.Random():
		p.seqLeft = p.seqNr - 1
		s.offset = p.randomOffset(s.size)
		p.cursor = s.offset - p.start + int64(s.size)
	default:
		s.offset = p.sequentialOffset(s.size)
	}
	p.last = s
	return s
}

func (p *pattern) pickDir() Direction {
	switch p.rw {
	case RWWrite, RWRandWrite:
		return DirWrite
	case RWTrim, RWRandTrim, RWTrimWrite, RWRandTrimWrite:
		return DirTrim
	case RWReadWrite, RWRandRW:
		if p.rng.Uint64()%100 >= p.mixRead {
			return DirWrite
		}
	}
	return DirRead
}

func (p *pattern) pickSize() int {
	if p.bsMax > 0 {
		n := uint64((p.bsMax-p.bs)/p.grain) + 1
		return p.bs + int(p.rng.Uint64()%n)*p.grain
	}
	if len(p.split) == 0 {
		return p.bs
	}
	r := int(p.rng.Uint64() % 100)
	for _, e := range p.split {
		if r < e.Percent {
			return e.Size
		}
		r -= e.Percent
	}
	return p.split[len(p.split)-1].Size
}

// sequentialOffset follows on from the previous I/O, plus rw=read:N's
// modifier (after the first I/O of the region, as in fio); it wraps to the
// start, or going backwards to the end, when the next I/O would leave the
// region.
func (p *pattern) sequentialOffset(size int) int64 {
	if p.zone.size > 0 {
		return p.start + p.zone.next(int64(size), p.length)
	}
	pos := p.cursor
	if pos != 0 {
		pos += p.seqAdd
	}
	if pos < 0 || pos+int64(size) > p.length {
		pos = 0
		if p.seqAdd < 0 {
			pos = (p.length - int64(size)) / p.unit * p.unit
		}
	}
	p.cursor = pos + int64(size)
	return p.start + pos
}

func (p *pattern) randomOffset(size int) int64 {
	if p.randomMap {
		if p.permPos == p.perm.n {
			p.permPos = 0
			p.perm = newPermutation(p.perm.n, &p.rng) // a new order each pass
		}
		i := p.perm.at(p.permPos)
		p.permPos++
		return p.start + int64(i)*p.unit
	}
	slots := uint64((p.length-int64(size))/p.align) + 1
	if p.dist != nil {
		return p.start + int64(p.dist.next(&p.rng)%slots)*p.align
	}
	hi, _ := bits.Mul64(p.rng.Uint64(), slots) // unbiased enough, no division
	return p.start + int64(hi)*p.align
}

// zoneStride walks zonemode=strided zones: size bytes from a zone of rng
// bytes (over it again when size is larger), then the zone skip bytes
// after it; back to the first zone at the end of the region.
type zoneStride struct {
	size, rng, skip int64
	start, pos      int64 // the zone, and the position in it
	done            int64 // bytes transferred in the zone
}

func (z *zoneStride) next(n, length int64) int64 {
	if z.done >= z.size {
		z.start, z.pos, z.done = z.start+z.rng+z.skip, 0, 0
	}
	if z.pos+n > z.rng {
		z.pos = 0
	}
	if z.start+z.pos+n > length {
		z.start, z.pos = 0, 0
	}
	off := z.start + z.pos
	z.pos += n
	z.done += n
	return off
}

// permutation is a bijection of [0, n) built from a 4-round Feistel network
// over the smallest even-bit power-of-two domain holding n, with cycle walking
// to stay below n. Each at(i) costs a few multiplications and no memory.
type permutation struct {
	n        uint64
	halfBits uint
	mask     uint64
	keys     [4]uint64
}

func newPermutation(n uint64, rng *rand.PCG) permutation {
	p := permutation{n: n}
	b := uint(bits.Len64(max(n-1, 1)))
	p.halfBits = (b + 1) / 2
	p.mask = 1<<p.halfBits - 1
	for i := range p.keys {
		p.keys[i] = rng.Uint64()
	}
	return p
}

func (p *permutation) at(i uint64) uint64 {
	v := p.round(i)
	for v >= p.n { // cycle walking: i < n lies on v's cycle, so this ends
		v = p.round(v)
	}
	return v
}

func (p *permutation) round(v uint64) uint64 {
	l, r := v>>p.halfBits, v&p.mask
	for _, k := range p.keys {
		l, r = r, l^(mix64(r^k)&p.mask)
	}
	return l<<p.halfBits | r
}

// mix64 is the splitmix64 finalizer: a cheap, well-distributed hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// workerSeed derives a worker's seed from the job seed, so clones and jobs
// differ but repeat run to run.
func workerSeed(seed uint64, job, clone int) uint64 {
	return mix64(seed ^ mix64(uint64(job)<<32|uint64(clone)))
}

// pacer spaces one direction's I/Os to its rate caps without bursts: each I/O
// is due one spacing after the previous one, and debt older than maxLag is
// forgiven instead of being paid back in a burst.
type pacer struct {
	iops, bps int64
	next      int64 // run-clock time the next I/O is due
	// poisson spaces I/Os by exponential gaps of the same mean
	// (rate_process=poisson), drawn from rng.
	poisson bool
	rng     rand.PCG
}

// maxLag bounds catch-up after a late wakeup: timers fire with about this
// granularity, so at most this much I/O is issued back to back.
const maxLag = 1_000_000 // 1 ms

func (p *pacer) limited() bool { return p.iops > 0 || p.bps > 0 }

// wait returns how long until an I/O of size bytes may start (0: now).
func (p *pacer) wait(now int64) int64 {
	if !p.limited() || p.next <= now {
		return 0
	}
	return p.next - now
}

// take books an I/O of size bytes started at now.
func (p *pacer) take(now int64, size int) {
	if !p.limited() {
		return
	}
	var spacing int64
	if p.iops > 0 {
		spacing = 1e9 / p.iops
	}
	if p.bps > 0 {
		spacing = max(spacing, int64(size)*1e9/p.bps)
	}
	if p.poisson {
		spacing = int64(-math.Log(1-uniform(&p.rng)) * float64(spacing))
	}
	p.next = max(p.next, now-maxLag) + spacing
}
