package workloads

import (
	"errors"
	"fmt"
	"math/bits"
	"syscall"
)

// File engines a file:// URL may ask for with ?engine=. The default is
// psync for now: on the 2-vCPU VMs measured, io_uring used ~30 % less CPU
// per I/O but reached 0.75-0.9x psync's IOPS (its completions wait behind
// the Go scheduler's hand-offs; see uring), so it is opt-in until it wins.
// io_uring asked for and refused by the kernel (too old, disabled by
// sysctl or seccomp) falls back to psync, saying so in the notes.
const (
	fileEngineAuto  = ""
	fileEngineURing = "io_uring"
	fileEnginePsync = "psync"
)

// maxURingEntries bounds a ring's submission queue.
const maxURingEntries = 4096

// startURing gives each of nq queues a ring deep enough for depth ops and
// checks, with one read of the first block, that the kernel runs this
// file's reads through it.
func (d *fileDevice) startURing(nq, depth int) error {
	entries := min(1<<bits.Len(uint(depth)), maxURingEntries) // > depth
	if depth >= entries {
		return fmt.Errorf("io_uring: queue depth %d above %d", depth, maxURingEntries-1)
	}
	for range nq {
		r, err := newURing(d.fd, entries)
		if err != nil {
			d.stopURing()
			return err
		}
		d.rings = append(d.rings, r)
	}
	if err := d.probeURing(); err != nil {
		d.stopURing()
		return err
	}

	d.notes = append(d.notes, fmt.Sprintf("file: io_uring, %d ring(s) of %d entries", nq, entries))
	return nil
}

// probeURing reads the first block through the first ring: kernels before
// 5.6 accept the ring but fail IORING_OP_READ with EINVAL.
func (d *fileDevice) probeURing() error {
	done := make(chan struct{})
	op := &Op{Kind: OpRead, Buf: alignedSlab(d.blockSize), Done: func(*Op) { close(done) }}
	d.rings[0].submit(op)
	<-done
	if errors.Is(op.Err, syscall.EINVAL) || errors.Is(op.Err, syscall.EOPNOTSUPP) {
		return fmt.Errorf("io_uring: this kernel cannot read through a ring: %w", op.Err)
	}
	return nil // other errors are the file's, and psync would meet them too
}

func (d *fileDevice) stopURing() {
	for _, r := range d.rings {
		r.shutdown()
	}
	d.rings = nil
}
