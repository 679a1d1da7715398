package nvmetcp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// syncReq is a pooled Request with its own completion signal, so the
// synchronous wrappers allocate nothing per call.
type syncReq struct {
	Request
	ch chan struct{}
}

func (s *syncReq) signal(*Request) { s.ch <- struct{}{} }

var syncPool = sync.Pool{New: func() any {
	s := &syncReq{ch: make(chan struct{}, 1)}
	s.Done = s.signal
	return s
}}

// do runs one I/O command on some I/O queue and waits for it. If ctx ends
// first, do returns ctx.Err() and the command stays in flight: its buffer
// may still be read or written until it completes or times out.
func (c *Controller) do(ctx context.Context, op uint8, nsid uint32, slba uint64, nlb uint32, buf []byte) error {
	s := syncPool.Get().(*syncReq)
	s.Opcode, s.NSID, s.SLBA, s.NLB, s.Buf = op, nsid, slba, nlb, buf
	q, err := c.submitAny(ctx, &s.Request)
	if err != nil {
		s.Buf = nil
		syncPool.Put(s)
		return err
	}
	if err := q.await(ctx, s.ch); err != nil {
		return err // s is abandoned to the garbage collector
	}
	err = s.Err
	s.Buf, s.Err = nil, nil
	syncPool.Put(s)
	return err
}

// submitAny submits r on the next I/O queue with room, waiting for room
// when all are full, and returns that queue.
func (c *Controller) submitAny(ctx context.Context, r *Request) (*Queue, error) {
	n := len(c.io)
	if n == 0 {
		return nil, fmt.Errorf("%w: controller has no I/O queues", ErrInvalidRequest)
	}
	for wait := time.Microsecond * 20; ; wait = min(2*wait, time.Millisecond) {
		start := int(c.rr.Add(1))
		for i := range n {
			q := c.io[(start+i)%n]
			err := q.Submit(r)
			if !errors.Is(err, ErrQueueFull) {
				return q, err
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

// blockSize returns the cached block size of nsid, reading Identify
// Namespace the first time.
func (c *Controller) blockSize(ctx context.Context, nsid uint32) (int, error) {
	c.nsMu.Lock()
	ns := c.ns[nsid]
	c.nsMu.Unlock()
	if ns == nil {
		var err error
		if ns, err = c.IdentifyNamespace(ctx, nsid); err != nil {
			return 0, err
		}
	}
	if bs := ns.BlockSize(); bs > 0 {
		return bs, nil
	}
	return 0, fmt.Errorf("%w: namespace %d is not active", ErrInvalidRequest, nsid)
}

// ReadAt reads len(buf) bytes, a multiple of the block size, from nsid at
// block lba, splitting at the controller's transfer limit.
func (c *Controller) ReadAt(ctx context.Context, nsid uint32, buf []byte, lba uint64) error {
	return c.transfer(ctx, nvme.IORead, nsid, buf, lba)
}

// WriteAt writes buf, a multiple of the block size, to nsid at block lba.
func (c *Controller) WriteAt(ctx context.Context, nsid uint32, buf []byte, lba uint64) error {
	return c.transfer(ctx, nvme.IOWrite, nsid, buf, lba)
}

func (c *Controller) transfer(ctx context.Context, op uint8, nsid uint32, buf []byte, lba uint64) error {
	bs, err := c.blockSize(ctx, nsid)
	if err != nil {
		return err
	}
	if len(buf) == 0 || len(buf)%bs != 0 {
		return fmt.Errorf("%w: %s of %d bytes, not a multiple of the %d-byte block", ErrInvalidRequest, opName(op), len(buf), bs)
	}
	maxBlocks := 1 << 16
	if mt := c.ident.MaxTransfer(); mt > 0 {
		maxBlocks = min(maxBlocks, max(mt/bs, 1))
	}
	for off := 0; off < len(buf); {
		nlb := min(maxBlocks, (len(buf)-off)/bs)
		if err := c.do(ctx, op, nsid, lba, uint32(nlb), buf[off:off+nlb*bs]); err != nil {
			return fmt.Errorf("%s nsid %d lba %d: %w", opName(op), nsid, lba, err)
		}
		off += nlb * bs
		lba += uint64(nlb)
	}
	return nil
}

// Flush commits nsid's volatile write cache.
func (c *Controller) Flush(ctx context.Context, nsid uint32) error {
	if err := c.do(ctx, nvme.IOFlush, nsid, 0, 0, nil); err != nil {
		return fmt.Errorf("flush nsid %d: %w", nsid, err)
	}
	return nil
}

// WriteZeroes zeroes nlb blocks (1..65536) of nsid from lba.
func (c *Controller) WriteZeroes(ctx context.Context, nsid uint32, lba uint64, nlb uint32) error {
	if err := c.do(ctx, nvme.IOWriteZeroes, nsid, lba, nlb, nil); err != nil {
		return fmt.Errorf("write zeroes nsid %d lba %d: %w", nsid, lba, err)
	}
	return nil
}

// Deallocate deallocates (trims) nlb blocks of nsid from lba with Dataset
// Management.
func (c *Controller) Deallocate(ctx context.Context, nsid uint32, lba uint64, nlb uint32) error {
	buf := make([]byte, nvme.DSMRangeSize)
	nvme.MarshalDSMRanges(buf, []nvme.DSMRange{{NLB: nlb, SLBA: lba}})
	if err := c.do(ctx, nvme.IODatasetMgmt, nsid, 0, 0, buf); err != nil {
		return fmt.Errorf("deallocate nsid %d lba %d: %w", nsid, lba, err)
	}
	return nil
}
