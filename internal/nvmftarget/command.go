package nvmftarget

import (
	"errors"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// onCommand takes a command capsule off the wire: it claims a slot, reads
// in-capsule data or asks for data by R2T, and executes the command once
// its data is complete. Runs on the reader goroutine.
func (c *conn) onCommand(h *pdu.Header) error {
	var slot uint16
	select {
	case slot = <-c.free:
	default:
		// The host ignored SQSIZE (or MAXCMD): nothing sane can follow.
		return protocolError(h, pdu.FESPDUSequenceError, 0, "more commands outstanding than the queue size")
	}
	r := &c.reqs[slot]
	h.Command(&r.cmd)
	c.advanceSQHead()

	if c.ctrl == nil && !isConnect(&r.cmd) {
		if h.DataLen > 0 {
			if err := c.r.Discard(); err != nil {
				return err
			}
		}
		r.fail(nvme.StatusCommandSequence)
		c.complete(r)
		return nil
	}
	if h.DataLen > 0 {
		return c.inCapsuleData(h, r)
	}
	dir := dataDirection(&r.cmd)
	n := int(r.cmd.SGL.Length)
	if dir == dirNone || n == 0 {
		c.execute(r)
		return nil
	}
	if r.cmd.SGL.Type != nvme.SGLTransport {
		r.fail(nvme.StatusInvalidField)
		c.complete(r)
		return nil
	}
	if n > MaxTransfer {
		r.fail(nvme.StatusInvalidField.WithDNR())
		c.complete(r)
		return nil
	}
	if dir == dirH2C {
		// Check the command before asking for its data, so a write that
		// will fail costs no transfer.
		if !c.precheck(r) {
			c.complete(r)
			return nil
		}
		r.allocData(n)
		c.sendR2T(r)
		return nil
	}
	r.allocData(n)
	c.execute(r)
	return nil
}

// inCapsuleData reads data that came inside the command capsule.
func (c *conn) inCapsuleData(h *pdu.Header, r *request) error {
	if h.DataLen > InCapsuleDataSize {
		return protocolError(h, pdu.FESDataLimitExceeded, 0, "in-capsule data above the controller's in-capsule size")
	}
	if r.cmd.SGL.Type != nvme.SGLInCapsule || r.cmd.SGL.Addr != 0 || int(r.cmd.SGL.Length) != h.DataLen ||
		dataDirection(&r.cmd) != dirH2C {
		if err := c.r.Discard(); err != nil {
			return err
		}
		r.fail(nvme.StatusInvalidSGLOffset)
		c.complete(r)
		return nil
	}
	r.allocData(h.DataLen)
	err := c.r.ReadData(r.data)
	if errors.Is(err, pdu.ErrDataDigest) {
		r.fail(StatusTransientTransport)
		c.complete(r)
		return nil
	}
	if err != nil {
		putBuffer(r.buf)
		return err
	}
	c.execute(r)
	return nil
}

// onH2CData receives data a host sends in answer to an R2T.
func (c *conn) onH2CData(h *pdu.Header) error {
	dh := h.Data()
	if int(dh.TTag) >= len(c.reqs) || !c.reqs[dh.TTag].r2t {
		return protocolError(h, pdu.FESInvalidHeaderField, 10, "H2CData with an unknown transfer tag")
	}
	r := &c.reqs[dh.TTag]
	switch {
	case dh.CCCID != r.cmd.CID:
		return protocolError(h, pdu.FESInvalidHeaderField, 8, "H2CData CCCID does not match the transfer tag's command")
	case int(dh.Offset) != r.recv:
		return protocolError(h, pdu.FESDataOutOfRange, 12, "H2CData offset is not where the previous data ended")
	case int(dh.Length) != h.DataLen || r.recv+h.DataLen > len(r.data):
		return protocolError(h, pdu.FESDataOutOfRange, 16, "H2CData beyond the requested transfer")
	}
	err := c.r.ReadData(r.data[r.recv : r.recv+h.DataLen])
	if errors.Is(err, pdu.ErrDataDigest) {
		r.fail(StatusTransientTransport)
	} else if err != nil {
		return err
	}
	r.recv += h.DataLen
	if r.recv < len(r.data) {
		return nil
	}
	r.r2t = false
	if !r.status.Success() {
		c.complete(r)
		return nil
	}
	c.execute(r)
	return nil
}

// advanceSQHead moves the submission queue head past one command; SQHD in
// every completion reports it.
func (c *conn) advanceSQHead() {
	if c.sqsize == 0 {
		return
	}
	c.sqhead.Store((c.sqhead.Load() + 1) % uint32(c.sqsize))
}

func isConnect(cmd *nvme.Command) bool {
	return cmd.Opcode == nvme.OpcodeFabrics && cmd.FabricsType() == nvme.FabricsConnect
}

// execute runs a command whose data has arrived and completes it, inline
// or on an I/O worker.
func (c *conn) execute(r *request) {
	switch {
	case r.cmd.Opcode == nvme.OpcodeFabrics:
		c.fabrics(r)
	case c.qid == 0:
		c.admin(r)
	default:
		c.io(r)
	}
}

// precheck validates an I/O write before its data moves; false means r
// holds the error status.
func (c *conn) precheck(r *request) bool {
	if c.qid == 0 || r.cmd.Opcode == nvme.OpcodeFabrics {
		return true
	}
	return c.checkIO(r)
}
