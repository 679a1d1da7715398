package nvmftarget

import (
	"encoding/binary"
	"errors"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
)

// dsmRangeSize is the size of one Dataset Management range descriptor.
const dsmRangeSize = 16

// dsmDeallocate is the AD (attribute deallocate) bit of DSM CDW11.
const dsmDeallocate = 1 << 2

// allNamespaces is the broadcast NSID a Flush may carry.
const allNamespaces = 0xFFFFFFFF

// io executes an NVM command: inline for memory bdevs, on a worker for
// bdevs that block, so a slow file never stalls the queue's reader.
func (c *conn) io(r *request) {
	if !c.checkIO(r) {
		c.complete(r)
		return
	}
	if r.ns != nil && !r.ns.inline {
		c.dispatch(r)
		return
	}
	c.runIO(r)
	c.completeHeld(r)
}

// checkIO validates an NVM command against the namespace, its ANA state on
// this port and its LBA range; false means r holds the error status. It
// reads the command's SGL length, so it may run before the data arrives.
func (c *conn) checkIO(r *request) bool {
	if !c.ctrl.enabled.Load() {
		r.fail(nvme.StatusCommandSequence)
		return false
	}
	op := r.cmd.Opcode
	if op == nvme.IOFlush && r.cmd.NSID == allNamespaces {
		return true
	}
	ns := c.ctrl.sub.ns.Load().byID[r.cmd.NSID]
	if ns == nil {
		r.fail(nvme.StatusInvalidNamespace.WithDNR())
		return false
	}
	if c.ctrl.sub.cfg.ANAReporting {
		if s := anaStatus(c.port.state(ns.anaGroup)); !s.Success() {
			r.fail(s)
			return false
		}
	}
	switch op {
	case nvme.IORead, nvme.IOWrite, nvme.IOWriteZeroes:
		slba, nlb := r.cmd.SLBA(), uint64(r.cmd.NLB())
		if slba+nlb > ns.bdev.NumBlocks() || slba+nlb < slba {
			r.fail(nvme.StatusLBAOutOfRange.WithDNR())
			return false
		}
		if op != nvme.IOWriteZeroes && uint64(r.cmd.SGL.Length) != nlb<<ns.blockShift {
			r.fail(nvme.StatusSGLLengthInvalid.WithDNR())
			return false
		}
	case nvme.IOFlush:
	case nvme.IODatasetMgmt:
		// Only deallocate reads the ranges; the other attributes are
		// hints, and SPDK completes a command of hints whatever data it
		// carries, none included.
		if r.cmd.CDW11&dsmDeallocate != 0 && int(r.cmd.SGL.Length) < dsmRanges(&r.cmd)*dsmRangeSize {
			r.fail(nvme.StatusSGLLengthInvalid.WithDNR())
			return false
		}
	default:
		r.fail(nvme.StatusInvalidOpcode.WithDNR())
		return false
	}
	r.ns = ns
	return true
}

// anaStatus is the status an I/O gets on a path in state s (success when
// the path may serve I/O).
func anaStatus(s nvme.ANAState) nvme.Status {
	switch s {
	case nvme.ANAInaccessible:
		return nvme.StatusANAInaccessible
	case nvme.ANAPersistentLoss:
		return nvme.StatusANAPersistentLoss
	case nvme.ANAChange:
		return nvme.StatusANATransition
	}
	return nvme.StatusSuccess
}

func dsmRanges(cmd *nvme.Command) int { return int(cmd.CDW10&0xFF) + 1 }

// runIO performs a checked command on its bdev and records the status.
func (c *conn) runIO(r *request) {
	if c.ctrl.keepAliveExpired() {
		// The host gave up on this controller at its own timeout and may
		// already have retried the command on another path and written
		// newer data there; running it now would overwrite that data.
		if c.ctrl.fenced.Add(1) == 1 {
			c.log.Warn("keep-alive deadline passed; refusing the controller's queued commands",
				"opcode", r.cmd.Opcode, "slba", r.cmd.SLBA())
		}
		r.fail(nvme.StatusAbortSQDeletion)
		return
	}
	if r.ns == nil { // flush of every namespace
		for _, ns := range c.ctrl.sub.ns.Load().byID {
			if err := ns.bdev.Flush(); err != nil {
				r.fail(deviceStatus(err, nvme.StatusWriteFault))
			}
		}
		return
	}
	b := r.ns.bdev
	off := int64(r.cmd.SLBA()) << r.ns.blockShift
	var err error
	status := nvme.StatusWriteFault
	switch r.cmd.Opcode {
	case nvme.IORead:
		_, err = b.ReadAt(r.data, off)
		status = nvme.StatusUnrecoveredRead
	case nvme.IOWrite:
		_, err = b.WriteAt(r.data, off)
	case nvme.IOFlush:
		err = b.Flush()
	case nvme.IOWriteZeroes:
		err = bdev.WriteZeroes(b, off, int64(r.cmd.NLB())<<r.ns.blockShift)
	case nvme.IODatasetMgmt:
		err = c.deallocate(r)
	}
	if err != nil {
		c.log.Warn("I/O failed", "opcode", r.cmd.Opcode, "nsid", r.cmd.NSID, "slba", r.cmd.SLBA(), "err", err)
		r.fail(deviceStatus(err, status))
	}
}

// deallocate runs a Dataset Management command. Only the deallocate
// attribute does anything; the others are hints a target may ignore.
func (c *conn) deallocate(r *request) error {
	if r.cmd.CDW11&dsmDeallocate == 0 {
		return nil
	}
	u, ok := r.ns.bdev.(bdev.Unmapper)
	if !ok {
		return nil
	}
	blocks := r.ns.bdev.NumBlocks()
	for i := range dsmRanges(&r.cmd) {
		d := r.data[i*dsmRangeSize:]
		nlb, slba := uint64(binary.LittleEndian.Uint32(d[4:])), binary.LittleEndian.Uint64(d[8:])
		if slba+nlb > blocks || slba+nlb < slba {
			return bdev.ErrOutOfRange
		}
		if err := u.Unmap(int64(slba)<<r.ns.blockShift, int64(nlb)<<r.ns.blockShift); err != nil {
			return err
		}
	}
	return nil
}

// deviceStatus maps a bdev error to the status a disk would return.
func deviceStatus(err error, media nvme.Status) nvme.Status {
	var se *nvme.StatusError
	switch {
	case errors.As(err, &se):
		return se.Status
	case errors.Is(err, bdev.ErrOutOfRange):
		return nvme.StatusLBAOutOfRange.WithDNR()
	case errors.Is(err, bdev.ErrInjected):
		// What SPDK's target returns for a failed bdev I/O.
		return nvme.StatusInternalError
	}
	return media
}

// dispatch hands r to the connection's I/O workers, starting them on first
// use so queues on memory bdevs never pay for them.
func (c *conn) dispatch(r *request) {
	if c.work == nil {
		c.work = make(chan *request, MaxQueueDepth)
		for range c.t.opts.IOWorkers {
			c.workers.Add(1)
			go c.ioWorker()
		}
	}
	c.work <- r
}

func (c *conn) ioWorker() {
	defer c.workers.Done()
	for r := range c.work {
		c.runIO(r)
		c.complete(r)
	}
}
