package workloads

import (
	"context"
	"sync"
	"testing"
	"time"
)

// heldDevice is an in-memory BatchDevice that sends nothing until Flush:
// an engine that waited for a held op without flushing it would hang.
type heldDevice struct {
	bs   int
	data []byte

	mu         sync.Mutex
	held       map[int][]*Op
	submits    int
	flushes    int
	flushedOps int
	maxBatch   int
}

var _ BatchDevice = (*heldDevice)(nil)

func newHeldDevice(size int) *heldDevice {
	return &heldDevice{bs: 512, data: make([]byte, size), held: map[int][]*Op{}}
}

func (d *heldDevice) BlockSize() int { return d.bs }
func (d *heldDevice) Blocks() int64  { return int64(len(d.data) / d.bs) }
func (d *heldDevice) Queues() int    { return 4 }
func (d *heldDevice) Close() error   { return nil }

func (d *heldDevice) Submit(op *Op) {
	d.mu.Lock()
	d.submits++
	d.mu.Unlock()
	d.do(op)
}

func (d *heldDevice) Hold(op *Op) {
	d.mu.Lock()
	d.held[op.Queue] = append(d.held[op.Queue], op)
	d.mu.Unlock()
}

func (d *heldDevice) Flush(queue int) {
	d.mu.Lock()
	ops := d.held[queue]
	d.held[queue] = nil
	d.flushes++
	d.flushedOps += len(ops)
	d.maxBatch = max(d.maxBatch, len(ops))
	d.mu.Unlock()
	for _, op := range ops {
		d.do(op)
	}
}

func (d *heldDevice) do(op *Op) {
	d.mu.Lock()
	if op.Kind == OpWrite {
		copy(d.data[op.Offset:], op.Buf)
	} else {
		copy(op.Buf, d.data[op.Offset:])
	}
	d.mu.Unlock()
	op.Err = nil
	op.Done(op)
}

// TestEngineHoldsAndFlushes: on a BatchDevice the engine holds the ops it
// submits in a row and flushes them together, a quarter of iodepth at a
// time (heldShare), never waits for an op it has not flushed (the run
// ends), and verification sees the data as written.
func TestEngineHoldsAndFlushes(t *testing.T) {
	tests := []struct {
		name      string
		kv        []string
		wantIOs   int64
		wantBatch int // largest flush: iodepth/heldShare
	}{
		{"QD1", []string{"rw", "randread", "size", "1m", "iodepth", "1"}, 256, 1},
		{"QD8", []string{"rw", "randread", "size", "1m", "iodepth", "8"}, 256, 2},
		{"two workers", []string{"rw", "randwrite", "size", "1m", "iodepth", "8", "numjobs", "2"}, 512, 2},
		{"verify", []string{"rw", "randwrite", "size", "1m", "iodepth", "16", "verify", "crc32c", "verify_backlog", "64"}, 256, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := job(t, tc.name, tc.kv...)
			dev := newHeldDevice(1 << 20)
			e, err := NewEngine(dev, []Job{j})
			if err != nil {
				t.Fatal(err)
			}
			type out struct {
				r   *Result
				err error
			}
			ch := make(chan out, 1)
			go func() {
				r, err := e.Run(context.Background())
				ch <- out{r, err}
			}()
			var o out
			select {
			case o = <-ch:
			case <-time.After(20 * time.Second):
				t.Fatal("the run did not end: an op was waited for without a flush")
			}
			if o.err != nil {
				t.Fatal(o.err)
			}
			jr := o.r.Jobs[0]
			if ios := jr.Read.IOs + jr.Write.IOs; ios != tc.wantIOs {
				t.Errorf("IOs = %d, want %d", ios, tc.wantIOs)
			}
			if dev.submits != 0 {
				t.Errorf("%d ops submitted unheld", dev.submits)
			}
			if dev.maxBatch != tc.wantBatch {
				t.Errorf("largest flush %d ops, want %d", dev.maxBatch, tc.wantBatch)
			}
			if tc.wantBatch > 1 && dev.flushes >= dev.flushedOps {
				t.Errorf("%d flushes for %d ops: nothing batched", dev.flushes, dev.flushedOps)
			}
			if v := jr.Verify; v != nil && (v.OK == 0 || v.LostBlocks+v.CorruptBlocks+v.LostWrites+v.StaleReads != 0) {
				t.Errorf("verify: %+v", *v)
			}
		})
	}
}
