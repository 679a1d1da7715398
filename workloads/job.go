package workloads

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RW is fio's rw= I/O pattern.
type RW uint8

const (
	// RWRead is sequential reads (rw=read).
	RWRead RW = iota
	// RWWrite is sequential writes (rw=write).
	RWWrite
	// RWRandRead is uniformly random reads (rw=randread).
	RWRandRead
	// RWRandWrite is uniformly random writes (rw=randwrite).
	RWRandWrite
	// RWReadWrite is sequential mixed reads and writes (rw=rw, rw=readwrite).
	RWReadWrite
	// RWRandRW is random mixed reads and writes (rw=randrw).
	RWRandRW
	// RWTrim is sequential trims (rw=trim).
	RWTrim
	// RWRandTrim is random trims (rw=randtrim).
	RWRandTrim
	// RWTrimWrite trims a block, then writes it, sequentially (rw=trimwrite).
	RWTrimWrite
	// RWRandTrimWrite is trimwrite at random offsets (rw=randtrimwrite).
	RWRandTrimWrite
)

var rwNames = map[string]RW{
	"read": RWRead, "write": RWWrite, "randread": RWRandRead, "randwrite": RWRandWrite,
	"rw": RWReadWrite, "readwrite": RWReadWrite, "randrw": RWRandRW,
	"trim": RWTrim, "randtrim": RWRandTrim, "trimwrite": RWTrimWrite, "randtrimwrite": RWRandTrimWrite,
}

// ParseRW reads a fio rw= value.
func ParseRW(s string) (RW, error) {
	if rw, ok := rwNames[strings.ToLower(strings.TrimSpace(s))]; ok {
		return rw, nil
	}
	return 0, fmt.Errorf("rw %q: want read, write, randread, randwrite, rw, readwrite, randrw, trim, randtrim, trimwrite or randtrimwrite", s)
}

// String returns the fio name.
func (r RW) String() string {
	switch r {
	case RWRead:
		return "read"
	case RWWrite:
		return "write"
	case RWRandRead:
		return "randread"
	case RWRandWrite:
		return "randwrite"
	case RWReadWrite:
		return "rw"
	case RWRandRW:
		return "randrw"
	case RWTrim:
		return "trim"
	case RWRandTrim:
		return "randtrim"
	case RWTrimWrite:
		return "trimwrite"
	case RWRandTrimWrite:
		return "randtrimwrite"
	}
	return fmt.Sprintf("rw(%d)", uint8(r))
}

// MarshalText makes RW appear by its fio name in JSON.
func (r RW) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a fio name.
func (r *RW) UnmarshalText(b []byte) error {
	v, err := ParseRW(string(b))
	*r = v
	return err
}

// Random reports whether offsets are random.
func (r RW) Random() bool {
	return r == RWRandRead || r == RWRandWrite || r == RWRandRW || r == RWRandTrim || r == RWRandTrimWrite
}

// Reads reports whether the pattern issues reads.
func (r RW) Reads() bool {
	return r == RWRead || r == RWRandRead || r == RWReadWrite || r == RWRandRW
}

// Writes reports whether the pattern issues writes.
func (r RW) Writes() bool {
	return r == RWWrite || r == RWRandWrite || r == RWReadWrite || r == RWRandRW || r == RWTrimWrite || r == RWRandTrimWrite
}

// Trims reports whether the pattern issues trims.
func (r RW) Trims() bool { return r >= RWTrim && r <= RWRandTrimWrite }

// BSSplit is one entry of fio's bssplit=: Percent of the I/Os use Size bytes.
type BSSplit struct {
	Size    int `json:"size"`
	Percent int `json:"percent"`
}

// Direction indexes per-direction settings and results.
type Direction int

const (
	// DirRead is reads.
	DirRead Direction = iota
	// DirWrite is writes.
	DirWrite
	// DirTrim is trims, fio's third direction.
	DirTrim
	numDirs
)

