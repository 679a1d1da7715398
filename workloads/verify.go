package workloads

import (
	"encoding/binary"
	"hash/crc32"
	"sync"
	"sync/atomic"
)

// Every verified unit (the job's smallest block size, or verify_interval)
// starts with this header, little-endian:
//
//	0  magic   uint32  "NVFC"
//	4  crc     uint32  CRC32C of the unit (crc32c) or of the header and
//	                   digest (other methods), this field left out
//	8  run     uint64  run id: data from an earlier run is "never written"
//	16 offset  uint64  device byte offset the unit was written to
//	24 seq     uint64  write sequence number, unique within the job
//	32 time    int64   run-clock submit time, ns
//	40 job     uint32  job index
//	44 length  uint32  unit length in bytes
//	48 digest          the method's data checksum, if it has one (verifyalg.go)
//
// verify=pattern writes no header: see verifyAlg.
const (
	headerSize  = 48
	verifyMagic = 0x4346564e // "NVFC"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type blockHeader struct {
	run, off, seq uint64
	time          int64
	job, length   uint32
}

// stampUnit writes h at the start of unit and seals it with alg's checksums.
func stampUnit(unit []byte, h blockHeader, alg verifyAlg) {
	binary.LittleEndian.PutUint32(unit[0:], verifyMagic)
	binary.LittleEndian.PutUint64(unit[8:], h.run)
	binary.LittleEndian.PutUint64(unit[16:], h.off)
	binary.LittleEndian.PutUint64(unit[24:], h.seq)
	binary.LittleEndian.PutUint64(unit[32:], uint64(h.time))
	binary.LittleEndian.PutUint32(unit[40:], h.job)
	binary.LittleEndian.PutUint32(unit[44:], h.length)
	alg.seal(unit)
}

func unitCRC(unit []byte) uint32 {
	c := crc32.Update(0, castagnoli, unit[0:4])
	return crc32.Update(c, castagnoli, unit[8:])
}

// unitStatus is what a unit's bytes say on their own.
type unitStatus uint8

const (
	unitNoHeader unitStatus = iota // no header of this run: never written (by this run)
	unitValid                      // header and checksums good, at the right place
	unitCorrupt                    // bad checksum or pattern, wrong offset, job or length
)

// checkUnit decodes the header of unit expected at off and returns its
// status and write sequence. With verify=pattern a unit has no header: it
// is valid when it holds the pattern, and never written otherwise (the
// caller knows whether it was).
func (v *verifier) checkUnit(unit []byte, off uint64) (unitStatus, blockHeader) {
	var h blockHeader
	if v.alg.name == "pattern" {
		if patternIntact(unit, v.pattern, 0) {
			return unitValid, h
		}
		return unitNoHeader, h
	}
	if len(unit) < headerSize || binary.LittleEndian.Uint32(unit[0:]) != verifyMagic ||
		binary.LittleEndian.Uint64(unit[8:]) != v.run {
		return unitNoHeader, h
	}
	h.run = v.run
	h.off = binary.LittleEndian.Uint64(unit[16:])
	h.seq = binary.LittleEndian.Uint64(unit[24:])
	h.time = int64(binary.LittleEndian.Uint64(unit[32:]))
	h.job = binary.LittleEndian.Uint32(unit[40:])
	h.length = binary.LittleEndian.Uint32(unit[44:])
	if h.off != off || h.job != v.job && !v.readOnly || int(h.length) != len(unit) ||
		v.pattern != nil && !patternIntact(unit, v.pattern, v.alg.headerLen()) || v.alg.intact(unit) != nil {
		return unitCorrupt, h
	}
	return unitValid, h
}

// blockState is the engine's knowledge of one unit, a register model
// (docs/ARCHITECTURE.md, lost_writes and stale_reads). A read may return the last acknowledged write or any write that
// overlapped it in time; floor is the oldest sequence still allowed.
type blockState struct {
	acked     uint64 // newest acknowledged write (0: none)
	floor     uint64 // reads returning an older sequence are stale/lost
	busyFirst uint64 // first write of the current run of overlapping writes
	inflight  uint32
}

// blockSnap is a unit's state when a read was submitted.
type blockSnap struct{ floor, acked uint64 }

// Offender is one unit that failed verification.
type Offender struct {
	Kind   string `json:"kind"` // "lost", "stale" or "corrupt"
	LBA    uint64 `json:"lba"`
	Offset int64  `json:"offset"`
	// Expected is the newest acknowledged write sequence, Found the one read
	// (0: no header of this run).
	Expected uint64 `json:"expected_seq"`
	Found    uint64 `json:"found_seq"`
	At       int64  `json:"at_ns"` // run-clock time the read completed
}

