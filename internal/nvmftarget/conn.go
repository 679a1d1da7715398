package nvmftarget

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spinread"
)

// conn is one NVMe/TCP connection: one queue (admin or I/O) once connected.
//
// Its reader goroutine (serve) owns the pdu.Reader, the request slots in
// state reqData, and the Connect-time fields. Responses are queued from any
// goroutine into out and sent by the writer goroutine.
type conn struct {
	t   *Target
	ln  *listener
	nc  net.Conn
	r   *pdu.Reader
	log *slog.Logger

	// Set by Connect before the conn is visible to other goroutines.
	qid     uint16
	ctrl    *controller
	port    *port
	sqsize  uint16 // entries
	dissqfc bool   // host disabled SQ flow control: C2HData may carry SUCCESS
	sqhead  atomic.Uint32
	// disconnecting is set by a Disconnect command: the reader stops after
	// queueing its response.
	disconnecting atomic.Bool

	reqs []request
	free chan uint16

	out outQueue
	// sendMu makes flushes one at a time, so batches leave in the order
	// they were swapped out, whichever goroutine sends them.
	sendMu sync.Mutex
	// held (reader-owned) is how many bytes the queued batch held when the
	// reader last queued a reply without waking the writer; 0 when it
	// holds none. The reader sends them itself before it would wait for
	// input, so a batch of commands that arrived together is answered by
	// one write from the same goroutine, with no hand-off per batch. It
	// sends them sooner once they reach maxHeldBytes (see there).
	held       int
	kick       chan struct{}
	done       chan struct{} // closed by the reader when it stops: final flush
	writerDone chan struct{}
	closing    chan struct{} // closed by shutdown
	closeOnce  sync.Once
	gate       closeGate // see shutdownGroup

	work    chan *request // lazily started workers for blocking bdevs
	workers sync.WaitGroup
}

// outQueue double-buffers PDU writers: producers append to cur under mu
// while the writer goroutine sends spare without holding it.
type outQueue struct {
	mu         sync.Mutex
	cur, spare *batch
}

// batch is queued PDUs plus the buffers they reference, released after the
// write that sends them.
type batch struct {
	w       *pdu.Writer
	release []*buffer
}

func newConn(t *Target, l *listener, nc net.Conn) *conn {
	c := &conn{t: t, ln: l, nc: nc,
		r:          pdu.NewReader(spinread.New(nc, t.opts.ReadSpin), pdu.RoleController, 0),
		log:        t.log.With("remote", nc.RemoteAddr().String(), "local", l.addr),
		free:       make(chan uint16, MaxQueueDepth),
		kick:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		writerDone: make(chan struct{}),
		closing:    make(chan struct{}),
		gate:       closeGate{drained: make(chan struct{})},
		reqs:       make([]request, MaxQueueDepth),
	}
	c.out.cur = &batch{w: pdu.NewWriter(nc)}
	c.out.spare = &batch{w: pdu.NewWriter(nc)}
	for i := range c.reqs {
		c.reqs[i] = request{c: c, slot: uint16(i)}
		c.free <- uint16(i)
	}
	return c
}

// shutdown ends the connection: it stops reading, and the reader then
// finishes the commands already taken (their data reaches the bdev and
// their completions are sent) before the socket closes. Closing first
// would let a write land after the host saw the path die and retried it
// elsewhere, overwriting newer data: a lost write the target caused.
// Non-blocking and idempotent, callable from any goroutine.
func (c *conn) shutdown() {
	c.closeOnce.Do(func() {
		close(c.closing)
		// The reader may be sending its held replies to a host that
		// stopped reading: bound that write as finish bounds the last.
		_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		if tc, ok := c.nc.(*net.TCPConn); ok {
			_ = tc.CloseRead()
			return
		}
		_ = c.nc.Close()
	})
}

// serve runs the connection until it ends.
func (c *conn) serve() {
	defer c.t.wg.Done()
	go c.writeLoop()
	err := c.run()
	c.finish(err)
}

func (c *conn) run() error {
	if err := c.handshake(); err != nil {
		return err
	}
	for {
		h, err := c.r.Next()
		if err != nil {
			return err
		}
		// A paused target holds the PDU it just read, like a stopped
		// process holds what sits in its socket buffer.
		c.t.waitResumed(c.closing)
		select {
		case <-c.closing:
			return net.ErrClosed
		default:
		}
		switch h.Type() {
		case pdu.TypeCapsuleCmd:
			err = c.onCommand(h)
		case pdu.TypeH2CData:
			err = c.onH2CData(h)
		case pdu.TypeH2CTermReq:
			tr := h.TermReq()
			return &hostTermError{fes: tr.FES, fei: tr.FEI}
		default: // a second ICReq
			err = protocolError(h, pdu.FESPDUSequenceError, 0, "ICReq after connection setup")
		}
		if err != nil {
			return err
		}
		if c.disconnecting.Load() {
			return io.EOF
		}
		if full := c.held >= maxHeldBytes; full || c.held > 0 && !c.r.WholePDUBuffered() {
			c.held = 0
			if err := c.flush(); err != nil {
				return fmt.Errorf("send: %w", err)
			}
			if full {
				// A reader kept busy by a stream neither parks nor hands
				// off, so it would keep its P until the runtime preempts
				// it after 10 ms while other connections wait to run.
				runtime.Gosched()
			}
		}
	}
}