// String returns fio's name of the direction.
func (d Direction) String() string {
	switch d {
	case DirRead:
		return "read"
	case DirWrite:
		return "write"
	case DirTrim:
		return "trim"
	}
	return fmt.Sprintf("direction(%d)", int(d))
}

// Job is one fio job section: what a group of NumJobs workers does. The zero
// value is not useful; start from DefaultJob.
type Job struct {
	Name   string `json:"name"`
	Target string `json:"target,omitempty"` // target URL from filename=; empty: the engine's backend
	RW     RW     `json:"rw"`
	// SeqAdd is rw=read:N's offset modifier for sequential patterns: each
	// I/O starts N bytes (negative: back) after the previous one ended.
	SeqAdd int64 `json:"rw_seq_add,omitempty"`
	// SeqNr is rw=randread:N's: every Nth I/O draws a new random offset,
	// the others follow on sequentially.
	SeqNr int `json:"rw_seq_nr,omitempty"`
	// RWMixRead is the percentage of reads in rw/randrw.
	RWMixRead int `json:"rwmixread"`
	BS        int `json:"bs"`
	// BSMax, when set, makes BS the low end of a range (bsrange, bs=LO-HI):
	// each I/O's size is drawn from LO..BSMax, a multiple of LO, or with
	// BSUnaligned of the device block size.
	BSMax       int       `json:"bs_max,omitempty"`
	BSUnaligned bool      `json:"bs_unaligned,omitempty"`
	BSSplit     []BSSplit `json:"bssplit,omitempty"`
	// BSSplitWrite and BSSplitTrim, when set, are the splits of writes and
	// trims (bssplit=READS,WRITES[,TRIMS]; trims take the writes' when
	// not given, as in fio); BSSplit is then the reads'.
	BSSplitWrite []BSSplit `json:"bssplit_write,omitempty"`
	BSSplitTrim  []BSSplit `json:"bssplit_trim,omitempty"`
	IODepth      int       `json:"iodepth"`
	NumJobs      int       `json:"numjobs"`
	// Size is the region each worker addresses (and, unless TimeBased, the
	// bytes it transfers); 0 means from Offset to the end of the device.
	Size int64 `json:"size"`
	// SizePercent, when set, replaces Size: this percentage of the device
	// (size=N%), cut at the end of the device.
	SizePercent int `json:"size_percent,omitempty"`
	// FileSize, when set, is the region instead of Size, which then only
	// bounds the bytes transferred (filesize: fio's size of each file).
	FileSize int64 `json:"filesize,omitempty"`
	Offset   int64 `json:"offset"`
	// FillDevice makes the region everything from Offset to the end of the
	// device, whatever Size says (fill_device, fill_fs: fio writes until
	// the device is full).
	FillDevice bool `json:"fill_device,omitempty"`
	// OffsetIncrement moves clone N's region N times this further
	// (offset_increment); OffsetIncrementPercent gives it in percent of
	// the device.
	OffsetIncrement        int64 `json:"offset_increment,omitempty"`
	OffsetIncrementPercent int   `json:"offset_increment_percent,omitempty"`
	// IOSize, when set, is the bytes each worker transfers instead of the
	// size of its region (io_size, io_limit): less, or more by going over
	// the region again.
	IOSize int64 `json:"io_size,omitempty"`
	// Loops repeats the transfer (loops); 0 counts as 1.
	Loops int `json:"loops,omitempty"`
	// NumberIOs stops each worker after this many I/Os, whatever else
	// would let it go on (number_ios; I/Os after the ramp); 0 is no limit.
	NumberIOs int64 `json:"number_ios,omitempty"`
	// Runtime limits the run after the ramp; 0 means until Size is done.
	Runtime   time.Duration `json:"runtime"`
	TimeBased bool          `json:"time_based"`
	RampTime  time.Duration `json:"ramp_time"`
	// Stonewall makes the job wait for every earlier job to finish, and
	// starts a new reporting group (stonewall, wait_for_previous).
	Stonewall bool `json:"stonewall,omitempty"`
	// NewGroup starts a new reporting group without waiting.
	NewGroup bool `json:"new_group,omitempty"`
	// WaitFor names an earlier job whose workers must all finish before
	// this job starts.
	WaitFor string `json:"wait_for,omitempty"`
	// SteadyState stops the job once its criterion holds (steadystate).
	SteadyState SteadyState `json:"steadystate,omitzero"`
	// Zones stride sequential I/O (zonemode=strided, zonesize, zonerange,
	// zoneskip): ZoneSize bytes in a zone of ZoneRange (default ZoneSize),
	// then on to the zone ZoneSkip bytes after it.
	ZoneSize  int64 `json:"zonesize,omitempty"`
	ZoneRange int64 `json:"zonerange,omitempty"`
	ZoneSkip  int64 `json:"zoneskip,omitempty"`
	// ZBD is zonemode=zbd: ZoneSize is then the size of the zones the
	// target is cut into (see zbd.go).
	ZBD ZBD `json:"zbd,omitzero"`
	// Prio gives the job's I/Os Linux I/O priorities (see prio.go).
	Prio Prio `json:"prio,omitzero"`
	// Dedupe makes write buffers new per I/O, some repeating earlier ones
	// (refill_buffers, dedupe_*; see dedupe.go).
	Dedupe Dedupe `json:"dedupe,omitzero"`
	// Flow is the job's weight among the jobs of its FlowID: each of its
	// workers keeps its share of their I/Os at Flow's share of their
	// weights, waiting FlowSleep when ahead (flow, flow_id, flow_sleep).
	Flow      int           `json:"flow,omitempty"`
	FlowID    int           `json:"flow_id,omitempty"`
	FlowSleep time.Duration `json:"flow_sleep,omitempty"`
	// ThinkTime pauses the job after every ThinkBlocks I/Os (thinktime,
	// thinktime_blocks, default 1) once they have all completed.
	ThinkTime   time.Duration `json:"thinktime,omitempty"`
	ThinkBlocks int           `json:"thinktime_blocks,omitempty"`
	// ExitAll ends other jobs when this one ends (exitall): those of its
	// reporting group, or with ExitWhat "stonewall" every running job, or
	// with "all" every job, started or not (exit_what).
	ExitAll  bool   `json:"exitall,omitempty"`
	ExitWhat string `json:"exit_what,omitempty"`
	// FsyncBlocks and FdatasyncBlocks flush the device (fsync, fdatasync;
	// NVMe Flush) after every that many writes, once the I/O in flight has
	// completed (fsync, fdatasync). EndFsync flushes once the job's writes
	// are done (end_fsync); FsyncOnClose does too, and again uncounted as
	// fio's close does (fsync_on_close). Flushes are fio's sync direction.
	FsyncBlocks     int  `json:"fsync,omitempty"`
	FdatasyncBlocks int  `json:"fdatasync,omitempty"`
	EndFsync        bool `json:"end_fsync,omitempty"`
	FsyncOnClose    bool `json:"fsync_on_close,omitempty"`
	// LatencyTarget, when set, makes each worker search for the deepest
	// queue, up to IODepth, at which LatencyPercentile (default 100) of the
	// I/Os of each LatencyWindow complete within it, run one more window
	// there and stop; with LatencyRun it keeps adjusting instead
	// (latency_target, latency_window, latency_percentile, latency_run).
	LatencyTarget     time.Duration `json:"latency_target,omitempty"`
	LatencyWindow     time.Duration `json:"latency_window,omitempty"`
	LatencyPercentile float64       `json:"latency_percentile,omitempty"`
	LatencyRun        bool          `json:"latency_run,omitempty"`
	// StartDelay delays the start, after what the job waits for.
	StartDelay time.Duration `json:"startdelay,omitempty"`
	// RateIOPS and Rate (bytes/s) cap each worker per direction; 0 is no cap.
	RateIOPS [numDirs]int64 `json:"rate_iops"`
	Rate     [numDirs]int64 `json:"rate"`
	// RateMin (bytes/s) and RateIOPSMin are the least each worker must
	// do per direction over each RateCycle (default 1s) after the ramp,
	// or it stops with an error (ratemin, rate_iops_min, ratecycle).
	RateMin     [numDirs]int64 `json:"ratemin,omitzero"`
	RateIOPSMin [numDirs]int64 `json:"rate_iops_min,omitzero"`
	RateCycle   time.Duration  `json:"ratecycle,omitempty"`
	// RateProcess is "" (fio's linear: even spacing) or "poisson".
	RateProcess string `json:"rate_process,omitempty"`
	NoRandomMap bool   `json:"norandommap"`
	// Distribution skews random offsets (random_distribution); any but
	// uniform draws without the random map, as in fio.
	Distribution Distribution `json:"random_distribution,omitempty"`
	// PercentSequential is 100 - percentage_random: the share of a random
	// job's I/Os that follow on from the previous one instead.
	PercentSequential int `json:"percent_sequential,omitempty"`
	// BlockAlign aligns random offsets (blockalign) instead of the smallest
	// block size; it turns the random map off, as in fio.
	BlockAlign int64 `json:"blockalign,omitempty"`
	// RandRepeat makes offsets and directions repeat for the same RandSeed;
	// without it the seed is taken from the clock.
	RandRepeat     bool   `json:"randrepeat"`
	RandSeed       uint64 `json:"randseed"`
	GroupReporting bool   `json:"group_reporting"`
	// Verify is "" (off) or the verify= method: crc32c, crc32, crc64,
	// xxhash, md5, sha1, sha256, sha512, sha3-*, meta or pattern.
	Verify string `json:"verify,omitempty"`
	// VerifyPattern is verify_pattern: the data of every written unit.
	VerifyPattern []byte `json:"verify_pattern,omitempty"`
	// VerifyInterval checks units of this many bytes instead of the
	// smallest block size (verify_interval).
	VerifyInterval int `json:"verify_interval,omitempty"`
	// VerifyFatal stops the job at its first verification failure.
	VerifyFatal   bool `json:"verify_fatal,omitempty"`
	VerifyBacklog int  `json:"verify_backlog,omitempty"`
	// DoVerify runs the final read-back pass when Verify is set.
	DoVerify    bool `json:"do_verify"`
	ZeroBuffers bool `json:"zero_buffers"`
	// BufferPattern (buffer_pattern) is laid from the start of every
	// write buffer, repeated; it wins over zero_buffers, as in fio.
	BufferPattern            []byte `json:"buffer_pattern,omitempty"`
	BufferCompressPercentage int    `json:"buffer_compress_percentage"`
	Direct                   bool   `json:"direct"`
	IOEngine                 string `json:"ioengine,omitempty"`
	// Report is how the job's latency and directions are reported.
	Report ReportOptions `json:"report,omitzero"`
	// Logs are the fio log files the job writes.
	Logs LogOptions `json:"logs,omitzero"`
	// Notes name the options accepted without effect, where they were set
	// and why they change nothing here.
	Notes []string `json:"notes,omitempty"`

	// files are the file options as written, until resolveTarget.
	files fileOptions
	// zones are sizes given in zones, until zonesize resolves them.
	zones zoneUnits
	// origin maps an option name to where it was set ("jobs.fio:12"), so
	// validation errors can point at the line.
	origin map[string]string
}

