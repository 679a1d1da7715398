package workloads

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Write buffer contents per I/O, as fio's fill_io_buffer decides them.
// Without these options a worker's buffers are filled once and written
// again and again; refill_buffers gives every write new contents, and
// dedupe_percentage makes that percentage of writes repeat an earlier
// buffer: the previous unique one (dedupe_mode=repeat), or one of the
// working set, the first dedupe_working_set_percentage of size's blocks
// written uniquely (working_set); dedupe_global spreads the working set
// over the jobs that set it, so their writes dedupe against each other.
// A buffer is all unique or all repeated, and buffer_compress_percentage
// shapes each one as it shapes the fixed buffers.

// Dedupe holds a job's buffer-refill options.
type Dedupe struct {
	Refill     bool   `json:"refill_buffers,omitempty"`
	Percent    int    `json:"dedupe_percentage,omitempty"`
	Mode       string `json:"dedupe_mode,omitempty"` // "" (repeat) or "working_set"
	WorkingSet int    `json:"dedupe_working_set_percentage,omitempty"`
	Global     bool   `json:"dedupe_global,omitempty"`
}

// fio's default dedupe_working_set_percentage.
const defaultWorkingSet = 5

func (d *Dedupe) on() bool { return d.Refill || d.Percent > 0 }

func setDedupeMode(j *Job, v string, _ bool) error {
	switch m := strings.ToLower(strings.TrimSpace(v)); m {
	case "repeat":
		j.Dedupe.Mode = ""
	case "working_set":
		j.Dedupe.Mode = m
	default:
		return fmt.Errorf("%q: want repeat or working_set", v)
	}
	return nil
}

func (j *Job) workingSetPercent() int {
	if j.Dedupe.WorkingSet > 0 {
		return j.Dedupe.WorkingSet
	}
	return defaultWorkingSet
}

// workingSetBuffers is how many unique buffers the working set holds.
func (j *Job) workingSetBuffers() int64 {
	return j.Size * int64(j.workingSetPercent()) / 100 / int64(j.MinBS())
}

func (j *Job) validateDedupe() error {
	bad := func(option, format string, a ...any) error {
		return fmt.Errorf("%w %q: %s%s: %s", ErrInvalidJob, j.Name, option, j.where(option), fmt.Sprintf(format, a...))
	}
	d := j.Dedupe
	switch {
	case len(j.BufferPattern) > 0 && (d.Percent > 0 || j.BufferCompressPercentage > 0):
		// fio lays the pattern in the compressible share of each buffer.
		return bad("buffer_pattern", "with dedupe_percentage or buffer_compress_percentage: %v: only whole buffers take the pattern here", ErrUnsupportedOption)
	case !d.on():
		return nil
	case j.Verify != "":
		return bad("verify", "with refill_buffers or dedupe_percentage: %v: verify headers make every block unique", ErrUnsupportedOption)
	case d.Percent > 0 && d.Mode == "working_set" && j.Size <= 0:
		return bad("dedupe_working_set_percentage", "the working set is a percentage of size: give size explicitly (as fio asks)")
	case d.Percent > 0 && d.Mode == "working_set" && j.workingSetBuffers() < 1:
		return bad("dedupe_working_set_percentage", "%d%% of size %d holds no block of %d bytes", j.workingSetPercent(), j.Size, j.MinBS())
	}
	return nil
}

// bufferSource decides the contents of one worker's writes: each is the
// stream of a seed, a new one for a unique buffer.
type bufferSource struct {
	key     uint64 // run-wide: seeds of equal (owner, index) are equal
	owner   uint64 // this worker's place among those sharing a working set
	percent uint64
	mode    string
	unique  uint64 // unique buffers so far
	rng     rand.PCG
	// working set: its size; with dedupe_global, the workers it is spread
	// over and how many buffers each gives.
	set, owners, perOwner uint64
}

// seed of buffer index of owner: the index-th unique buffer it writes.
func (b *bufferSource) seed(owner, index uint64) uint64 {
	return mix64(b.key ^ mix64(owner<<40^index))
}

// next returns the seed of the next write's buffer.
func (b *bufferSource) next() uint64 {
	switch {
	case b.percent == 100 && b.unique > 0: // fio: every buffer is the first
		return b.seed(b.owner, 0)
	case b.percent > 0 && b.unique > 0 && b.rng.Uint64()%100 < b.percent:
		if b.mode != "working_set" {
			return b.seed(b.owner, b.unique-1) // the previous unique buffer
		}
		i := b.rng.Uint64() % b.set
		if b.owners <= 1 {
			return b.seed(b.owner, i)
		}
		// dedupe_global: block k of the set is worker owner+k's first buffers.
		return b.seed((b.owner+i/b.perOwner)%b.owners, i%b.perOwner)
	}
	b.unique++
	return b.seed(b.owner, b.unique-1)
}

// newBufferSources gives each worker of a job with refill_buffers or
// dedupe_percentage its source; those of dedupe_global jobs share one
// working set.
func newBufferSources(runs []*jobRun, runID uint64) {
	var global []*worker
	for _, run := range runs {
		if run.job.Dedupe.on() && run.job.Dedupe.Global {
			global = append(global, run.workers...)
		}
	}
	for _, run := range runs {
		j := run.job
		if !j.Dedupe.on() {
			continue
		}
		for _, w := range run.workers {
			b := &bufferSource{key: mix64(runID ^ 0xdedfe), owner: uint64(w.id), percent: uint64(j.Dedupe.Percent), mode: j.Dedupe.Mode}
			if j.Dedupe.Global {
				b.key = mix64(runID ^ 0x910ba1) // owners number the global workers, not all
			}
			b.rng.Seed(w.pat.rng.Uint64(), 0xdedfe)
			if b.mode == "working_set" {
				b.set = uint64(j.workingSetBuffers())
			}
			if j.Dedupe.Global && len(global) > 1 {
				b.owners = uint64(len(global))
				b.perOwner = max(b.set/b.owners, 1)
				for i, g := range global {
					if g == w {
						b.owner = uint64(i)
					}
				}
			} else if j.Dedupe.Global {
				b.key ^= uint64(w.id) // alone: its own set
			}
			w.bufs = b
		}
	}
}

// refill gives a write its buffer's contents.
func (w *worker) refill(buf []byte) {
	var src rand.PCG
	s := w.bufs.next()
	src.Seed(s, s^0x9e3779b97f4a7c15)
	w.fillPattern(buf, &src)
}