// VerifyResult counts what verification found for one job.
type VerifyResult struct {
	// Final pass, one count per unit.
	Blocks        int64 `json:"blocks"`
	OK            int64 `json:"ok"`
	NeverWritten  int64 `json:"never_written"`
	LostBlocks    int64 `json:"lost_blocks"`
	CorruptBlocks int64 `json:"corrupt_blocks"`
	// LostWrites is the number of distinct acknowledged writes of which the
	// final pass found some unit missing or superseded by older data.
	LostWrites int64 `json:"lost_writes"`
	// During the run (workload and verify_backlog reads), one count per unit read.
	ReadsChecked int64 `json:"reads_checked"`
	StaleReads   int64 `json:"stale_reads"`
	CorruptReads int64 `json:"corrupt_reads"`
	// FinalPass is false when the final pass did not run (do_verify=0 or cancelled).
	FinalPass bool       `json:"final_pass"`
	Offenders []Offender `json:"offenders,omitempty"`
	// Unit is the bytes each verified unit holds.
	Unit int64 `json:"unit_bytes,omitempty"`
}

// failed reports whether verification found damage.
func (v *VerifyResult) failed() bool {
	return v.LostBlocks+v.CorruptBlocks+v.StaleReads+v.CorruptReads > 0
}

// maxOffenders bounds the offenders kept per job.
const maxOffenders = 16

// verifier holds the register state of a job's region. With one worker all
// calls come from that worker's goroutine; with several, stripes of blocks
// are locked.
type verifier struct {
	alg     verifyAlg
	pattern []byte      // verify_pattern: every unit's data; nil: none
	fatal   atomic.Bool // a unit failed: verify_fatal stops the job
	// readOnly: the job only reads, checking what earlier jobs wrote, as
	// fio's read-phase verify jobs do: any job's header is good, a unit
	// without one is corrupt.
	readOnly bool
	// fillers are the verifiers of earlier fill_device jobs writing the
	// same units. On a file, fio's fill_device grows the file only as far
	// as it writes, and a later read phase reads the file's size: a unit
	// such a job never reached (its runtime ended first) is not part of
	// the data, so a read-only job counts it as never written rather than
	// corrupt (surface-scan.fio under a --runtime cap).
	fillers  []*verifier
	run      uint64
	job      uint32
	unit     int64
	start    int64
	devBlock int64
	blocks   []blockState
	shared   bool
	stripes  [64]sync.Mutex
	wmu      sync.Mutex // orders sequence numbers with registration (shared only)
	seq      atomic.Uint64

	readsChecked, stale, corruptReads       atomic.Int64
	blocksChecked, ok, never, lost, corrupt atomic.Int64

	mu         sync.Mutex // guards the fields below
	lostWrites map[uint64]struct{}
	offenders  []Offender
}

// newVerifier tracks a job's region of length bytes from start, in units of
// unit bytes, checked with alg (crc32c when its name is empty) and pattern.
func newVerifier(run uint64, job int, unit, start, length, devBlock int64, shared bool, alg verifyAlg, pattern []byte) *verifier {
	if alg.name == "" {
		alg = verifyAlgs["crc32c"]
	}
	return &verifier{
		alg: alg, pattern: pattern, run: run, job: uint32(job), unit: unit, start: start, devBlock: devBlock,
		blocks: make([]blockState, length/unit), shared: shared,
		lostWrites: map[uint64]struct{}{},
	}
}

func (v *verifier) lock(i int64) {
	if v.shared {
		v.stripes[i%int64(len(v.stripes))].Lock()
	}
}

func (v *verifier) unlock(i int64) {
	if v.shared {
		v.stripes[i%int64(len(v.stripes))].Unlock()
	}
}

// units returns the index of the first unit of op and how many it covers.
func (v *verifier) units(op *Op) (first, n int64) {
	return (op.Offset - v.start) / v.unit, int64(len(op.Buf)) / v.unit
}

// submitWrite assigns op its sequence, marks its units in flight and stamps
// them. Sequence numbers must be handed out in the order writes register,
// or a write could see a newer one in flight without the newer one seeing
// it, and their legitimate reordering would look like a stale read; with
// several workers the order is kept by wmu.
func (v *verifier) submitWrite(op *Op) {
	if v.shared {
		v.wmu.Lock()
	}
	op.seq = v.seq.Add(1)
	first, n := v.units(op)
	for i := range n {
		b := first + i
		v.lock(b)
		s := &v.blocks[b]
		if s.inflight == 0 {
			s.busyFirst = op.seq
		}
		s.inflight++
		v.unlock(b)
	}
	if v.shared {
		v.wmu.Unlock()
	}
	for i := range n {
		unit := op.Buf[i*v.unit : (i+1)*v.unit]
		if v.pattern != nil {
			fillPattern(unit, v.pattern) // the buffer may hold read data
		}
		if v.alg.name != "pattern" {
			stampUnit(unit, blockHeader{
				run: v.run, off: uint64(op.Offset + i*v.unit), seq: op.seq,
				time: op.submitNs, job: v.job, length: uint32(v.unit),
			}, v.alg)
		}
	}
}

