package nvmetcp

import (
	"fmt"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// Request is one command submitted with Queue.Submit. The caller owns it:
// fill it, Submit it, and leave it (and Buf) alone until Done is called;
// then it may be reused for the next command, which costs no allocation.
type Request struct {
	// Opcode is nvme.IORead, IOWrite, IOFlush, IOWriteZeroes or IODatasetMgmt.
	Opcode uint8
	NSID   uint32
	// SLBA and NLB (a 1-based block count, 1..65536) address Read, Write and
	// Write Zeroes.
	SLBA uint64
	NLB  uint32
	// Buf is the data: NLB blocks for Read and Write; for Dataset Management
	// the ranges encoded by nvme.MarshalDSMRanges (deallocate is requested).
	Buf []byte
	// Done is called once per Submit that returned nil, on the queue's
	// reader goroutine: it must not block, but it may Submit again.
	Done func(*Request)
	User any // for the caller; never touched

	// Set before Done is called.
	Status nvme.Status // NVMe status of the completion (0 on transport errors)
	DW0    uint32      // completion dword 0
	Err    error       // nil, a *StatusError, or a transport error wrapping ErrControllerDown

	cmd      nvme.Command
	dir      direction
	timeout  time.Duration // 0: the queue's default; <0: none (AER)
	q        *Queue
	xfer     int   // data bytes received (C2H) or queued for sending (H2C)
	deadline int64 // controller clock, 0 = none
	dataErr  error // data digest failure, reported at completion
	dw1      uint32
}

type direction uint8

const (
	dirNone direction = iota
	dirH2C            // host to controller: in-capsule or R2T
	dirC2H            // controller to host: C2HData
)

// build returns the SQE and data direction of an I/O request from its
// exported fields.
func (r *Request) build() (nvme.Command, direction, error) {
	cmd := nvme.Command{Opcode: r.Opcode, Flags: nvme.PSDTSGL, NSID: r.NSID}
	switch r.Opcode {
	case nvme.IORead, nvme.IOWrite:
		if len(r.Buf) == 0 {
			return cmd, 0, fmt.Errorf("%w: %s without a buffer", ErrInvalidRequest, opName(r.Opcode))
		}
		dir := dirC2H
		if r.Opcode == nvme.IOWrite {
			dir = dirH2C
		}
		return cmd, dir, r.setRange(&cmd)
	case nvme.IOWriteZeroes:
		return cmd, dirNone, r.setRange(&cmd)
	case nvme.IOFlush:
		return cmd, dirNone, nil
	case nvme.IODatasetMgmt:
		n := len(r.Buf) / nvme.DSMRangeSize
		if n == 0 || n > nvme.MaxDSMRanges || len(r.Buf)%nvme.DSMRangeSize != 0 {
			return cmd, 0, fmt.Errorf("%w: dataset management buffer of %d bytes", ErrInvalidRequest, len(r.Buf))
		}
		cmd.CDW10 = uint32(n - 1)
		cmd.CDW11 = nvme.DSMDeallocate
		return cmd, dirH2C, nil
	}
	return cmd, 0, fmt.Errorf("%w: unsupported opcode %#x", ErrInvalidRequest, r.Opcode)
}

func (r *Request) setRange(cmd *nvme.Command) error {
	if r.NLB == 0 || r.NLB > 1<<16 {
		return fmt.Errorf("%w: NLB %d outside 1..65536", ErrInvalidRequest, r.NLB)
	}
	cmd.SetLBARange(r.SLBA, r.NLB)
	return nil
}

// ChanDone returns a Done function that sends the request to ch, for
// callers that prefer a completion channel. ch should have room for every
// request in flight: Done must not block the queue's reader.
func ChanDone(ch chan<- *Request) func(*Request) {
	return func(r *Request) { ch <- r }
}

func opName(op uint8) string {
	switch op {
	case nvme.IORead:
		return "read"
	case nvme.IOWrite:
		return "write"
	case nvme.IOFlush:
		return "flush"
	case nvme.IOWriteZeroes:
		return "write zeroes"
	case nvme.IODatasetMgmt:
		return "dataset management"
	}
	return fmt.Sprintf("opcode %#x", op)
}

// describe names a request for error messages, admin and fabrics included.
func (r *Request) describe() string {
	switch {
	case r.cmd.Opcode == nvme.OpcodeFabrics:
		return fmt.Sprintf("fabrics command (fctype %#x)", r.cmd.FabricsType())
	case r.q == nil || r.q.id != 0:
		return opName(r.cmd.Opcode)
	}
	switch r.cmd.Opcode {
	case nvme.AdminKeepAlive:
		return "keep alive"
	case nvme.AdminIdentify:
		return "identify"
	case nvme.AdminGetLogPage:
		return "get log page"
	case nvme.AdminSetFeatures, nvme.AdminGetFeatures:
		return "set/get features"
	}
	return fmt.Sprintf("admin opcode %#x", r.cmd.Opcode)
}
