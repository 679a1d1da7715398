package workloads

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// memDevice is an in-memory Device that completes synchronously.
type memDevice struct {
	mu   sync.Mutex
	bs   int
	data []byte
	prev map[int64][]byte // a block's content before its last write
}

func newMemDevice(size int64) *memDevice {
	return &memDevice{bs: 4096, data: make([]byte, size), prev: map[int64][]byte{}}
}

func (m *memDevice) Submit(op *Op) {
	m.mu.Lock()
	if op.Kind == OpWrite {
		for off := op.Offset; off < op.Offset+int64(len(op.Buf)); off += int64(m.bs) {
			m.prev[off/int64(m.bs)] = append([]byte(nil), m.data[off:off+int64(m.bs)]...)
		}
		copy(m.data[op.Offset:], op.Buf)
	} else {
		copy(op.Buf, m.data[op.Offset:])
	}
	m.mu.Unlock()
	op.Err = nil
	op.Done(op)
}

func (m *memDevice) BlockSize() int { return m.bs }
func (m *memDevice) Blocks() int64  { return int64(len(m.data) / m.bs) }
func (m *memDevice) Queues() int    { return 1 }
func (m *memDevice) Close() error   { return nil }

// faultyDevice wraps a memDevice with the failures verification must catch.
type faultyDevice struct {
	*memDevice
	dropWrite, flipWrite int  // 1-based write number to drop silently / corrupt (0: none)
	staleReads           bool // reads return a block's previous content, once per block
	finalOnly            bool // ... only in the final pass
	writes               int
	hits                 []hit // what was done, in order
	staleDone            map[int64]bool
}

// hit is one injected failure: the block and the write sequence it concerned.
type hit struct {
	lba int64
	seq uint64
}

func (f *faultyDevice) Submit(op *Op) {
	if op.Kind == OpWrite {
		f.writes++
		seq := binary.LittleEndian.Uint64(op.Buf[24:])
		switch f.writes {
		case f.dropWrite:
			f.hits = append(f.hits, hit{op.Offset / 4096, seq})
			op.Err = nil
			op.Done(op) // acknowledged, never stored
			return
		case f.flipWrite:
			f.hits = append(f.hits, hit{op.Offset / 4096, seq})
			f.memDevice.Submit(&Op{Kind: OpWrite, Offset: op.Offset, Buf: op.Buf, Done: func(*Op) {}})
			f.data[op.Offset+100] ^= 0x40
			op.Done(op)
			return
		}
	}
	if op.Kind == OpRead && f.staleReads && (!f.finalOnly || op.purpose == forFinal) {
		f.memDevice.Submit(&Op{Kind: OpRead, Offset: op.Offset, Buf: op.Buf, Done: func(*Op) {}})
		f.injectStale(op)
		op.Done(op)
		return
	}
	f.memDevice.Submit(op)
}

func (f *faultyDevice) injectStale(op *Op) {
	for i := 0; i < len(op.Buf); i += 4096 {
		lba := op.Offset/4096 + int64(i/4096)
		old, ok := f.prev[lba]
		if !ok || f.staleDone[lba] {
			continue
		}
		f.staleDone[lba] = true
		f.hits = append(f.hits, hit{lba, binary.LittleEndian.Uint64(f.data[lba*4096+24:])})
		copy(op.Buf[i:], old)
	}
}

func verifyJob(t *testing.T, kv ...string) Job {
	return job(t, "v", append([]string{"verify", "crc32c", "bs", "4k", "iodepth", "4"}, kv...)...)
}

// TestVerifyCatchesFaults proves each kind of damage is found at the right
// block, and that a clean run reports nothing.
func TestVerifyCatchesFaults(t *testing.T) {
	oneWritePass := []string{"rw", "randwrite", "size", "1m"} // each block written once
	// Overwrites at iodepth 1: with several writes in flight, an older one
	// landing last is legitimate, so "old data" would be ambiguous.
	overwrite := []string{"iodepth", "1", "rw", "randwrite", "size", "64k", "runtime", "30ms", "time_based", "1", "norandommap", "1"}
	mixed := []string{"iodepth", "1", "rw", "randrw", "size", "64k", "runtime", "30ms", "time_based", "1", "norandommap", "1", "do_verify", "0"}
	tests := []struct {
		name  string
		kv    []string
		dev   faultyDevice
		check func(v *VerifyResult, hits []hit) error
	}{
		{"clean", oneWritePass, faultyDevice{}, func(v *VerifyResult, _ []hit) error {
			if v.OK != 256 || v.Blocks != 256 || !v.FinalPass {
				return fmt.Errorf("ok %d of %d blocks (final pass %v), want 256 of 256", v.OK, v.Blocks, v.FinalPass)
			}
			return nil
		}},
		{"dropped write", oneWritePass, faultyDevice{dropWrite: 100}, func(v *VerifyResult, hits []hit) error {
			return wantOffenders(v, v.LostWrites, "lost", hits, true)
		}},
		{"dropped write caught by verify_backlog", append(oneWritePass, "verify_backlog", "8", "do_verify", "0"), faultyDevice{dropWrite: 100}, func(v *VerifyResult, hits []hit) error {
			return wantOffenders(v, v.StaleReads, "stale", hits, true)
		}},
		{"clean with verify_backlog", append(oneWritePass, "verify_backlog", "10"), faultyDevice{}, func(v *VerifyResult, _ []hit) error {
			if v.ReadsChecked != 256 || v.OK != 256 {
				return fmt.Errorf("%d blocks read back during the run, %d ok at the end; want 256, 256", v.ReadsChecked, v.OK)
			}
			return nil
		}},
		{"flipped byte", oneWritePass, faultyDevice{flipWrite: 37}, func(v *VerifyResult, hits []hit) error {
			return wantOffenders(v, v.CorruptBlocks, "corrupt", hits, false)
		}},
		{"old data in final pass", overwrite, faultyDevice{staleReads: true, finalOnly: true}, func(v *VerifyResult, hits []hit) error {
			return wantOffenders(v, v.LostBlocks, "lost", hits, false)
		}},
		{"stale reads during run", mixed, faultyDevice{staleReads: true}, func(v *VerifyResult, hits []hit) error {
			return wantOffenders(v, v.StaleReads, "stale", hits, false)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dev := tc.dev
			dev.memDevice, dev.staleDone = newMemDevice(4<<20), map[int64]bool{}
			r := runT(t, &dev, []Job{verifyJob(t, tc.kv...)})
			v := r.Jobs[0].Verify
			if v == nil {
				t.Fatal("no verify result")
			}
			if err := tc.check(v, dev.hits); err != nil {
				t.Errorf("%v\nresult: %+v\ninjected: %v", err, v, dev.hits)
			}
			if len(dev.hits) == 0 && r.VerifyFailures() != 0 {
				t.Errorf("clean run: %d verification failures", r.VerifyFailures())
			}
		})
	}
}