// handshake answers the ICReq, negotiating digests and C2H data alignment.
func (c *conn) handshake() error {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.t.opts.ICReqTimeout))
	h, err := c.r.Next()
	if err != nil {
		return err
	}
	if h.Type() != pdu.TypeICReq {
		return protocolError(h, pdu.FESPDUSequenceError, 0, "first PDU is not ICReq")
	}
	ic := h.IC()
	if ic.PFV != 0 {
		return protocolError(h, pdu.FESUnsupportedParameter, 8, "ICReq PFV not 0")
	}
	if ic.PDA > 31 {
		return protocolError(h, pdu.FESUnsupportedParameter, 10, "ICReq HPDA above 31")
	}
	c.out.mu.Lock()
	c.out.cur.w.ICResp(pdu.IC{HeaderDigest: ic.HeaderDigest, DataDigest: ic.DataDigest, MaxData: MaxH2CData})
	for _, b := range []*batch{c.out.cur, c.out.spare} {
		b.w.SetDigests(ic.HeaderDigest, ic.DataDigest)
		b.w.SetDataAlignment(ic.PDA)
	}
	c.out.mu.Unlock()
	c.r.SetDigests(ic.HeaderDigest, ic.DataDigest)
	c.r.SetMaxData(max(MaxH2CData, InCapsuleDataSize))
	c.signal()
	return c.nc.SetReadDeadline(time.Time{})
}

// finish tears the connection down after the reader stopped: it sends a
// termination request for a protocol error, lets in-flight I/O complete,
// flushes, closes the socket and detaches the queue from its controller.
func (c *conn) finish(err error) {
	if c.work != nil {
		close(c.work)
		c.workers.Wait()
	}
	var pe *pdu.ProtocolError
	switch {
	case errors.As(err, &pe):
		c.log.Warn("protocol error; terminating connection", "fes", pe.FES, "fei", pe.FEI, "reason", pe.Reason)
		c.out.mu.Lock()
		c.out.cur.w.TermReq(pdu.TypeC2HTermReq, pe.FES, pe.FEI, pe.Header)
		c.out.mu.Unlock()
	case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
		c.log.Debug("connection closed", "qid", c.qid)
	default:
		c.log.Info("connection ended", "qid", c.qid, "err", err)
	}
	// A host that stopped reading must not keep the final flush waiting.
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	close(c.done)
	<-c.writerDone
	close(c.gate.drained)
	c.gate.wait()
	if pe != nil {
		c.lingerClose()
	}
	c.shutdown()
	_ = c.nc.Close()
	if c.ctrl != nil {
		c.ctrl.queueClosed(c)
	}
	c.t.untrackConn(c)
}

// lingerClose half-closes and drains what the host still sends for a short
// while: closing with unread input would reset the connection, and a reset
// can discard the termination request before the host reads it.
func (c *conn) lingerClose() {
	tc, ok := c.nc.(*net.TCPConn)
	if !ok {
		return
	}
	_ = tc.CloseWrite()
	_ = tc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var scratch [4096]byte
	for {
		select {
		case <-c.closing:
			return
		default:
		}
		if _, err := tc.Read(scratch[:]); err != nil {
			return
		}
	}
}

// writeLoop sends whatever was queued each time it is signalled, so all
// responses produced while it was busy go out in one writev.
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	for {
		select {
		case <-c.kick:
		case <-c.done:
			_ = c.flush()
			return
		}
		if err := c.flush(); err != nil {
			c.log.Debug("write failed", "err", err)
			c.shutdown()
		}
	}
}

func (c *conn) flush() error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.out.mu.Lock()
	b := c.out.cur
	c.out.cur, c.out.spare = c.out.spare, b
	c.out.mu.Unlock()
	err := b.w.Flush()
	for i, buf := range b.release {
		putBuffer(buf)
		b.release[i] = nil
	}
	b.release = b.release[:0]
	return err
}

// signal wakes the writer goroutine; it never blocks.
func (c *conn) signal() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// hostTermError is an H2CTermReq from the host: the connection just ends.
type hostTermError struct {
	fes uint16
	fei uint32
}

func (e *hostTermError) Error() string {
	return fmt.Sprintf("host sent H2CTermReq (fes %d, fei %d)", e.fes, e.fei)
}

func protocolError(h *pdu.Header, fes uint16, fei uint32, reason string) *pdu.ProtocolError {
	raw := h.Raw()
	return &pdu.ProtocolError{FES: fes, FEI: fei, Header: append([]byte(nil), raw[:min(len(raw), pdu.MaxTermReqData)]...), Reason: reason}
}