// DefaultRandSeed is fio's default randseed.
const DefaultRandSeed = 0x89

// DefaultJob returns a job with fio's defaults, except that Direct is true:
// nvmf-chaos measures devices, not the page cache.
func DefaultJob(name string) Job {
	return Job{
		Name: name, RW: RWRead, RWMixRead: 50, BS: 4096, IODepth: 1, NumJobs: 1, Loops: 1,
		RandRepeat: true, RandSeed: DefaultRandSeed, DoVerify: true, Direct: true,
	}
}

// where returns " (file:line)" for an option set from a job file, or "".
func (j *Job) where(option string) string {
	if o, ok := j.origin[option]; ok {
		return " (" + o + ")"
	}
	return ""
}

func (j *Job) setOrigin(option, at string) {
	if j.origin == nil {
		j.origin = map[string]string{}
	}
	j.origin[option] = at
}

// trimsOnly reports whether the job moves no data: its buffers are never
// read or written.
func (j *Job) trimsOnly() bool { return j.RW == RWTrim || j.RW == RWRandTrim }

// splitFor is direction d's bssplit; nil without one.
func (j *Job) splitFor(d Direction) []BSSplit {
	switch {
	case d == DirWrite && j.BSSplitWrite != nil:
		return j.BSSplitWrite
	case d == DirTrim && j.BSSplitTrim != nil:
		return j.BSSplitTrim
	}
	return j.BSSplit
}