// wantOffenders checks that count equals the injected failures and that
// the offenders name their blocks; for a dropped write the expected
// sequence is the dropped one and nothing was found.
func wantOffenders(v *VerifyResult, count int64, kind string, hits []hit, dropped bool) error {
	if len(hits) == 0 {
		return fmt.Errorf("test injected nothing")
	}
	if count != int64(len(hits)) {
		return fmt.Errorf("%s count %d, want %d", kind, count, len(hits))
	}
	if want := min(len(hits), maxOffenders); len(v.Offenders) != want {
		return fmt.Errorf("%d offenders, want %d", len(v.Offenders), want)
	}
	for i, o := range v.Offenders {
		h := hits[i]
		if o.Kind != kind || o.LBA != uint64(h.lba) {
			return fmt.Errorf("offender %d = %+v, want %s at LBA %d", i, o, kind, h.lba)
		}
		if kind != "corrupt" && o.Found >= o.Expected {
			return fmt.Errorf("offender %d = %+v: found seq not older than expected", i, o)
		}
		if dropped && (o.Expected != h.seq || o.Found != 0) {
			return fmt.Errorf("offender %+v, want expected seq %d, found 0", o, h.seq)
		}
	}
	return nil
}

// TestVerifyRegister drives the register model directly: a read may return
// the last acknowledged write or one in flight at read time, nothing older.
func TestVerifyRegister(t *testing.T) {
	v := newVerifier(1, 0, 4096, 0, 4096, 4096, false, verifyAlg{}, nil)
	mk := func() *Op { return &Op{Buf: make([]byte, 4096), snap: make([]blockSnap, 1)} }
	w1, w2, w3 := mk(), mk(), mk()
	v.submitWrite(w1)
	v.submitWrite(w2) // overlaps w1: either may land last
	v.completeWrite(w2)
	read := func(data *Op) string {
		r := mk()
		v.submitRead(r)
		copy(r.Buf, data.Buf)
		v.completeRead(r)
		res := v.result(false)
		return fmt.Sprintf("stale=%d corrupt=%d", res.StaleReads, res.CorruptReads)
	}
	if got := read(w1); got != "stale=0 corrupt=0" {
		t.Errorf("w1 while in flight: %s, want accepted", got)
	}
	v.completeWrite(w1)
	if got := read(w1); got != "stale=0 corrupt=0" {
		t.Errorf("w1 after overlapping w2: %s, want accepted", got)
	}
	v.submitWrite(w3)
	v.completeWrite(w3)
	if got := read(w2); got != "stale=1 corrupt=0" {
		t.Errorf("w2 after w3 acknowledged: %s, want stale", got)
	}
	w3.Buf[4000] ^= 1
	if got := read(w3); got != "stale=1 corrupt=1" {
		t.Errorf("bit flip: %s, want corrupt", got)
	}
}

// TestVerifyCleanConcurrent runs overlapping writers and readers on a real
// file: concurrency alone must never look like data loss.
func TestVerifyCleanConcurrent(t *testing.T) {
	j := verifyJob(t, "rw", "randrw", "size", "256k", "numjobs", "3", "iodepth", "8", "norandommap", "1", "runtime", "200ms", "time_based", "1", "verify_backlog", "16")
	dev := openT(t, "file://"+t.TempDir()+"/verify.dat", j)
	r := runT(t, dev, []Job{j})
	v := r.Jobs[0].Verify
	// On a loaded machine 200 ms of random writes may leave a block
	// unwritten; what matters is that nothing written reads back wrong.
	if r.VerifyFailures() != 0 || v.ReadsChecked == 0 || v.Blocks != 64 || v.OK == 0 || v.OK+v.NeverWritten != 64 {
		t.Errorf("clean concurrent run: %+v", v)
	}
}

func TestVerifyRefusesSharedBlocks(t *testing.T) {
	a := verifyJob(t, "rw", "randwrite", "size", "1m")
	b := job(t, "b", "rw", "write", "offset", "512k", "size", "1m")
	c := job(t, "c", "rw", "write", "offset", "1m", "size", "1m")
	dev := newMemDevice(4 << 20)
	if _, err := NewEngine(dev, []Job{a, b}); err == nil || !strings.Contains(err.Error(), "writes the same blocks") {
		t.Errorf("overlapping writer: err = %v", err)
	}
	if _, err := NewEngine(dev, []Job{a, c}); err != nil {
		t.Errorf("disjoint writer: %v", err)
	}
}
