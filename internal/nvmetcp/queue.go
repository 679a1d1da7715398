package nvmetcp

import (
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// A CID is a slot index in its low 12 bits and a generation in the top 4,
// bumped on every reuse of the slot, so a completion for a command that is
// no longer outstanding is recognised instead of completing its successor.
const (
	cidIndexMask = maxQueueSize - 1
	cidGenStep   = maxQueueSize
)

// Queue is one NVMe/TCP connection: the admin queue (ID 0) or an I/O queue.
// Submit is safe for concurrent use; completions are delivered by one
// reader goroutine per queue.
type Queue struct {
	ctrl    *Controller
	id      uint16
	conn    net.Conn
	rd      *pdu.Reader
	snd     *sender
	maxH2C  int
	timeout time.Duration
	done    chan struct{} // closed when the reader goroutine has failed everything

	inCallback atomic.Bool // a Done callback runs: Submit must not flush inline

	// Polled queues (Config.PolledIO) have no reader goroutine: Poll reads
	// on its caller's goroutine, one caller at a time (pollMu). stopped is
	// set once the queue failed and failed its commands (under pollMu).
	polled    bool
	pollMu    sync.Mutex
	stopped   bool
	completed uint64 // commands completed by PDUs; read by Poll under pollMu

	mu      sync.Mutex
	slots   []*Request // outstanding command per slot index
	cids    []uint16   // current CID per slot index
	free    []uint16   // free slot indexes (a stack: reuse the cache-warm ones)
	icd     int        // largest in-capsule data
	maxXfer int        // largest data transfer (MDTS), 0 = unlimited
	closed  bool
}

// newQueue sets up a queue on a connection that completed ICReq/ICResp.
// icd and maxXfer are the in-capsule and transfer limits (0 = unlimited).
func newQueue(c *Controller, id uint16, conn net.Conn, rd *pdu.Reader, ic pdu.IC, depth, icd, maxXfer int) *Queue {
	q := &Queue{
		ctrl: c, id: id, conn: conn, rd: rd,
		maxH2C:  int(ic.MaxData),
		timeout: c.cfg.IOTimeout,
		done:    make(chan struct{}),
		slots:   make([]*Request, depth),
		cids:    make([]uint16, depth),
		free:    make([]uint16, depth),
		icd:     icd,
		maxXfer: maxXfer,
	}
	switch {
	case id > 0 && maxXfer == 0:
		rd.SetMaxData(math.MaxInt32) // no MDTS: a C2HData PDU may carry a whole read
	case maxXfer > pdu.DefaultMaxData:
		rd.SetMaxData(maxXfer)
	}
	ws := [2]*pdu.Writer{pdu.NewWriter(conn), pdu.NewWriter(conn)}
	for _, w := range ws {
		w.SetDigests(ic.HeaderDigest, ic.DataDigest)
		w.SetDataAlignment(ic.PDA)
	}
	rd.SetDigests(ic.HeaderDigest, ic.DataDigest)
	q.snd = newSender(ws[0], ws[1], func(err error) {
		c.fail(fmt.Errorf("queue %d: write: %w", id, err))
	})
	for i := range depth {
		q.cids[i] = uint16(i)
		q.free[i] = uint16(depth - 1 - i)
	}
	return q
}

// ID is the queue identifier (0 for the admin queue).
func (q *Queue) ID() uint16 { return q.id }

// Depth is how many commands may be outstanding at once.
func (q *Queue) Depth() int { return len(q.slots) }

// Submit sends r without waiting for it. It fails synchronously with
// ErrQueueFull when Depth commands are outstanding, with an error wrapping
// ErrControllerDown once the controller has failed, and with
// ErrInvalidRequest or ErrRequestBusy for a request that cannot be sent.
// Otherwise r.Done is called exactly once.
func (q *Queue) Submit(r *Request) error {
	return q.submitMode(r, flushInline)
}

// Hold is Submit, except that r's command capsule may stay in the queue's
// send buffer until Flush, the flush of a later Submit, or the reader's
// flush before it waits for the socket sends it. A caller that submits
// several commands in a row with Hold and then calls Flush sends them in
// one system call instead of one each. The caller must call Flush before it
// waits for r to complete.
func (q *Queue) Hold(r *Request) error {
	return q.submitMode(r, flushDefer)
}

// Flush sends the capsules Hold left queued, on the calling goroutine,
// blocking in the write if the socket is full. It returns at once when
// nothing is queued or another goroutine's flush (which sends them) is
// under way.
func (q *Queue) Flush() {
	q.snd.lock()
	q.snd.release(flushInline)
}

func (q *Queue) submitMode(r *Request, mode flushMode) error {
	if r.Done == nil {
		return fmt.Errorf("%w: Done is nil", ErrInvalidRequest)
	}
	cmd, dir, err := r.build()
	if err != nil {
		return err
	}
	return q.send(r, &cmd, dir, mode)
}

// submit sends an internal request whose command the controller built.
func (q *Queue) submit(r *Request) error {
	cmd := r.cmd
	return q.send(r, &cmd, r.dir, flushInline)
}

// send assigns r a command ID and queues its capsule, flushed as mode says
// (but never inline from a completion callback). r's command is only
// written once r is admitted, so resubmitting a request in flight cannot
// corrupt it.
func (q *Queue) send(r *Request, cmd *nvme.Command, dir direction, mode flushMode) error {
	q.mu.Lock()
	if err := q.admit(r, len(r.Buf), dir); err != nil {
		q.mu.Unlock()
		return err
	}
	r.cmd, r.dir = *cmd, dir
	n := len(q.free) - 1
	idx := q.free[n]
	q.free = q.free[:n]
	cid := q.cids[idx] + cidGenStep
	q.cids[idx] = cid
	q.slots[idx] = r
	r.q, r.cmd.CID = q, cid
	r.xfer, r.Status, r.DW0, r.Err, r.dataErr = 0, 0, 0, nil, nil
	r.deadline = q.deadline(r.timeout)
	// The capsule is queued under q.mu so that failAll cannot complete r
	// before its fields have been read.
	w := q.snd.lock()
	// Connect data always travels in-capsule (up to 8 KiB for fabrics
	// commands), whatever the I/O queue's in-capsule size.
	fabrics := r.cmd.Opcode == nvme.OpcodeFabrics && len(r.Buf) <= fabricsICD
	if r.dir == dirH2C && (len(r.Buf) <= q.icd || fabrics) {
		r.cmd.SGL = nvme.SGL{Length: uint32(len(r.Buf)), Type: nvme.SGLInCapsule}
		r.xfer = len(r.Buf)
		w.CapsuleCmd(&r.cmd, r.Buf)
	} else {
		r.cmd.SGL = nvme.SGL{Length: uint32(len(r.Buf)), Type: nvme.SGLTransport}
		w.CapsuleCmd(&r.cmd, nil)
	}
	q.mu.Unlock()
	if q.inCallback.Load() {
		mode = flushDefer // the reader flushes before it next blocks
	}
	q.snd.release(mode)
	return nil
}

// admit checks, with q.mu held, that r may be sent now.
func (q *Queue) admit(r *Request, size int, dir direction) error {
	switch {
	case q.closed:
		return q.ctrl.downErr()
	case r.q != nil:
		return ErrRequestBusy
	case q.maxXfer > 0 && size > q.maxXfer && dir != dirNone:
		return fmt.Errorf("%w: %d bytes exceed the controller's transfer limit %d", ErrInvalidRequest, size, q.maxXfer)
	case len(q.free) == 0:
		return ErrQueueFull
	}
	return nil
}

func (q *Queue) deadline(timeout time.Duration) int64 {
	if timeout == 0 {
		timeout = q.timeout
	}
	if timeout < 0 {
		return 0
	}
	return q.ctrl.clock() + int64(timeout)
}

// readLoop is the queue's reader goroutine. When the connection fails it
// fails the controller and then every command still outstanding: only this
// goroutine writes into request buffers, so once it has stopped reading no
// buffer handed back to a caller can change under it.
func (q *Queue) readLoop() {
	q.stop(q.readPDUs())
}

// stop fails the controller with err, the reason this queue stopped
// reading, and then every command still outstanding.
func (q *Queue) stop(err error) {
	q.ctrl.fail(fmt.Errorf("queue %d: %w", q.id, err))
	q.failAll()
	q.stopped = true
	close(q.done)
}

func (q *Queue) readPDUs() error {
	for {
		h, err := q.rd.Next()
		if err != nil {
			return err
		}
		if err := q.handle(h); err != nil {
			return err
		}
		if q.rd.Buffered() == 0 {
			q.snd.flushIdle(idleFlushLimit)
		}
	}
}

// handle acts on one PDU the controller sent.
func (q *Queue) handle(h *pdu.Header) error {
	switch h.Type() {
	case pdu.TypeCapsuleResp:
		return q.onResp(h)
	case pdu.TypeC2HData:
		return q.onC2HData(h)
	case pdu.TypeR2T:
		return q.onR2T(h)
	case pdu.TypeC2HTermReq:
		tr := h.TermReq()
		return &TermReqError{FES: tr.FES, FEI: tr.FEI}
	}
	return protocolError("unexpected %v PDU", h.Type())
}

// idleFlushLimit is the most a reader sends itself before blocking on its
// socket; more goes to the writer goroutine (see sender.flushIdle).
const idleFlushLimit = 64 << 10

// lookup finds the outstanding request a PDU refers to.
func (q *Queue) lookup(cid uint16, what pdu.Type) (*Request, int, error) {
	idx := int(cid & cidIndexMask)
	var r *Request
	q.mu.Lock()
	if idx < len(q.slots) && q.cids[idx] == cid {
		r = q.slots[idx]
	}
	q.mu.Unlock()
	if r == nil {
		return nil, 0, protocolError("%v for command id %#x, which is not outstanding", what, cid)
	}
	return r, idx, nil
}

func (q *Queue) onResp(h *pdu.Header) error {
	var cpl nvme.Completion
	h.Completion(&cpl)
	r, idx, err := q.lookup(cpl.CID, pdu.TypeCapsuleResp)
	if err != nil {
		return err
	}
	r.Status, r.DW0, r.dw1 = cpl.Status, cpl.DW0, cpl.DW1
	switch {
	case !cpl.Status.Success():
		r.Err = &StatusError{Status: cpl.Status, DW0: cpl.DW0}
	case r.dataErr != nil:
		r.Err = r.dataErr
	case r.dir == dirC2H && r.xfer != len(r.Buf):
		r.Err = fmt.Errorf("nvme/tcp: queue %d: %s completed after %d of %d data bytes", q.id, r.describe(), r.xfer, len(r.Buf))
	}
	q.complete(r, idx)
	return nil
}

func (q *Queue) onC2HData(h *pdu.Header) error {
	dh := h.Data()
	r, idx, err := q.lookup(dh.CCCID, pdu.TypeC2HData)
	if err != nil {
		return err
	}
	off, end := int(dh.Offset), int(dh.Offset)+h.DataLen
	if r.dir != dirC2H || off != r.xfer || end > len(r.Buf) {
		return protocolError("C2HData cid %#x offset %d length %d: expected offset %d of a %d-byte read",
			dh.CCCID, off, h.DataLen, r.xfer, len(r.Buf))
	}
	if h.DataLen > 0 {
		err := q.rd.ReadData(r.Buf[off:end])
		if errors.Is(err, pdu.ErrDataDigest) && r.dataErr == nil {
			r.dataErr = fmt.Errorf("queue %d cid %#x offset %d: %w", q.id, dh.CCCID, off, err)
		} else if err != nil {
			return err
		}
	}
	r.xfer = end
	if h.Flags()&pdu.FlagSuccess == 0 {
		return nil
	}
	// SUCCESS: no CapsuleResp follows; the command completed with status 0.
	r.Err = r.dataErr
	if r.Err == nil && r.xfer != len(r.Buf) {
		r.Err = fmt.Errorf("nvme/tcp: queue %d: %s completed (C2H SUCCESS) after %d of %d data bytes", q.id, r.describe(), r.xfer, len(r.Buf))
	}
	q.complete(r, idx)
	return nil
}

// onR2T queues the H2CData PDUs the controller asked for, in chunks of at
// most MAXH2CDATA, LAST_PDU on the final one. The writer goroutine sends
// them: this goroutine must keep reading.
func (q *Queue) onR2T(h *pdu.Header) error {
	dh := h.Data()
	r, _, err := q.lookup(dh.CCCID, pdu.TypeR2T)
	if err != nil {
		return err
	}
	off, end := int(dh.Offset), int(dh.Offset)+int(dh.Length)
	if r.dir != dirH2C || r.cmd.SGL.Type != nvme.SGLTransport || dh.Length == 0 || end > len(r.Buf) {
		return protocolError("R2T cid %#x offset %d length %d for a command with %d bytes to send",
			dh.CCCID, off, dh.Length, len(r.Buf))
	}
	w := q.snd.lock()
	for off < end {
		n := min(end-off, q.maxH2C)
		var flags uint8
		if off+n == end {
			flags = pdu.FlagLast
		}
		w.Data(pdu.TypeH2CData, pdu.DataHeader{CCCID: dh.CCCID, TTag: dh.TTag, Offset: uint32(off)}, flags, r.Buf[off:off+n])
		off += n
	}
	r.xfer = max(r.xfer, end)
	q.snd.release(flushKick)
	return nil
}

// complete frees the slot and hands r back to its owner.
func (q *Queue) complete(r *Request, idx int) {
	q.mu.Lock()
	q.slots[idx] = nil
	q.free = append(q.free, uint16(idx))
	q.mu.Unlock()
	r.q = nil
	q.completed++
	q.inCallback.Store(true)
	r.Done(r)
	q.inCallback.Store(false)
}

// failAll completes every outstanding command with the controller's error
// and refuses new ones.
func (q *Queue) failAll() {
	err := q.ctrl.downErr()
	var reqs []*Request
	q.mu.Lock()
	q.closed = true
	for i, r := range q.slots {
		if r != nil {
			reqs = append(reqs, r)
			q.slots[i] = nil
		}
	}
	q.mu.Unlock()
	for _, r := range reqs {
		r.Err, r.q = err, nil
		r.Done(r)
	}
}

// checkTimeouts returns an ErrTimeout error for the first command past its
// deadline at now.
func (q *Queue) checkTimeouts(now int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, r := range q.slots {
		if r == nil || r.deadline == 0 || now <= r.deadline {
			continue
		}
		limit := r.timeout
		if limit == 0 {
			limit = q.timeout
		}
		return fmt.Errorf("%w: %s (cid %#x) on queue %d not completed within %v",
			ErrTimeout, r.describe(), q.cids[i], q.id, limit)
	}
	return nil
}