// splitEntries lists the entries of every direction's bssplit.
func (j *Job) splitEntries() []BSSplit {
	return slices.Concat(j.BSSplit, j.BSSplitWrite, j.BSSplitTrim)
}

// MinBS is the smallest transfer size the job issues.
func (j *Job) MinBS() int {
	if len(j.BSSplit) == 0 {
		return j.BS
	}
	m := j.BSSplit[0].Size
	for _, s := range j.splitEntries() {
		m = min(m, s.Size)
	}
	return m
}

// MaxBS is the largest transfer size the job issues.
func (j *Job) MaxBS() int {
	if len(j.BSSplit) == 0 {
		return max(j.BS, j.BSMax)
	}
	m := 0
	for _, s := range j.splitEntries() {
		m = max(m, s.Size)
	}
	return m
}

// ErrInvalidJob wraps every job validation failure.
var ErrInvalidJob = errors.New("invalid job")

// Validate checks the job on its own; device-dependent checks (block size,
// capacity) happen when the engine opens the device.
func (j *Job) Validate() error {
	bad := func(option, format string, a ...any) error {
		return fmt.Errorf("%w %q: %s%s: %s", ErrInvalidJob, j.Name, option, j.where(option), fmt.Sprintf(format, a...))
	}
	switch {
	case j.Name == "":
		return fmt.Errorf("%w: empty name", ErrInvalidJob)
	case j.RWMixRead < 0 || j.RWMixRead > 100:
		return bad("rwmixread", "%d is not a percentage", j.RWMixRead)
	case j.BS <= 0 && len(j.BSSplit) == 0:
		return bad("bs", "%d must be positive", j.BS)
	case j.MaxBS() > maxBS && !j.trimsOnly():
		return bad("bs", "%d over 64MiB: only a job that trims alone (rw=trim, randtrim) may go up to 1GiB", j.MaxBS())
	case j.BSMax != 0 && j.BSMax < j.BS:
		return bad("bsrange", "%d-%d: the high end is below the low", j.BS, j.BSMax)
	case j.IODepth < 1 || j.IODepth > 65536:
		return bad("iodepth", "%d outside 1..65536", j.IODepth)
	case j.NumJobs < 1 || j.NumJobs > 4096:
		return bad("numjobs", "%d outside 1..4096", j.NumJobs)
	case j.Size < 0:
		return bad("size", "%d is negative", j.Size)
	case j.Offset < 0:
		return bad("offset", "%d is negative", j.Offset)
	case j.SizePercent < 0 || j.SizePercent > 100:
		return bad("size", "%d%% is not a percentage", j.SizePercent)
	case j.FileSize < 0:
		return bad("filesize", "%d is negative", j.FileSize)
	case j.OffsetIncrement < 0 || j.OffsetIncrementPercent < 0 || j.OffsetIncrementPercent > 100:
		return bad("offset_increment", "negative or over 100%%")
	case j.IOSize < 0:
		return bad("io_size", "%d is negative", j.IOSize)
	case j.Loops < 0:
		return bad("loops", "%d is negative", j.Loops)
	case j.NumberIOs < 0:
		return bad("number_ios", "%d is negative", j.NumberIOs)
	case j.Runtime < 0 || j.RampTime < 0 || j.StartDelay < 0:
		return bad("runtime", "negative duration")
	case j.WaitFor == j.Name:
		return bad("wait_for", "a job cannot wait for itself")
	case j.TimeBased && j.Runtime == 0:
		return bad("time_based", "needs runtime")
	case j.Verify != "" && verifyAlgs[j.Verify].name == "":
		return bad("verify", "%q unsupported", j.Verify)
	case j.Verify != "" && j.RW.Trims():
		return bad("verify", "with rw=%s: %v: a trim and the write of its block may be reordered in flight, and fio's trim verification (trim_verify_zero) is not implemented", j.RW, ErrUnsupportedOption)
	case j.LatencyTarget < 0 || j.LatencyWindow < 0:
		return bad("latency_target", "negative duration")
	case j.LatencyPercentile < 0 || j.LatencyPercentile > 100:
		return bad("latency_percentile", "%g is not a percentage", j.LatencyPercentile)
	case j.FsyncBlocks < 0 || j.FdatasyncBlocks < 0:
		return bad("fsync", "negative count")
	case j.Verify == "pattern" && len(j.VerifyPattern) == 0:
		return bad("verify", "pattern needs verify_pattern")
	case j.ZoneSize > 0 && j.RW.Random() && !j.ZBD.On:
		return bad("zonesize", "strided zones with random I/O: %v", ErrUnsupportedOption)
	case j.ZoneSize == 0 && (j.ZoneRange > 0 || j.ZoneSkip > 0):
		return bad("zonesize", "zonerange and zoneskip need zonesize")
	case j.VerifyInterval < 0:
		return bad("verify_interval", "%d is negative", j.VerifyInterval)
	case j.VerifyBacklog < 0:
		return bad("verify_backlog", "%d is negative", j.VerifyBacklog)
	case j.BufferCompressPercentage < 0 || j.BufferCompressPercentage > 100:
		return bad("buffer_compress_percentage", "%d is not a percentage", j.BufferCompressPercentage)
	}
	for d := range numDirs {
		if j.RateIOPS[d] < 0 || j.Rate[d] < 0 {
			return bad("rate", "negative rate")
		}
	}
	if err := j.validateZBD(); err != nil {
		return err
	}
	if err := j.validatePrio(); err != nil {
		return err
	}
	if err := j.validateDedupe(); err != nil {
		return err
	}
	return j.validateBSSplit()
}