// completeWrite records the outcome of a write. Once it is acknowledged, a
// read may still return any write of the unbroken run of overlapping
// writes it belongs to (busyFirst onwards), so that is the new floor. A
// failed write leaves the floor alone: its data may or may not have landed.
func (v *verifier) completeWrite(op *Op) {
	first, n := v.units(op)
	for i := range n {
		b := first + i
		v.lock(b)
		s := &v.blocks[b]
		s.inflight--
		if op.Err == nil {
			s.acked = max(s.acked, op.seq)
			s.floor = max(s.floor, min(op.seq, s.busyFirst))
		}
		v.unlock(b)
	}
}

// written reports whether any of the n units from first was ever written
// (or attempted): the final pass reads only those.
func (v *verifier) written(first, n int64) bool {
	for i := range n {
		b := first + i
		v.lock(b)
		s := v.blocks[b]
		v.unlock(b)
		if s.acked != 0 || s.busyFirst != 0 {
			return true
		}
	}
	return false
}

// unfilled reports whether unit off lies where fill_device jobs before
// this read-only one wrote nothing (false without such jobs).
func (v *verifier) unfilled(off int64) bool {
	if len(v.fillers) == 0 {
		return false
	}
	for _, f := range v.fillers {
		if off >= f.start && (off-f.start)/f.unit < int64(len(f.blocks)) && f.written((off-f.start)/f.unit, 1) {
			return false
		}
	}
	return true
}

// submitRead snapshots the state of the units op reads into op.snap.
func (v *verifier) submitRead(op *Op) {
	snap := op.snap
	first, n := v.units(op)
	for i := range n {
		b := first + i
		v.lock(b)
		snap[i] = blockSnap{floor: v.blocks[b].floor, acked: v.blocks[b].acked}
		v.unlock(b)
	}
}

// completeRead classifies each unit op read.
func (v *verifier) completeRead(op *Op) {
	snap := op.snap
	if op.Err != nil {
		return
	}
	final := op.purpose == forFinal
	_, n := v.units(op)
	for i := range n {
		off := op.Offset + i*v.unit
		lba := uint64(off / v.devBlock)
		st, h := v.checkUnit(op.Buf[i*v.unit:(i+1)*v.unit], uint64(off))
		s := snap[i]
		kind := ""
		switch {
		case v.alg.name == "pattern":
			// No sequence to judge staleness by: a written unit that
			// does not hold the pattern is corrupt.
			if st != unitValid && s.acked != 0 {
				kind = "corrupt"
			}
		case st == unitCorrupt, st == unitNoHeader && v.readOnly && !v.unfilled(off):
			kind = "corrupt"
		case st == unitNoHeader && s.acked != 0, st == unitValid && h.seq < s.floor:
			kind = "stale"
			if final {
				kind = "lost"
			}
		}
		v.count(final, st, kind, s.acked)
		if kind != "" {
			v.offend(Offender{Kind: kind, LBA: lba, Offset: off, Expected: s.acked, Found: h.seq, At: op.completeNs})
		}
	}
}

func (v *verifier) count(final bool, st unitStatus, kind string, expected uint64) {
	if !final {
		v.readsChecked.Add(1)
		switch kind {
		case "corrupt":
			v.corruptReads.Add(1)
		case "stale":
			v.stale.Add(1)
		}
		return
	}
	v.blocksChecked.Add(1)
	switch {
	case kind == "corrupt":
		v.corrupt.Add(1)
	case kind == "lost":
		v.lost.Add(1)
		v.mu.Lock()
		v.lostWrites[expected] = struct{}{}
		v.mu.Unlock()
	case st == unitNoHeader:
		v.never.Add(1)
	default:
		v.ok.Add(1)
	}
}

func (v *verifier) offend(o Offender) {
	v.fatal.Store(true)
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.offenders) < maxOffenders {
		v.offenders = append(v.offenders, o)
	}
}

func (v *verifier) result(finalPass bool) *VerifyResult {
	v.mu.Lock()
	defer v.mu.Unlock()
	return &VerifyResult{
		Blocks: v.blocksChecked.Load(), OK: v.ok.Load(), NeverWritten: v.never.Load(),
		LostBlocks: v.lost.Load(), CorruptBlocks: v.corrupt.Load(),
		LostWrites:   int64(len(v.lostWrites)),
		ReadsChecked: v.readsChecked.Load(), StaleReads: v.stale.Load(), CorruptReads: v.corruptReads.Load(),
		FinalPass: finalPass, Offenders: append([]Offender(nil), v.offenders...), Unit: v.unit,
	}
}
