package nvmftarget

import (
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// StatusTransientTransport is what a command whose H2C data failed its
// digest completes with (NVMe/TCP: the host may retry it).
var StatusTransientTransport = nvme.MakeStatus(nvme.SCTGeneric, 0x22)

// StatusAERLimitExceeded answers an Asynchronous Event Request beyond AERL.
var StatusAERLimitExceeded = nvme.MakeStatus(nvme.SCTCommandSpecific, 0x05)

// request is one command slot of a queue. Slots are preallocated per
// connection and recycled, so the I/O path allocates nothing. The slot
// index doubles as the R2T transfer tag.
type request struct {
	c    *conn
	slot uint16

	cmd    nvme.Command
	ns     *namespace
	buf    *buffer
	data   []byte // command data: buf.b[:length]
	recv   int    // H2C bytes received (R2T flow)
	r2t    bool   // waiting for H2CData
	status nvme.Status
	dw0    uint32
	dw1    uint32
}

// direction is the data transfer direction of a command.
type direction uint8

const (
	dirNone direction = iota
	dirH2C            // host to controller (writes)
	dirC2H            // controller to host (reads)
)

// dataDirection follows the opcode encoding of the base specification:
// bits 1:0 of the opcode (the fabrics command type for fabrics commands).
func dataDirection(cmd *nvme.Command) direction {
	op := cmd.Opcode
	if op == nvme.OpcodeFabrics {
		op = cmd.FabricsType()
	}
	switch op & 3 {
	case 1:
		return dirH2C
	case 2:
		return dirC2H
	}
	return dirNone
}

// allocData gives r a pooled data buffer of n bytes.
func (r *request) allocData(n int) {
	r.buf = getBuffer(n)
	r.data = r.buf.b[:n]
}

// fail records an error status for the command.
func (r *request) fail(s nvme.Status) { r.status = s }

func (r *request) reset() {
	r.ns, r.buf, r.data = nil, nil, nil
	r.recv, r.r2t = 0, false
	r.status, r.dw0, r.dw1 = nvme.StatusSuccess, 0, 0
}

// complete queues the command's response (and its read data) for the writer
// goroutine and recycles the slot. Callable from any goroutine.
func (c *conn) complete(r *request) {
	c.queueReply(r)
	c.signal()
}

// maxHeldBytes bounds what the reader holds back (conn.held). Without a
// bound, a stream of commands whose replies are large (a backup's 1 MiB
// reads at QD32) keeps whole PDUs buffered, and a small reply queued among
// them waits for tens of MiB to be sent in one write: an OLTP p99 beside
// such a backup read 17-19 ms instead of 4-5 ms. A batch of QD32 4 KiB
// reads (about 133 KiB) still leaves in one write.
const maxHeldBytes = 256 << 10

// completeHeld is complete on the reader goroutine: the reader sends the
// reply with the rest of its batch (see conn.held).
func (c *conn) completeHeld(r *request) {
	c.held = c.queueReply(r)
}

// queueReply queues r's response and read data and recycles its slot. It
// returns the bytes now queued in the current batch.
func (c *conn) queueReply(r *request) int {
	cpl := nvme.Completion{DW0: r.dw0, DW1: r.dw1, SQHD: uint16(c.sqhead.Load()), SQID: c.qid, CID: r.cmd.CID, Status: r.status}
	c.out.mu.Lock()
	b := c.out.cur
	sendResp := true
	if r.status.Success() && len(r.data) > 0 && dataDirection(&r.cmd) == dirC2H {
		flags := uint8(pdu.FlagLast)
		if c.dissqfc {
			// The SUCCESS flag replaces the response capsule; allowed only
			// when the host disabled SQ flow control (no SQHD to report).
			flags |= pdu.FlagSuccess
			sendResp = false
		}
		b.w.Data(pdu.TypeC2HData, pdu.DataHeader{CCCID: r.cmd.CID, Length: uint32(len(r.data))}, flags, r.data)
	}
	if sendResp {
		b.w.CapsuleResp(&cpl)
	}
	if r.buf != nil {
		b.release = append(b.release, r.buf)
	}
	n := b.w.Buffered()
	c.out.mu.Unlock()
	r.reset()
	c.free <- r.slot
	return n
}

// sendR2T asks the host for the command's data. Reader only: the R2T
// leaves with the reader's batch.
func (c *conn) sendR2T(r *request) {
	r.r2t = true
	c.out.mu.Lock()
	c.out.cur.w.R2T(pdu.DataHeader{CCCID: r.cmd.CID, TTag: r.slot, Length: uint32(len(r.data))})
	c.held = c.out.cur.w.Buffered()
	c.out.mu.Unlock()
}