func (j *Job) validateBSSplit() error {
	for _, split := range [][]BSSplit{j.BSSplit, j.BSSplitWrite, j.BSSplitTrim} {
		if err := j.validateSplit(split); err != nil {
			return err
		}
	}
	return nil
}

func (j *Job) validateSplit(split []BSSplit) error {
	if len(split) == 0 {
		return nil
	}
	total := 0
	for _, s := range split {
		if s.Size <= 0 || s.Percent < 0 {
			return fmt.Errorf("%w %q: bssplit%s: entry %d/%d invalid", ErrInvalidJob, j.Name, j.where("bssplit"), s.Size, s.Percent)
		}
		total += s.Percent
	}
	if total != 100 {
		return fmt.Errorf("%w %q: bssplit%s: percentages add up to %d, not 100", ErrInvalidJob, j.Name, j.where("bssplit"), total)
	}
	return nil
}

// verifyUnit is the size of the units verification stamps and checks.
func (j *Job) verifyUnit() int {
	if j.VerifyInterval > 0 {
		return j.VerifyInterval
	}
	return j.MinBS()
}

// BlockSizes lists the transfer sizes the job names (bs, both ends of a
// range, or each bssplit entry); each must be a multiple of the device
// block size.
func (j *Job) BlockSizes() []int {
	if len(j.BSSplit) == 0 && j.BSMax > 0 {
		return []int{j.BS, j.BSMax}
	}
	if len(j.BSSplit) == 0 {
		return []int{j.BS}
	}
	entries := j.splitEntries()
	s := make([]int, len(entries))
	for i, b := range entries {
		s[i] = b.Size
	}
	return s
}
